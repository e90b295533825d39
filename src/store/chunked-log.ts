/**
 * An append-only list stored as numbered chunk files (<dir>/000001.json, 000002.json, …) of at most
 * `chunkSize` entries each, every chunk a lowdb `Low` with a DurableFile adapter. An append rewrites
 * only the tail chunk, so the cost of a write stays bounded however long the log grows; appends in
 * flight are group-committed by the tail chunk's file.
 *
 * A deferred log (the audit log) does not write on append: its entries are in the journal
 * (commit-log.ts), and checkpoint.ts writes the changed chunks later. Each chunk then carries
 * "lsn", the journal lsn of its last entry, so replay skips the entries the files already hold.
 */
import { join } from "node:path";
import { Low } from "lowdb";
import { DurableFile, handled, isTempFile, type WriteTracker } from "./durable-file.js";
import { corruptFileError, errnoCode, unreadableFileError } from "./errors.js";
import type { SnapshotUnit } from "./sharded-collection.js";

/** A chunk file: the entries plus fixed header fields (e.g. the ledger's delivery name). */
export type ChunkFile<T> = Record<string, unknown> & { entries: T[] };

export interface ChunkedLogOptions {
  dir: string;
  chunkSize: number;
  tracker: WriteTracker;
  /** Fields written into every chunk (e.g. { delivery }). */
  header?: Record<string, unknown>;
  /** Checks one entry when loading; returns why it is invalid, or undefined. */
  validateEntry?: (entry: unknown) => string | undefined;
  /** Appends only change memory; checkpoint.ts writes the chunks (see above). */
  deferred?: boolean;
  /** Each chunk's writes start at least this far apart (DurableFile's minGapMs). */
  minGapMs?: number;
}

interface Chunk<T> {
  no: number;
  low: Low<ChunkFile<T>>;
  file: DurableFile<ChunkFile<T>>;
  /** JSON of entries[0..json.length): entries never change, so each is stringified once. */
  json: string[];
}

const CHUNK_NAME = /^(\d{6,})\.json$/;

export function chunkFileName(no: number): string {
  return `${String(no).padStart(6, "0")}.json`;
}

export class ChunkedLog<T> {
  readonly dir: string;
  #opts: ChunkedLogOptions;
  readonly #chunks: Chunk<T>[] = [];
  readonly #dirty = new Set<Chunk<T>>();
  #length = 0;
  /** The lsn of the newest entry the files held when opened (deferred logs). */
  loadedMark = 0;

  private constructor(opts: ChunkedLogOptions) {
    this.dir = opts.dir;
    this.#opts = opts;
  }

  /** A log whose folder does not exist yet; it is created with the first append. */
  static empty<T>(opts: ChunkedLogOptions): ChunkedLog<T> {
    return new ChunkedLog<T>(opts);
  }

  /** Reads every chunk in the folder; a corrupt or foreign file stops start-up. */
  static async open<T>(opts: ChunkedLogOptions): Promise<ChunkedLog<T>> {
    const log = new ChunkedLog<T>(opts);
    let names: string[] = [];
    try {
      names = await opts.tracker.fs.readdir(opts.dir);
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") throw unreadableFileError(opts.dir, e);
    }
    const numbers: number[] = [];
    for (const name of names) {
      if (isTempFile(name)) continue;
      const m = CHUNK_NAME.exec(name);
      if (!m) throw corruptFileError(join(opts.dir, name), "unexpected file in a chunked log folder (expected 000001.json, 000002.json, …)");
      numbers.push(Number(m[1]));
    }
    numbers.sort((a, b) => a - b);
    const chunks = numbers.map((no) => log.#makeChunk(no));
    await Promise.all(chunks.map((c) => c.low.read()));
    for (const c of chunks) {
      log.#chunks.push(c);
      log.#length += c.low.data.entries.length;
    }
    const lsn = chunks[chunks.length - 1]?.low.data.lsn;
    log.loadedMark = typeof lsn === "number" ? lsn : 0;
    return log;
  }

  #makeChunk(no: number): Chunk<T> {
    const path = join(this.dir, chunkFileName(no));
    const { validateEntry, header } = this.#opts;
    const json: string[] = [];
    const file = new DurableFile<ChunkFile<T>>(path, this.#opts.tracker, {
      eager: this.#opts.deferred ?? false,
      minGapMs: this.#opts.minGapMs ?? 0,
      serialize: (data) => {
        const { entries, ...rest } = data;
        for (let i = json.length; i < entries.length; i++) json.push(JSON.stringify(entries[i]) ?? "null");
        const head = JSON.stringify(rest);
        return `${head.length > 2 ? `${head.slice(0, -1)},` : "{"}"entries":[${json.join(",")}]}`;
      },
      validate: (data) => {
        if (typeof data !== "object" || data === null || Array.isArray(data)) return "expected an object";
        const entries = (data as { entries?: unknown }).entries;
        if (!Array.isArray(entries)) return `expected "entries" to be an array`;
        const lsn = (data as { lsn?: unknown }).lsn;
        if (lsn !== undefined && !(Number.isSafeInteger(lsn) && (lsn as number) >= 0)) return `"lsn" must be a whole number`;
        for (const [k, v] of Object.entries(header ?? {})) {
          if ((data as Record<string, unknown>)[k] !== v) return `expected "${k}" to be ${JSON.stringify(v)}`;
        }
        if (validateEntry) {
          for (let i = 0; i < entries.length; i++) {
            const problem = validateEntry(entries[i]);
            if (problem !== undefined) return `entry ${i}: ${problem}`;
          }
        }
        return undefined;
      },
    });
    const low = new Low<ChunkFile<T>>(file, { ...header, entries: [] });
    return { no, low, file, json };
  }

  /** Sets the header written into chunks created from now on (for logs opened before it was known). */
  setHeader(header: Record<string, unknown>): void {
    this.#opts = { ...this.#opts, header };
  }

  get length(): number {
    return this.#length;
  }

  /** The loaded chunks' contents, oldest first (for reading header fields). */
  chunkData(): readonly ChunkFile<T>[] {
    return this.#chunks.map((c) => c.low.data);
  }

  /** The newest entry (the stored copy). */
  last(): T | undefined {
    const tail = this.#chunks[this.#chunks.length - 1];
    return tail?.low.data.entries[tail.low.data.entries.length - 1];
  }

  entries(): T[] {
    const out: T[] = [];
    for (const c of this.#chunks) for (const e of c.low.data.entries) out.push(e);
    return out;
  }

  /**
   * Adds a copy of the entry in memory at once; the promise settles when its chunk is on disk.
   * Throws (before changing anything) for an entry JSON cannot hold.
   */
  append(entry: T): Promise<void> {
    const text = JSON.stringify(entry);
    if (text === undefined) throw new TypeError("entry cannot be stored as JSON");
    const tail = this.#push(JSON.parse(text) as T);
    return handled(tail.low.write());
  }

  /** Adds the entry (the caller's own copy) in memory, as journal line `lsn`; a checkpoint writes it. */
  appendDeferred(entry: T, lsn: number): void {
    const tail = this.#push(entry);
    tail.low.data.lsn = lsn;
    this.#dirty.add(tail);
  }

  #push(copy: T): Chunk<T> {
    let tail = this.#chunks[this.#chunks.length - 1];
    if (!tail || tail.low.data.entries.length >= this.#opts.chunkSize) {
      tail = this.#makeChunk((tail?.no ?? 0) + 1);
      this.#chunks.push(tail);
    }
    tail.low.data.entries.push(copy);
    this.#length++;
    return tail;
  }

  /** The chunks changed since written, oldest first (so a later chunk's mark never covers an unwritten earlier one). */
  takeDirty(): SnapshotUnit[] {
    const out: SnapshotUnit[] = [];
    for (const c of [...this.#dirty].sort((a, b) => a.no - b.no)) {
      out.push({
        name: c.file.path,
        mark: () => (typeof c.low.data.lsn === "number" ? c.low.data.lsn : 0),
        write: () => handled(c.low.write()),
        redirty: () => void this.#dirty.add(c),
      });
    }
    this.#dirty.clear();
    return out;
  }

  /** Waits for this log's writes; retries chunks a failed write left dirty. */
  async flush(): Promise<void> {
    await Promise.all(this.#chunks.map((c) => c.file.flush()));
  }
}
