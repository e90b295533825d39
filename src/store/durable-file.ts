/**
 * A lowdb Adapter for one JSON file that only reports a write as done once it is on disk.
 *
 * Each write goes to a fresh temp file next to the target, is fsynced, renamed over the target
 * and the directory is fsynced, so a crash leaves either the old or the new file and never a
 * half-written one. Measured here (ext4 on a virtio disk, not tmpfs): fsync + directory fsync
 * add about 0.3–0.5 ms per write (p50 0.45 vs 0.20 ms for a 2 KB file, 1.15 vs 0.83 ms for
 * 400 KB; at 450 writes/s p99 16 ms with the directory fsync, 4 ms without), so durability is on
 * by default and directory fsyncs are group-committed per folder (WriteTracker.syncDir);
 * `fsync: false` exists for tests and benchmarks only.
 *
 * Group commit: while a write is in flight, later write() calls are merged into the next write
 * (which serialises the newest data) and all their promises settle together. Writes requested in
 * the same tick are merged too (the write starts on the next microtask).
 *
 * A failed write (ENOSPC, EROFS, …) rejects the promises of its batch with a StoreWriteError; the
 * caller's change stays in memory and the file stays dirty, so the next successful write of the
 * file persists it, and the shared WriteTracker retries dirty files once another write succeeds
 * (the disk came back) and at flush()/close().
 */
import { basename, dirname } from "node:path";
import type { Adapter } from "lowdb";
import { StoreError, StoreWriteError, corruptFileError, describe, errnoCode, unreadableFileError } from "./errors.js";
import type { StoreFs } from "./fs.js";
import { deferred, type Deferred } from "./deferred.js";

/** pino-compatible subset. */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: StoreLogger = { info() {}, warn() {}, error() {} };


/**
 * Marks a write promise as handled so that a caller who drops it cannot crash the process with an
 * unhandled rejection (the tracker logs the failure); a caller who awaits it still gets the error.
 */
export function handled(p: Promise<void>): Promise<void> {
  p.catch(() => {});
  return p;
}

/** Files that end like this are leftovers of an interrupted write; they never hold committed data. */
export const TEMP_SUFFIX = ".tmp";

export function isTempFile(name: string): boolean {
  return name.endsWith(TEMP_SUFFIX);
}

interface DirSyncState {
  running: Promise<void> | null;
  next: Promise<void> | null;
}

/**
 * The I/O state shared by every file of one open store: the file-system layer and fsync setting,
 * start-up read slots, per-folder directory fsyncs, the dirty files to retry, and whether the
 * store is closed.
 */
export class WriteTracker {
  readonly fs: StoreFs;
  readonly fsync: boolean;
  readonly log: StoreLogger;
  closed = false;
  readonly #files = new Set<DurableFile<unknown>>();
  readonly #dirty = new Set<DurableFile<unknown>>();
  readonly #readyDirs = new Set<string>();
  readonly #dirSyncs = new Map<string, DirSyncState>();
  /** Start-up reads run a few at a time: the peak of file texts alive at once (and so RSS) stays small. */
  readonly #readSlots: (() => void)[] = [];
  #reading = 0;
  static readonly READ_CONCURRENCY = 4;

  constructor(opts: { fs: StoreFs; fsync: boolean; log?: StoreLogger }) {
    this.fs = opts.fs;
    this.fsync = opts.fsync;
    this.log = opts.log ?? silentLogger;
  }

  register(file: DurableFile<unknown>): void {
    this.#files.add(file);
  }

  /** Creates the directory once per store (new shards and chunks may live in a new folder). */
  async ensureDir(dir: string): Promise<void> {
    if (this.#readyDirs.has(dir)) return;
    await this.fs.mkdir(dir);
    this.#readyDirs.add(dir);
  }

  async withReadSlot<R>(fn: () => Promise<R>): Promise<R> {
    if (this.#reading >= WriteTracker.READ_CONCURRENCY) await new Promise<void>((r) => this.#readSlots.push(r));
    this.#reading++;
    try {
      return await fn();
    } finally {
      this.#reading--;
      this.#readSlots.shift()?.();
    }
  }

  /**
   * fsyncs a directory so the renames made in it so far are durable. Group commit: while one fsync
   * of the directory is in flight, later callers share the next one (which starts after their
   * rename, as it must), so many shard writes in one folder cost few directory fsyncs.
   */
  syncDir(dir: string): Promise<void> {
    let state = this.#dirSyncs.get(dir);
    if (!state) this.#dirSyncs.set(dir, (state = { running: null, next: null }));
    if (!state.running) return this.#startDirSync(dir, state);
    state.next ??= state.running.then(
      () => this.#startDirSync(dir, state),
      () => this.#startDirSync(dir, state),
    );
    return state.next;
  }

  #startDirSync(dir: string, state: DirSyncState): Promise<void> {
    state.next = null;
    const running = this.fs.syncDir(dir);
    state.running = running;
    const clear = () => {
      if (state.running === running) state.running = null;
    };
    running.then(clear, clear);
    return running;
  }

  get dirtyFiles(): string[] {
    return [...this.#dirty].map((f) => f.path);
  }

  failed(file: DurableFile<unknown>, err: unknown): void {
    this.#dirty.add(file);
    this.log.error({ err, file: file.path }, "store write failed; change kept in memory, will retry");
  }

  succeeded(file: DurableFile<unknown>): void {
    if (!file.dirty) this.#dirty.delete(file);
    if (this.#dirty.size === 0) return;
    // The disk accepts writes again: persist what earlier failures left behind.
    for (const other of this.#dirty) {
      if (other !== file && !other.busy) {
        other.flush().catch((err: unknown) => this.log.warn({ err, file: other.path }, "store retry failed"));
      }
    }
  }

  /** Waits for every pending write and retries dirty files; rejects if something is still not on disk. */
  async flushAll(): Promise<void> {
    const results = await Promise.allSettled([...this.#files].map((f) => f.flush()));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failures.length > 0) throw failures[0]!.reason;
  }
}

export interface DurableFileOptions<T> {
  /** Checks parsed content; returns why it is not what this file should hold, or undefined. */
  validate?: (data: unknown) => string | undefined;
  /**
   * Turns the file's bytes into the data instead of JSON.parse + validate (a shard file,
   * shard-file.ts); throws the corrupt-file error when they are not what this file should hold.
   */
  decode?: (bytes: Buffer) => T;
  /** Turns the data into the file's content (default JSON.stringify); must produce equivalent JSON. */
  serialize?: (data: T) => string | Uint8Array;
  /**
   * Serialise when write() is called, not when the write starts (a snapshot file: the checkpoint
   * decides the moment, checkpoint.ts). A failed eager write is not retried here: the checkpoint
   * keeps the file dirty and writes it again.
   */
  eager?: boolean;
  /**
   * A write starts at least this long after the previous one finished: a file written on every
   * change of a busy stream (a broadcast's ledger chunk, backed by the send journal meanwhile)
   * then costs a few large group commits, not hundreds. Default 0: the next write starts at once.
   */
  minGapMs?: number;
}

export class DurableFile<T> implements Adapter<T> {
  readonly path: string;
  readonly #tracker: WriteTracker;
  readonly #validate: ((data: unknown) => string | undefined) | undefined;
  readonly #decode: ((bytes: Buffer) => T) | undefined;
  readonly #serialize: (data: T) => string | Uint8Array;
  readonly #eager: boolean;
  readonly #minGapMs: number;
  #lastDone = 0;
  #pending: { data: T; bytes: string | Uint8Array | undefined; done: Deferred } | null = null;
  #loop: Promise<void> | null = null;
  /** Changes requested / changes known to be on disk (counters; equal when clean). */
  #requested = 0;
  #persisted = 0;
  #last: { data: T } | null = null;
  #tmpSeq = 0;

  constructor(path: string, tracker: WriteTracker, opts: DurableFileOptions<T> = {}) {
    this.path = path;
    this.#tracker = tracker;
    this.#validate = opts.validate;
    this.#decode = opts.decode;
    this.#serialize = opts.serialize ?? ((data) => JSON.stringify(data));
    this.#eager = opts.eager ?? false;
    this.#minGapMs = opts.minGapMs ?? 0;
    tracker.register(this as DurableFile<unknown>);
  }

  /** Some change is only in memory (not yet written, or its write failed). */
  get dirty(): boolean {
    return this.#persisted < this.#requested;
  }

  /** A write is scheduled or in flight. */
  get busy(): boolean {
    return this.#loop !== null;
  }

  /** The parsed file, or null when it does not exist. Never modifies the file. */
  read(): Promise<T | null> {
    return this.#tracker.withReadSlot(() => this.#read());
  }

  async #read(): Promise<T | null> {
    const decode = this.#decode;
    const { fs } = this.#tracker;
    let content: Buffer | string;
    try {
      content = decode ? await fs.readBytes(this.path) : await fs.readFile(this.path);
    } catch (e) {
      if (errnoCode(e) === "ENOENT") return null;
      throw unreadableFileError(this.path, e);
    }
    if (decode) return decode(content as Buffer);
    const text = content as string;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw corruptFileError(this.path, text.length === 0 ? "file is empty" : `invalid JSON (${describe(e)})`, e);
    }
    const problem = this.#validate?.(data);
    if (problem !== undefined) throw corruptFileError(this.path, problem);
    return data as T;
  }

  /** Resolves once `data` (or newer data merged with it) is durably on disk. */
  write(data: T): Promise<void> {
    if (this.#tracker.closed) return Promise.reject(new StoreError(`store is closed; cannot write ${this.path}`));
    this.#requested++;
    this.#last = { data };
    return this.#enqueue(data);
  }

  #enqueue(data: T): Promise<void> {
    const bytes = this.#eager ? this.#serialize(data) : undefined;
    if (this.#pending) {
      this.#pending.data = data;
      this.#pending.bytes = bytes;
      return this.#pending.done.promise;
    }
    const done = deferred();
    this.#pending = { data, bytes, done };
    this.#loop ??= this.#run();
    return done.promise;
  }

  /** Waits for the writes in flight; if the file is still dirty, writes it again (rejects if that fails). */
  async flush(): Promise<void> {
    while (this.#loop) await this.#loop;
    if (this.dirty && this.#last) {
      if (this.#tracker.closed) throw new StoreError(`store is closed; ${this.path} has unsaved changes`);
      await this.#enqueue(this.#last.data);
    }
  }

  async #run(): Promise<void> {
    await Promise.resolve(); // let writes requested in the same tick join this one
    while (this.#pending) {
      const gap = this.#lastDone + this.#minGapMs - Date.now();
      if (gap > 0) await new Promise((r) => setTimeout(r, gap)); // what arrives meanwhile joins this write
      const batch = this.#pending;
      this.#pending = null;
      const upTo = this.#requested;
      try {
        await this.#commit(batch.bytes ?? this.#serialize(batch.data));
        this.#persisted = Math.max(this.#persisted, upTo);
        batch.done.resolve();
        this.#tracker.succeeded(this as DurableFile<unknown>);
      } catch (e) {
        const err = e instanceof StoreError ? e : new StoreWriteError(this.path, e);
        batch.done.reject(err);
        if (this.#eager) this.#persisted = Math.max(this.#persisted, upTo); // the checkpoint retries it
        else this.#tracker.failed(this as DurableFile<unknown>, err);
      }
      if (this.#minGapMs > 0) this.#lastDone = Date.now();
    }
    this.#loop = null;
  }

  async #commit(text: string | Uint8Array): Promise<void> {
    const { fs, fsync } = this.#tracker;
    const dir = dirname(this.path);
    await this.#tracker.ensureDir(dir);
    const tmp = `${dir}/.${basename(this.path)}.${process.pid}-${++this.#tmpSeq}${TEMP_SUFFIX}`;
    try {
      await fs.writeFile(tmp, text, fsync);
      await fs.rename(tmp, this.path);
    } catch (e) {
      // Nothing half-written may remain; if even the unlink fails, the next start-up removes it.
      await fs.unlink(tmp).catch(() => {});
      throw e;
    }
    if (fsync) await this.#tracker.syncDir(dir);
  }
}
