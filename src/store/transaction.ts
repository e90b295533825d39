/**
 * The embedded store's unit of work: a commit record, then the changes, with recovery on open.
 *
 * A transaction's writes are buffered (its reads see them). When its function resolves:
 *  1. the whole change list is written to DATA_DIR/txn/<n>.json (temp file, fsync, rename, folder
 *     fsync): this is the commit point, and transaction() resolves once it is on disk;
 *  2. the changes are applied to memory in one synchronous step, and the shards they touch are marked
 *     with the transaction's number n (the mark is written in the shard file, "tx": n);
 *  3. once every touched file is on disk, txn/<n>.json is removed.
 * After kill -9 at any moment, open() replays every txn/<n>.json left, oldest first: a change to a
 * shard whose file already carries a mark ≥ n is already there (and may since have been overwritten
 * by a newer, acknowledged write, which replay must not undo) and is skipped; an audit entry already
 * in the log is skipped. So a transaction is either wholly absent (crash before its commit record)
 * or wholly present. Transactions run one at a time; plain writes may interleave with them.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { join } from "node:path";
import { TEMP_SUFFIX, handled, isTempFile, type WriteTracker } from "./durable-file.js";
import { StoreError, StoreWriteError, corruptFileError, describe, errnoCode, unreadableFileError } from "./errors.js";
import type { Audit, Broadcasts, Deadlines, Declarations, Drafts, Sessions, Users } from "./repos.js";
import type { AuditRecord, BroadcastRecord, DeadlineRecord, DeclarationRecord, DraftRecord, SessionRecord, StoreTx, UserRecord } from "./types.js";

export const TXN_DIR = "txn";

export interface TxRepos {
  users: Users;
  sessions: Sessions;
  drafts: Drafts;
  declarations: Declarations;
  deadlines: Deadlines;
  broadcasts: Broadcasts;
  audit: Audit;
}

type KeyedName = Exclude<keyof TxRepos, "audit">;
const KEYED: readonly KeyedName[] = ["users", "sessions", "drafts", "declarations", "deadlines", "broadcasts"];

export type TxOp = { c: KeyedName; op: "put"; record: Record<string, unknown> } | { c: KeyedName; op: "delete"; key: string } | { c: "audit"; op: "append"; entry: AuditRecord };

interface TxFile {
  seq: number;
  ops: TxOp[];
}

const txFileName = (seq: number) => `${String(seq).padStart(12, "0")}.json`;
const TX_NAME = /^(\d{12,})\.json$/;

const clone = <T>(v: T, what: string): T => {
  const json = JSON.stringify(v);
  if (json === undefined) throw new TypeError(`${what} cannot be stored as JSON`);
  return JSON.parse(json) as T;
};

function validateTxFile(data: unknown): string | undefined {
  if (typeof data !== "object" || data === null) return "expected an object";
  const { seq, ops } = data as Partial<TxFile>;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return `"seq" must be a positive whole number`;
  if (!Array.isArray(ops)) return `"ops" must be an array`;
  for (const [i, op] of ops.entries()) {
    const o = op as Partial<Record<string, unknown>>;
    if (o.c === "audit") {
      if (o.op !== "append" || typeof o.entry !== "object" || o.entry === null) return `ops[${i}]: bad audit append`;
    } else if (KEYED.includes(o.c as KeyedName)) {
      if (o.op === "put" && (typeof o.record !== "object" || o.record === null)) return `ops[${i}]: put without a record`;
      if (o.op === "delete" && typeof o.key !== "string") return `ops[${i}]: delete without a key`;
      if (o.op !== "put" && o.op !== "delete") return `ops[${i}]: unknown op`;
    } else return `ops[${i}]: unknown collection ${JSON.stringify(o.c)}`;
  }
  return undefined;
}

export class Transactions {
  readonly #dir: string;
  readonly #tracker: WriteTracker;
  readonly #repos: TxRepos;
  #seq: number;
  /** Transactions run one at a time: the tail of the queue. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #inside = new AsyncLocalStorage<true>();
  /** Commit records whose changes are not yet all on disk. */
  readonly #open = new Set<number>();
  #tmpSeq = 0;

  private constructor(dir: string, tracker: WriteTracker, repos: TxRepos, lastSeq: number) {
    this.#dir = dir;
    this.#tracker = tracker;
    this.#repos = repos;
    this.#seq = lastSeq;
  }

  /** Replays the commit records a crash left behind, then accepts new transactions. */
  static async open(dataDir: string, tracker: WriteTracker, repos: TxRepos): Promise<Transactions> {
    const dir = join(dataDir, TXN_DIR);
    let names: string[] = [];
    try {
      names = await tracker.fs.readdir(dir);
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") throw unreadableFileError(dir, e);
    }
    const files: TxFile[] = [];
    for (const name of names.sort()) {
      if (isTempFile(name)) continue;
      const path = join(dir, name);
      if (!TX_NAME.test(name)) throw corruptFileError(path, "unexpected file in txn/ (expected 000000000001.json, …)");
      let text: string;
      try {
        text = await tracker.fs.readFile(path);
      } catch (e) {
        throw unreadableFileError(path, e);
      }
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch (e) {
        throw corruptFileError(path, `invalid JSON (${describe(e)})`, e);
      }
      const problem = validateTxFile(data);
      if (problem) throw corruptFileError(path, problem);
      files.push(data as TxFile);
    }
    let last = 0;
    for (const name of KEYED) last = Math.max(last, repos[name].lastTx);
    for (const f of files) last = Math.max(last, f.seq);
    const txs = new Transactions(dir, tracker, repos, last);
    if (files.length > 0) {
      files.sort((a, b) => a.seq - b.seq);
      const writes: Promise<void>[] = [];
      for (const f of files) writes.push(...txs.#apply(f.seq, f.ops, true));
      await Promise.all(writes);
      for (const f of files) await txs.#remove(f.seq);
      tracker.log.info({ replayed: files.length }, "store: replayed transactions interrupted by a crash");
    }
    return txs;
  }

  /** Applies the changes in one synchronous step; returns the writes' promises. */
  #apply(seq: number, ops: readonly TxOp[], recovering: boolean): Promise<void>[] {
    const writes: Promise<void>[] = [];
    let auditJson: Set<string> | undefined;
    for (const op of ops) {
      if (op.c === "audit") {
        if (recovering) {
          auditJson ??= new Set(this.#repos.audit.log.entries().map((e) => JSON.stringify(e)));
          if (auditJson.has(JSON.stringify(op.entry))) continue;
        }
        writes.push(this.#repos.audit.appendNow(op.entry));
        continue;
      }
      const repo = this.#repos[op.c] as unknown as RepoCore;
      if (op.op === "put") {
        if (recovering && repo.markOf(repo.keyOf(op.record)) >= seq) continue;
        writes.push(repo.putNow(op.record, seq));
      } else {
        if (recovering && repo.markOf(op.key) >= seq) continue;
        writes.push(repo.deleteNow(op.key, seq));
      }
    }
    return writes;
  }

  async #writeCommit(file: TxFile): Promise<void> {
    const { fs, fsync } = this.#tracker;
    await this.#tracker.ensureDir(this.#dir);
    const target = join(this.#dir, txFileName(file.seq));
    const tmp = join(this.#dir, `.${txFileName(file.seq)}.${process.pid}-${++this.#tmpSeq}${TEMP_SUFFIX}`);
    try {
      await fs.writeFile(tmp, JSON.stringify(file), fsync);
      await fs.rename(tmp, target);
    } catch (e) {
      await fs.unlink(tmp).catch(() => {});
      throw new StoreWriteError(target, e);
    }
    if (fsync) await this.#tracker.syncDir(this.#dir);
  }

  async #remove(seq: number): Promise<void> {
    // Not fsynced: a commit record that comes back after a power cut is replayed harmlessly.
    await this.#tracker.fs.unlink(join(this.#dir, txFileName(seq))).catch((e: unknown) => {
      if (errnoCode(e) !== "ENOENT") throw e;
    });
    this.#open.delete(seq);
  }

  run<R>(fn: (tx: StoreTx) => Promise<R>): Promise<R> {
    if (this.#inside.getStore()) return Promise.reject(new StoreError("transactions do not nest: use the tx you were given"));
    if (this.#tracker.closed) return Promise.reject(new StoreError("store is closed; cannot start a transaction"));
    const result = this.#queue.then(() => this.#inside.run(true, () => this.#runOne(fn)));
    this.#queue = result.catch(() => {});
    return result;
  }

  async #runOne<R>(fn: (tx: StoreTx) => Promise<R>): Promise<R> {
    const ops: TxOp[] = [];
    /** Buffered state per collection and key: a record, or null once deleted. */
    const pending = new Map<string, Record<string, unknown> | null>();
    const slot = (c: string, key: string) => `${c}\u0000${key}`;
    const r = this.#repos;
    const keyed = <T>(c: KeyedName, keyOf: (k: never) => string) => {
      const repo = r[c] as unknown as RepoCore;
      return {
        get: async (k: never): Promise<T | undefined> => {
          const s = slot(c, keyOf(k));
          if (pending.has(s)) return (pending.get(s) ?? undefined) as T | undefined;
          return repo.peek(keyOf(k)) as T | undefined;
        },
        put: async (record: T): Promise<void> => {
          const copy = clone(record, `${c} record`) as Record<string, unknown>;
          repo.check(copy);
          ops.push({ c, op: "put", record: copy });
          pending.set(slot(c, repo.keyOf(copy)), copy);
        },
        delete: async (k: never): Promise<void> => {
          const key = keyOf(k);
          ops.push({ c, op: "delete", key });
          pending.set(slot(c, key), null);
        },
      };
    };
    const tx: StoreTx = {
      users: keyed<UserRecord>("users", String),
      sessions: keyed<SessionRecord>("sessions", String),
      drafts: keyed<DraftRecord>("drafts", String),
      deadlines: keyed<DeadlineRecord>("deadlines", String),
      broadcasts: keyed<BroadcastRecord>("broadcasts", String),
      declarations: { ...keyed<DeclarationRecord>("declarations", String), nextRef: async (plan, year) => r.declarations.refs.next(plan, year) },
      audit: {
        append: async (entry) => {
          ops.push({ c: "audit", op: "append", entry: clone(entry, "audit entry") });
        },
      },
    };
    const value = await fn(tx);
    if (ops.length === 0) return value;
    const seq = ++this.#seq;
    await this.#writeCommit({ seq, ops });
    this.#open.add(seq);
    const writes = this.#apply(seq, ops, false);
    // The commit record goes once every change is on disk; if a write fails, the record stays (and is
    // replayed at the next open) while the tracker retries the file.
    handled(Promise.all(writes).then(() => this.#remove(seq)));
    return value;
  }

  /** Removes the commit records of transactions whose changes flushAll() has since written. */
  async settle(): Promise<void> {
    await this.#queue;
    for (const seq of [...this.#open]) await this.#remove(seq);
  }
}

/** What the transactions need of a keyed repository (repos.ts Keyed). */
interface RepoCore {
  peek(key: string): unknown;
  check(record: unknown): void;
  keyOf(record: unknown): string;
  markOf(key: string): number;
  putNow(record: unknown, tx?: number): Promise<void>;
  deleteNow(key: string, tx?: number): Promise<void>;
}
