/**
 * The embedded store's one-time codes and attempt limits (CodeRepo), in memory and in one small
 * file, DATA_DIR/codes.json: { "codes": [CodeRecord…], "attempts": { key: [windowStart, count] } }.
 * (Also the pending /broadcast confirmations: purpose "broadcast", with the text in data.)
 * Codes live minutes and attempt windows ten, so the file stays tiny; each change rewrites it
 * (temp file, fsync, rename), and a change resolves only once it is on disk. Expired entries are
 * dropped whenever the file is written. A missing file is an empty one; a damaged one is set aside
 * (renamed *.damaged): losing live codes only means asking the bot for a new one.
 */
import { join } from "node:path";
import { TEMP_SUFFIX } from "./durable-file.js";
import { errnoCode } from "./errors.js";
import type { StoreFs } from "./fs.js";
import type { CodePurpose, CodeRecord, CodeRepo, Instant } from "./types.js";

export const CODES_FILE = "codes.json";

/** Attempt windows older than this are forgotten when the file is written (limits use ≤ 10 minutes). */
const KEEP_ATTEMPTS_MS = 24 * 60 * 60 * 1000;

interface CodesFile {
  codes: CodeRecord[];
  attempts: Record<string, [windowStart: number, count: number]>;
}

const isCode = (c: unknown): c is CodeRecord => {
  const r = c as CodeRecord;
  return (
    typeof r === "object" &&
    r !== null &&
    (r.purpose === "desk" || r.purpose === "link" || r.purpose === "broadcast") &&
    typeof r.digest === "string" &&
    Number.isSafeInteger(r.userId) &&
    typeof r.expiresAt === "string" &&
    (r.data === undefined || (typeof r.data === "object" && r.data !== null && !Array.isArray(r.data)))
  );
};

/** A snapshot the caller may change (data included). */
const copy = (c: CodeRecord): CodeRecord => (c.data === undefined ? { ...c } : { ...c, data: JSON.parse(JSON.stringify(c.data)) as Record<string, unknown> });

export class EmbeddedCodes implements CodeRepo {
  /** `${purpose}:${digest}` → record. */
  readonly #codes = new Map<string, CodeRecord>();
  readonly #attempts = new Map<string, [number, number]>();
  /** Writes run one after another; each rewrites the file with the state at that moment. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly fs: StoreFs,
    private readonly fsync: boolean,
  ) {}

  static async open(dataDir: string, fs: StoreFs, fsync: boolean): Promise<EmbeddedCodes> {
    const repo = new EmbeddedCodes(join(dataDir, CODES_FILE), fs, fsync);
    let text: string | undefined;
    try {
      text = await fs.readFile(repo.path);
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") throw e;
    }
    if (text !== undefined) {
      try {
        const data = JSON.parse(text) as Partial<CodesFile>;
        for (const c of Array.isArray(data.codes) ? data.codes : []) if (isCode(c)) repo.#codes.set(`${c.purpose}:${c.digest}`, c);
        for (const [key, v] of Object.entries(data.attempts ?? {})) if (Array.isArray(v) && v.length === 2 && v.every(Number.isFinite)) repo.#attempts.set(key, [v[0], v[1]]);
      } catch {
        await fs.rename(repo.path, `${repo.path}.damaged`).catch(() => {});
      }
    }
    return repo;
  }

  async issue(code: CodeRecord, now: Instant): Promise<boolean> {
    const key = `${code.purpose}:${code.digest}`;
    const clash = this.#codes.get(key);
    if (clash && clash.expiresAt > now && clash.userId !== code.userId) return false;
    for (const [k, c] of this.#codes) if (c.purpose === code.purpose && c.userId === code.userId) this.#codes.delete(k);
    const json = code.data === undefined ? undefined : JSON.stringify(code.data);
    this.#codes.set(key, { purpose: code.purpose, digest: code.digest, userId: code.userId, expiresAt: code.expiresAt, ...(json ? { data: JSON.parse(json) as Record<string, unknown> } : {}) });
    await this.#save(now);
    return true;
  }

  async live(purpose: CodePurpose, now: Instant): Promise<CodeRecord[]> {
    return [...this.#codes.values()].filter((c) => c.purpose === purpose && c.expiresAt > now).map(copy);
  }

  async consume(purpose: CodePurpose, digest: string, now: Instant): Promise<CodeRecord | undefined> {
    const key = `${purpose}:${digest}`;
    const found = this.#codes.get(key);
    if (!found || found.expiresAt <= now) return undefined;
    // Removed before the write is awaited: a second consume in the meantime finds nothing.
    this.#codes.delete(key);
    await this.#save(now);
    return copy(found);
  }

  async attempt(key: string, limit: number, windowMs: number, now: Instant): Promise<boolean> {
    const t = Date.parse(now);
    const w = this.#attempts.get(key);
    const window: [number, number] = w && w[0] > t - windowMs ? [w[0], w[1] + 1] : [t, 1];
    this.#attempts.set(key, window);
    await this.#save(now);
    return window[1] <= limit;
  }

  #save(now: Instant): Promise<void> {
    const run = this.#writing.then(() => this.#write(now));
    this.#writing = run.catch(() => {});
    return run;
  }

  async #write(now: Instant): Promise<void> {
    const t = Date.parse(now);
    for (const [k, c] of this.#codes) if (c.expiresAt <= now) this.#codes.delete(k);
    for (const [k, [start]] of this.#attempts) if (start < t - KEEP_ATTEMPTS_MS) this.#attempts.delete(k);
    const data: CodesFile = { codes: [...this.#codes.values()], attempts: Object.fromEntries(this.#attempts) };
    const temp = `${this.path}.${process.pid}${TEMP_SUFFIX}`;
    await this.fs.writeFile(temp, JSON.stringify(data), this.fsync);
    await this.fs.rename(temp, this.path);
    if (this.fsync) await this.fs.syncDir(join(this.path, ".."));
  }

  /** Waits for the last write. */
  flush(): Promise<void> {
    return this.#writing;
  }
}
