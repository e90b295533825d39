/**
 * The embedded store's unit of work: a transaction is one journal line (commit-log.ts).
 *
 * A transaction's writes are buffered (its reads see them). When its function resolves, its
 * changes are applied to memory in one synchronous step under the line's lsn, and transaction()
 * resolves once that one line is on disk. A line is all or nothing (a torn last line is dropped at
 * replay), and the snapshot files are only written with changes whose lines are on disk
 * (checkpoint.ts), so after kill -9 at any moment a transaction is either wholly there or wholly
 * absent. Transactions run one at a time; plain writes may interleave with them.
 *
 * Replay at open (replayJournal) applies the journal's lines in lsn order, skipping a change whose
 * shard already holds that lsn (its "tx" mark) and an audit entry the audit chunks already hold.
 *
 * Folders written by the earlier design may still hold commit records, DATA_DIR/txn/<n>.json, left
 * by a crash: they are replayed once at open (the old rules: a shard whose mark is ≥ n already has
 * the change; an audit entry already in the log is skipped), written to the journal, and removed.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { join } from "node:path";
import { listSegments, readSegment, type CommitLog } from "./commit-log.js";
import { isTempFile, type WriteTracker } from "./durable-file.js";
import { StoreError, corruptFileError, describe, errnoCode, unreadableFileError } from "./errors.js";
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

const TX_NAME = /^(\d{12,})\.json$/;

function validateOps(ops: unknown): string | undefined {
  if (!Array.isArray(ops)) return `"ops" must be an array`;
  for (const [i, op] of ops.entries()) {
    const o = op as Partial<Record<string, unknown>>;
    if (typeof o !== "object" || o === null) return `ops[${i}]: not an object`;
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

function validateTxFile(data: unknown): string | undefined {
  if (typeof data !== "object" || data === null) return "expected an object";
  const { seq, ops } = data as Partial<TxFile>;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return `"seq" must be a positive whole number`;
  return validateOps(ops);
}

/**
 * Applies one line's changes to memory under its lsn (records must be the caller's own copies).
 * With `replay`, skips what the snapshot files already hold.
 */
function applyOps(repos: TxRepos, lsn: number, ops: readonly TxOp[], replay?: { auditMark: number }): void {
  for (const op of ops) {
    if (op.c === "audit") {
      if (replay && lsn <= replay.auditMark) continue;
      repos.audit.applyAppend(op.entry, lsn);
      continue;
    }
    const repo = repos[op.c] as unknown as RepoCore;
    if (op.op === "put") {
      if (replay && repo.markOf(repo.keyOf(op.record)) >= lsn) continue;
      repo.applyPut(op.record, lsn, undefined);
    } else {
      if (replay && repo.markOf(op.key) >= lsn) continue;
      repo.applyDelete(op.key, lsn);
    }
  }
}

/**
 * Replays the journal into memory (after the snapshot files are loaded). Returns the newest lsn
 * and segment number seen, and how many bytes of journal the files do not hold yet.
 */
export async function replayJournal(dataDir: string, tracker: WriteTracker, repos: TxRepos): Promise<{ lastLsn: number; lastSeq: number; lines: number; bytes: number; dropped: number }> {
  const segments = await listSegments(tracker.fs, dataDir);
  const auditMark = repos.audit.log.loadedMark;
  let last = 0;
  let lines = 0;
  let bytes = 0;
  let dropped = 0;
  for (const seg of segments) {
    const read = await readSegment(tracker.fs, seg, (line) => {
      if (line.n <= last) return; // written again after a failed write
      const problem = validateOps(line.o);
      if (problem) throw corruptFileError(seg.path, `line with lsn ${line.n}: ${problem}`);
      applyOps(repos, line.n, line.o as TxOp[], { auditMark });
      last = line.n;
      lines++;
    });
    dropped += read.dropped;
    if (read.dropped > 0) tracker.log.warn({ file: seg.path, lines: read.dropped }, "store: dropped a torn last journal line (a write a crash interrupted; it was never acknowledged)");
    bytes += read.bytes;
  }
  return { lastLsn: last, lastSeq: segments[segments.length - 1]?.seq ?? 0, lines, bytes, dropped };
}

/** Commit records the earlier design left in txn/ (a crash), oldest first. */
export async function readLegacyTxns(dataDir: string, tracker: WriteTracker): Promise<{ seq: number; ops: TxOp[]; path: string }[]> {
  const dir = join(dataDir, TXN_DIR);
  let names: string[] = [];
  try {
    names = await tracker.fs.readdir(dir);
  } catch (e) {
    if (errnoCode(e) !== "ENOENT") throw unreadableFileError(dir, e);
  }
  const files: { seq: number; ops: TxOp[]; path: string }[] = [];
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
    files.push({ ...(data as TxFile), path });
  }
  return files.sort((a, b) => a.seq - b.seq);
}

export class Transactions {
  readonly #journal: CommitLog;
  readonly #repos: TxRepos;
  /** Transactions run one at a time: the tail of the queue. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #inside = new AsyncLocalStorage<true>();

  constructor(journal: CommitLog, repos: TxRepos) {
    this.#journal = journal;
    this.#repos = repos;
  }

  /** Replays the earlier design's leftover commit records through the journal, then removes them. */
  async recoverLegacy(files: readonly { seq: number; ops: TxOp[]; path: string }[], tracker: WriteTracker): Promise<void> {
    if (files.length === 0) return;
    const writes: Promise<void>[] = [];
    for (const f of files) {
      let auditJson: Set<string> | undefined;
      const needed = f.ops.filter((op) => {
        if (op.c === "audit") {
          auditJson ??= new Set(this.#repos.audit.log.entries().map((e) => JSON.stringify(e)));
          return !auditJson.has(JSON.stringify(op.entry));
        }
        const repo = this.#repos[op.c] as unknown as RepoCore;
        return repo.markOf(op.op === "put" ? repo.keyOf(op.record) : op.key) < f.seq;
      });
      if (needed.length > 0) writes.push(this.#journal.commit(JSON.stringify(needed), (lsn) => applyOps(this.#repos, lsn, needed)));
    }
    await Promise.all(writes);
    for (const f of files) {
      await tracker.fs.unlink(f.path).catch((e: unknown) => {
        if (errnoCode(e) !== "ENOENT") throw e;
      });
    }
    tracker.log.info({ replayed: files.length }, "store: replayed transactions interrupted by a crash (earlier format)");
  }

  run<R>(fn: (tx: StoreTx) => Promise<R>): Promise<R> {
    if (this.#inside.getStore()) return Promise.reject(new StoreError("transactions do not nest: use the tx you were given"));
    if (this.#journal.closed) return Promise.reject(new StoreError("store is closed; cannot start a transaction"));
    const result = this.#queue.then(() => this.#inside.run(true, () => this.#runOne(fn)));
    this.#queue = result.catch(() => {});
    return result;
  }

  async #runOne<R>(fn: (tx: StoreTx) => Promise<R>): Promise<R> {
    const ops: TxOp[] = [];
    const lines: string[] = [];
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
          const json = toJson(record, `${c} record`);
          const copy = JSON.parse(json) as Record<string, unknown>;
          repo.check(copy);
          ops.push({ c, op: "put", record: copy });
          lines.push(`{"c":"${c}","op":"put","record":${json}}`);
          pending.set(slot(c, repo.keyOf(copy)), copy);
        },
        delete: async (k: never): Promise<void> => {
          const key = keyOf(k);
          ops.push({ c, op: "delete", key });
          lines.push(`{"c":"${c}","op":"delete","key":${JSON.stringify(key)}}`);
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
          const json = toJson(entry, "audit entry");
          ops.push({ c: "audit", op: "append", entry: JSON.parse(json) as AuditRecord });
          lines.push(`{"c":"audit","op":"append","entry":${json}}`);
        },
      },
    };
    const value = await fn(tx);
    if (ops.length === 0) return value;
    await this.#journal.commit(`[${lines.join(",")}]`, (lsn) => applyOps(r, lsn, ops));
    return value;
  }
}

function toJson(v: unknown, what: string): string {
  const json = JSON.stringify(v);
  if (json === undefined) throw new TypeError(`${what} cannot be stored as JSON`);
  return json;
}

/** What the transactions need of a keyed repository (repos.ts Keyed). */
interface RepoCore {
  peek(key: string): unknown;
  check(record: unknown): void;
  keyOf(record: unknown): string;
  markOf(key: string): number;
  applyPut(record: unknown, lsn: number, json: string | undefined): void;
  applyDelete(key: string, lsn: number): void;
}
