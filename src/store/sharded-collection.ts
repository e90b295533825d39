/**
 * A keyed collection split over N shard files (<dir>/000.json … by key hash), each a lowdb `Low`
 * with a DurableFile adapter. The shard files are snapshots: a change lands in memory at once (and
 * in the journal, commit-log.ts), marks its shard dirty, and checkpoint.ts writes dirty shards in
 * the background. Each shard file carries "tx": the newest journal lsn whose change it holds, so
 * replay at open skips what a shard already has. Reads are synchronous from memory.
 *
 * put() takes the record's JSON (see shard-image.ts for how a shard is written without
 * re-serialising it whole); returned records are the stored objects, so callers must not mutate
 * them without putting them again.
 */
import { join } from "node:path";
import { Low } from "lowdb";
import { DurableFile, handled, isTempFile, type WriteTracker } from "./durable-file.js";
import { corruptFileError, errnoCode, unreadableFileError } from "./errors.js";
import { shardOf } from "./hash.js";
import { ShardImage } from "./shard-image.js";

export interface ShardFile<T> {
  records: Record<string, T>;
  /** The newest journal lsn (commit-log.ts) whose change this shard holds (older files: a transaction number). */
  tx?: number;
}

export function shardFileName(i: number): string {
  return `${String(i).padStart(3, "0")}.json`;
}

/** Checks a shard file: its shape, and that every record has its key and belongs in this shard. */
function shardValidator<T>(i: number, n: number, keyOf: (r: T) => string): (data: unknown) => string | undefined {
  return (data) => {
    if (typeof data !== "object" || data === null || Array.isArray(data)) return "expected an object";
    const records = (data as { records?: unknown }).records;
    if (typeof records !== "object" || records === null || Array.isArray(records)) return `expected "records" to be an object`;
    const tx = (data as { tx?: unknown }).tx;
    if (tx !== undefined && !(Number.isSafeInteger(tx) && (tx as number) > 0)) return `"tx" must be a positive whole number`;
    for (const k in records) {
      const v = (records as Record<string, unknown>)[k];
      if (typeof v !== "object" || v === null) return `record "${k}" is not an object`;
      const key = keyOf(v as T);
      if (key !== k) return `record "${k}" has key "${key}"`;
      if (shardOf(k, n) !== i) return `record "${k}" belongs in ${shardFileName(shardOf(k, n))}`;
    }
    return undefined;
  };
}

export interface ShardedCollectionOptions<T> {
  dir: string;
  shards: number;
  key: (record: T) => string;
  tracker: WriteTracker;
}

export class ShardedCollection<T> {
  readonly dir: string;
  readonly #key: (record: T) => string;
  readonly #shards: Low<ShardFile<T>>[];
  readonly #images: ShardImage<T>[];
  /** Shards changed since they were last written (checkpoint.ts writes them). */
  readonly #dirty = new Set<number>();
  #size = 0;

  private constructor(opts: ShardedCollectionOptions<T>, shards: Low<ShardFile<T>>[], images: ShardImage<T>[]) {
    this.dir = opts.dir;
    this.#key = opts.key;
    this.#shards = shards;
    this.#images = images;
  }

  /** Reads every shard; a corrupt file or a file that does not belong to the layout stops start-up. */
  static async open<T>(opts: ShardedCollectionOptions<T>): Promise<ShardedCollection<T>> {
    const { dir, shards: n, tracker } = opts;
    if (!Number.isInteger(n) || n < 1) throw new Error(`bad shard count ${n} for ${dir}`);
    let names: string[] = [];
    try {
      names = await tracker.fs.readdir(dir);
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") throw unreadableFileError(dir, e);
    }
    const expected = new Set(Array.from({ length: n }, (_, i) => shardFileName(i)));
    for (const name of names) {
      if (!expected.has(name) && !isTempFile(name)) {
        throw corruptFileError(join(dir, name), `unexpected file: this collection has ${n} shards (${shardFileName(0)}…${shardFileName(n - 1)})`);
      }
    }
    const images = Array.from({ length: n }, () => new ShardImage<T>(tracker.images));
    const lows = Array.from({ length: n }, (_, i) => {
      const file = new DurableFile<ShardFile<T>>(join(dir, shardFileName(i)), tracker, {
        validate: shardValidator(i, n, opts.key),
        eager: true,
        serialize: (data) => images[i]!.serialize(data.records, data.tx),
      });
      return new Low<ShardFile<T>>(file, { records: Object.create(null) as Record<string, T> });
    });
    await Promise.all(lows.map((low) => low.read()));
    const col = new ShardedCollection(opts, lows, images);
    for (const low of lows) {
      // Null prototype: get("constructor") finds nothing, and no key can reach Object.prototype.
      Object.setPrototypeOf(low.data.records, null);
      for (const _ in low.data.records) col.#size++;
    }
    return col;
  }

  get size(): number {
    return this.#size;
  }

  keyOf(record: T): string {
    return this.#key(record);
  }

  /** The newest transaction number recorded in any shard (as loaded or since applied). */
  get lastTx(): number {
    let max = 0;
    for (const low of this.#shards) max = Math.max(max, low.data.tx ?? 0);
    return max;
  }

  /** The transaction mark of the shard that holds the key (as in memory). */
  txOf(key: string): number {
    return this.#shards[this.#index(key)]!.data.tx ?? 0;
  }

  #index(key: string): number {
    return shardOf(key, this.#shards.length);
  }

  get(key: string): T | undefined {
    return this.#shards[this.#index(key)]!.data.records[key];
  }

  *values(): IterableIterator<T> {
    for (const low of this.#shards) yield* Object.values(low.data.records);
  }

  all(): T[] {
    const out: T[] = [];
    for (const low of this.#shards) for (const k in low.data.records) out.push(low.data.records[k]!);
    return out;
  }

  /**
   * Stores the record in memory (`record` must be the caller's own copy, `json` its JSON) and marks
   * its shard dirty with the lsn; returns the record it replaced.
   */
  put(record: T, mark: number, json: string | undefined): T | undefined {
    const key = this.#key(record);
    const i = this.#index(key);
    const low = this.#shards[i]!;
    const previous = low.data.records[key];
    if (previous === undefined) this.#size++;
    low.data.records[key] = record;
    this.#touch(i, mark);
    this.#images[i]!.changed(key, json);
    return previous;
  }

  delete(key: string, mark: number): T | undefined {
    const i = this.#index(key);
    const low = this.#shards[i]!;
    const previous = low.data.records[key];
    this.#touch(i, mark);
    if (previous === undefined) return undefined;
    delete low.data.records[key];
    this.#images[i]!.deleted(key);
    this.#size--;
    return previous;
  }

  #touch(i: number, mark: number): void {
    const low = this.#shards[i]!;
    if (mark > (low.data.tx ?? 0)) low.data.tx = mark;
    this.#dirty.add(i);
  }

  /** The shards changed since they were written, as units for a checkpoint (they are no longer dirty). */
  takeDirty(): SnapshotUnit[] {
    const out: SnapshotUnit[] = [];
    for (const i of [...this.#dirty].sort((a, b) => a - b)) {
      const low = this.#shards[i]!;
      out.push({
        name: join(this.dir, shardFileName(i)),
        mark: () => low.data.tx ?? 0,
        write: () => handled(low.write()),
        redirty: () => void this.#dirty.add(i),
      });
    }
    this.#dirty.clear();
    return out;
  }

  /** Bulk load (migrations): all records in memory, then every touched shard written. */
  async putMany(records: Iterable<T>): Promise<void> {
    for (const r of records) {
      const json = JSON.stringify(r);
      this.put(JSON.parse(json) as T, 0, json);
    }
    await Promise.all(this.takeDirty().map((u) => u.write()));
  }
}

/** One snapshot file a checkpoint may write: its mark is read at the moment of writing. */
export interface SnapshotUnit {
  readonly name: string;
  /** The newest lsn the file would hold if written now. */
  mark(): number;
  /** Serialises now (synchronously, as lowdb's write calls the adapter) and resolves once on disk. */
  write(): Promise<void>;
  /** Puts it back among the dirty (its write failed or was not reached). */
  redirty(): void;
}
