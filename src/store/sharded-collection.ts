/**
 * A keyed collection split over N shard files (<dir>/000.json … by key hash), each a lowdb `Low`
 * with a DurableFile adapter. A change rewrites only its shard (1/N of the collection), and
 * concurrent changes to one shard are group-committed. Reads are synchronous from memory.
 *
 * put() keeps a JSON copy of the record (see shard-image.ts for how a shard is written without
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
  /** The newest transaction (transaction.ts) applied to this shard when it was written. */
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
   * Stores a copy of the record in memory at once (a JSON round trip, so memory holds exactly what
   * the file will; a record JSON cannot represent is refused here, before anything changes);
   * `done` settles when its shard is on disk.
   */
  put(record: T, tx?: number): { previous: T | undefined; done: Promise<void> } {
    const key = this.#key(record);
    const json = JSON.stringify(record);
    if (json === undefined) throw new TypeError(`record "${key}" cannot be stored as JSON`);
    const i = this.#index(key);
    const low = this.#shards[i]!;
    const previous = low.data.records[key];
    if (previous === undefined) this.#size++;
    low.data.records[key] = JSON.parse(json) as T;
    if (tx !== undefined) low.data.tx = Math.max(low.data.tx ?? 0, tx);
    this.#images[i]!.changed(key, json);
    return { previous, done: handled(low.write()) };
  }

  delete(key: string, tx?: number): { previous: T | undefined; done: Promise<void> } {
    const i = this.#index(key);
    const low = this.#shards[i]!;
    const previous = low.data.records[key];
    if (previous === undefined) {
      // Nothing to delete, but a transaction's mark must still reach the file (recovery compares it).
      if (tx === undefined || (low.data.tx ?? 0) >= tx) return { previous, done: Promise.resolve() };
      low.data.tx = tx;
      return { previous, done: handled(low.write()) };
    }
    if (tx !== undefined) low.data.tx = Math.max(low.data.tx ?? 0, tx);
    delete low.data.records[key];
    this.#images[i]!.deleted(key);
    this.#size--;
    return { previous, done: handled(low.write()) };
  }

  /** Bulk load (migrations, seeding): all records in memory, then one write per touched shard. */
  async putMany(records: Iterable<T>): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const r of records) writes.push(this.put(r).done);
    await Promise.all(writes);
  }
}
