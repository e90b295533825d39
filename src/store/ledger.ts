/**
 * Which chats each delivery has reached. One folder per delivery (ledger/<slug>-<hash>/), holding a
 * chunked log of chat ids, so a big broadcast rewrites only its small tail chunk. record() adds the
 * chat in memory at once (has() is true immediately, so nothing is sent twice in this process) and
 * the chunk's group commit writes it: the first record starts a write, everything recorded while it
 * is in flight or in the COMMIT_GAP_MS after it goes into the next one. The records of that write
 * and gap are lost on a crash; the broadcaster notes each chat in the send journal first
 * (src/reminders/scheduler.ts), which a restart replays into the ledger.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { ChunkedLog } from "./chunked-log.js";
import { handled, type WriteTracker } from "./durable-file.js";
import { corruptFileError, errnoCode, unreadableFileError } from "./errors.js";
import type { LedgerRepo } from "./types.js";

export function deliveryDirName(delivery: string): string {
  const slug = delivery.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 60);
  const hash = createHash("sha1").update(delivery).digest("hex").slice(0, 12);
  return `${slug}-${hash}`;
}

const EMPTY: ReadonlySet<number> = new Set<number>();

/**
 * A tail chunk is written at most every this often. Writing continuously, a broadcast at 1,000/s
 * rewrote its growing chunk ~400 times (800 fsyncs) in 5 s: main-thread file calls, serialising
 * and the disk the inbox's fsyncs share.
 */
const COMMIT_GAP_MS = 100;

function validateChat(e: unknown): string | undefined {
  return Number.isSafeInteger(e) ? undefined : "chat id is not an integer";
}

export class Ledger implements LedgerRepo {
  readonly #dir: string;
  readonly #chunkSize: number;
  readonly #tracker: WriteTracker;
  readonly #logs = new Map<string, ChunkedLog<number>>();
  readonly #sets = new Map<string, Set<number>>();
  readonly #leases = new Map<string, Map<number, { owner: string; until: number }>>();

  private constructor(dir: string, chunkSize: number, tracker: WriteTracker) {
    this.#dir = dir;
    this.#chunkSize = chunkSize;
    this.#tracker = tracker;
  }

  static async open(opts: { dir: string; chunkSize: number; tracker: WriteTracker }): Promise<Ledger> {
    const ledger = new Ledger(opts.dir, opts.chunkSize, opts.tracker);
    let names: string[] = [];
    try {
      names = await opts.tracker.fs.readdir(opts.dir);
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") throw unreadableFileError(opts.dir, e);
    }
    const logs = await Promise.all(
      names
        .filter((n) => !n.endsWith(".tmp"))
        .map(async (name) => {
          const dir = join(opts.dir, name);
          const log = await ChunkedLog.open<number>({ dir, chunkSize: opts.chunkSize, tracker: opts.tracker, validateEntry: validateChat, minGapMs: COMMIT_GAP_MS });
          return { name, dir, log };
        }),
    );
    for (const { name, dir, log } of logs) {
      const chunks = log.chunkData();
      if (chunks.length === 0) continue; // a folder whose first write never happened
      const delivery = chunks[0]!.delivery;
      if (typeof delivery !== "string") throw corruptFileError(join(dir, "000001.json"), `missing "delivery"`);
      if (chunks.some((c) => c.delivery !== delivery)) throw corruptFileError(dir, `chunks name different deliveries`);
      if (deliveryDirName(delivery) !== name) throw corruptFileError(dir, `folder does not match delivery "${delivery}"`);
      log.setHeader({ delivery });
      ledger.#logs.set(delivery, log);
      ledger.#sets.set(delivery, new Set(log.entries()));
    }
    return ledger;
  }

  async has(delivery: string, chatId: number): Promise<boolean> {
    return this.#sets.get(delivery)?.has(chatId) ?? false;
  }

  async missing(delivery: string, chatIds: readonly number[]): Promise<number[]> {
    const set = this.#sets.get(delivery) ?? EMPTY;
    return chatIds.filter((c) => !set.has(c));
  }

  async countReached(delivery: string): Promise<number> {
    return this.#sets.get(delivery)?.size ?? 0;
  }

  /** One process per data folder: a claim is an in-memory lease (so two loops in this process never both send). */
  async claim(delivery: string, chatIds: readonly number[], owner: string, leaseMs: number): Promise<number[]> {
    const set = this.#sets.get(delivery) ?? EMPTY;
    let leases = this.#leases.get(delivery);
    if (!leases) this.#leases.set(delivery, (leases = new Map()));
    const now = Date.now();
    const out: number[] = [];
    for (const c of chatIds) {
      if (set.has(c)) continue;
      const l = leases.get(c);
      if (l && l.owner !== owner && l.until > now) continue;
      leases.set(c, { owner, until: now + leaseMs });
      out.push(c);
    }
    return out;
  }

  async release(delivery: string, chatId: number, owner: string): Promise<void> {
    const leases = this.#leases.get(delivery);
    if (leases?.get(chatId)?.owner === owner) leases.delete(chatId);
  }

  /** Every (delivery, chat) recorded. */
  *pairs(): IterableIterator<[string, number]> {
    for (const [delivery, set] of this.#sets) for (const chat of set) yield [delivery, chat];
  }

  /** Deliveries with at least one recorded chat. */
  deliveries(): string[] {
    return [...this.#sets.keys()];
  }

  record(delivery: string, chatId: number): Promise<void> {
    if (!Number.isSafeInteger(chatId)) return Promise.reject(new TypeError(`ledger: chat id must be an integer, got ${chatId}`));
    let set = this.#sets.get(delivery);
    let log = this.#logs.get(delivery);
    if (!set || !log) {
      set = new Set();
      log = ChunkedLog.empty<number>({
        dir: join(this.#dir, deliveryDirName(delivery)),
        chunkSize: this.#chunkSize,
        tracker: this.#tracker,
        header: { delivery },
        minGapMs: COMMIT_GAP_MS,
      });
      this.#sets.set(delivery, set);
      this.#logs.set(delivery, log);
    }
    // Already recorded: resolve when that record is durable (waits for, or retries, its write).
    this.#leases.get(delivery)?.delete(chatId);
    if (set.has(chatId)) return handled(log.flush());
    set.add(chatId);
    return log.append(chatId);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#logs.values()].map((l) => l.flush()));
  }
}
