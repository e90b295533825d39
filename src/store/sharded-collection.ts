/**
 * A keyed collection split over N shard files (<dir>/000.json … by key hash), each a lowdb `Low`
 * with a DurableFile adapter. The shard files are snapshots: a change lands in memory at once (and
 * in the journal, commit-log.ts), marks its shard dirty, and checkpoint.ts writes dirty shards in
 * the background. Each shard file carries "tx": the newest journal lsn whose change it holds, so
 * replay at open skips what a shard already has. Reads are synchronous from memory.
 *
 * The file format and the in-memory shard are shard-file.ts: opening checks each file's checksum
 * and finds its lines, and a record is parsed on first access. put() takes the record's JSON, so a
 * checkpoint writes a shard by copying the lines of unchanged records and adding the changed ones.
 * Returned records are the stored objects, so callers must not mutate them without putting them again.
 */
import { join } from "node:path";
import { Low } from "lowdb";
import { DurableFile, handled, isTempFile, type WriteTracker } from "./durable-file.js";
import { corruptFileError, errnoCode, unreadableFileError } from "./errors.js";
import { shardOf } from "./hash.js";
import { HEADS, KEYS, type Layout, type RecordTypes, type ShardedName } from "./layout.js";
import { Shard, shardFileName } from "./shard-file.js";

export { shardFileName } from "./shard-file.js";

export interface ShardedCollectionOptions<T> {
  dir: string;
  shards: number;
  key: (record: T) => string;
  /** The numbers the indexes need at open, kept beside each record in the file (shard-file.ts). */
  head: (record: T) => number[];
  heads: number;
  tracker: WriteTracker;
}

export class ShardedCollection<T> {
  readonly dir: string;
  readonly #key: (record: T) => string;
  readonly #shards: Low<Shard<T>>[];
  /** Shards changed since they were last written (checkpoint.ts writes them). */
  readonly #dirty = new Set<number>();
  #size = 0;

  private constructor(opts: ShardedCollectionOptions<T>, shards: Low<Shard<T>>[]) {
    this.dir = opts.dir;
    this.#key = opts.key;
    this.#shards = shards;
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
    const lows = Array.from({ length: n }, (_, i) => {
      const path = join(dir, shardFileName(i));
      const spec = { key: opts.key, head: opts.head, heads: opts.heads, index: i, shards: n };
      const file = new DurableFile<Shard<T>>(path, tracker, {
        decode: (bytes) => Shard.decode(spec, path, bytes),
        eager: true,
        serialize: (shard) => shard.encode(),
      });
      return new Low<Shard<T>>(file, new Shard<T>(spec, path));
    });
    await Promise.all(lows.map((low) => low.read()));
    const col = new ShardedCollection(opts, lows);
    for (const low of lows) col.#size += low.data.size;
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
    return this.#shards[this.#index(key)]!.data.get(key);
  }

  /** The record, without keeping it parsed if it was not (scans over many records). */
  peekTransient(key: string): T | undefined {
    return this.#shards[this.#index(key)]!.data.peek(key);
  }

  /** Every record (parsing those not accessed yet). */
  *values(): IterableIterator<T> {
    for (const low of this.#shards) yield* low.data.values();
  }

  *keys(): IterableIterator<string> {
    for (const low of this.#shards) yield* low.data.keys();
  }

  /** Every key with the numbers its index needs, without parsing the records (built at open; `head` is reused). */
  forEachHead(fn: (key: string, head: readonly number[]) => void): void {
    for (const low of this.#shards) low.data.forEachHead(fn);
  }

  all(): T[] {
    return [...this.values()];
  }

  /**
   * Stores the record in memory (`record` must be the caller's own copy, `json` its JSON) and marks
   * its shard dirty with the lsn; returns the record it replaced (with `previous` false, only when
   * it was parsed already: a caller that does not need it saves the parse).
   */
  put(record: T, mark: number, json: string | undefined, previous = true): T | undefined {
    const key = this.#key(record);
    const i = this.#index(key);
    const shard = this.#shards[i]!.data;
    if (!shard.has(key)) this.#size++;
    const replaced = shard.put(key, record, json, previous);
    this.#touch(i, mark);
    return replaced;
  }

  delete(key: string, mark: number): T | undefined {
    const i = this.#index(key);
    const shard = this.#shards[i]!.data;
    this.#touch(i, mark);
    if (!shard.has(key)) return undefined;
    this.#size--;
    return shard.delete(key);
  }

  #touch(i: number, mark: number): void {
    const shard = this.#shards[i]!.data;
    if (mark > (shard.tx ?? 0)) shard.tx = mark;
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

  /** Writes every shard that holds records (a format migration), keeping each shard's mark. */
  async rewriteAll(): Promise<void> {
    await Promise.all(this.#shards.filter((low) => low.data.size > 0).map((low) => handled(low.write())));
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

/** Opens one of the store's keyed collections, DATA_DIR/<name>/, with its layout's shard count, key and heads (layout.ts). */
export function openCollection<K extends ShardedName>(dataDir: string, name: K, layout: Layout, tracker: WriteTracker): Promise<ShardedCollection<RecordTypes[K]>> {
  return ShardedCollection.open<RecordTypes[K]>({
    dir: join(dataDir, name),
    shards: layout[name].shards,
    key: KEYS[name] as (r: RecordTypes[K]) => string,
    head: HEADS[name].of as (r: RecordTypes[K]) => number[],
    heads: HEADS[name].count,
    tracker,
  });
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
