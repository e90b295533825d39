/**
 * The embedded store: lowdb JSON files in DATA_DIR (layout in layout.ts), one process per folder.
 * Every change is first a line in the journal (commit-log.ts, acknowledged once on disk); the
 * lowdb shard files are snapshots that checkpoint.ts brings up to date in the background.
 *
 * openStore(): takes the lock, removes temp files an interrupted write left behind, reads and
 * migrates meta.json, loads every collection into memory (a corrupt file stops start-up naming the
 * file, which is left untouched), replays the journal lines the snapshots do not hold yet
 * (transaction.ts) and returns the repositories of the store contract (types.ts). flush() makes the
 * snapshot files current; close() flushes and releases the lock.
 */
import { join, resolve } from "node:path";
import type { Plan } from "../knowledge/schema.js";
import { Checkpointer, DEFAULT_CHECKPOINT_BYTES } from "./checkpoint.js";
import { ChunkedLog } from "./chunked-log.js";
import { EmbeddedCodes } from "./codes.js";
import { CommitLog, JOURNAL_DIR } from "./commit-log.js";
import { WriteTracker, isTempFile, silentLogger, type StoreLogger } from "./durable-file.js";
import { StoreError, describe, errnoCode } from "./errors.js";
import { withFs, type StoreFs } from "./fs.js";
import { LOG_COLLECTIONS, META_FILE, SHARDED_COLLECTIONS, layoutOf, type ShardedName } from "./layout.js";
import { EmbeddedInbox } from "./inbox.js";
import { Ledger } from "./ledger.js";
import { acquireLock } from "./lock.js";
import { migrate, type Migration } from "./migrations.js";
import { DEFAULT_REF_PREFIXES, RefAllocator } from "./refs.js";
import { Audit, Broadcasts, Deadlines, Declarations, Drafts, Sessions, Users } from "./repos.js";
import { openCollection, type SnapshotUnit } from "./sharded-collection.js";
import { TXN_DIR, Transactions, readLegacyTxns, replayJournal } from "./transaction.js";
import type { AuditRecord, BroadcastRecord, DeadlineRecord, DeclarationRecord, DraftRecord, SessionRecord, Store, UserRecord } from "./types.js";

export type * from "./types.js";
export { StoreError, StoreWriteError } from "./errors.js";
export type { StoreFs } from "./fs.js";
export type { StoreLogger } from "./durable-file.js";
export { MIGRATIONS, SCHEMA_VERSION, type Migration, type MigrationContext } from "./migrations.js";

export interface OpenStoreOptions {
  /** Replace file-system operations (fault injection in tests). */
  fs?: Partial<StoreFs>;
  /** fsync files and directories before a write counts as done (default true; false only for tests/benchmarks). */
  fsync?: boolean;
  /** The migration list (default MIGRATIONS); tests pass extra ones. */
  migrations?: readonly Migration[];
  /** Reference number prefixes (default GP for guopei, QP for qupei, as in plans.yaml). */
  refPrefixes?: Partial<Record<Plan, string>>;
  /** pino logger (or anything with info/warn/error). */
  logger?: StoreLogger;
  /** Journal growth that starts a background checkpoint (default 8 MB, checkpoint.ts). */
  checkpointBytes?: number;
}

/** What opening took, for the bench (not part of the Store contract). */
export interface OpenStats {
  /** Journal lines replayed, and torn last lines dropped. */
  replayedLines: number;
  droppedLines: number;
  /** Reading and parsing the snapshot files, building the indexes, replaying the journal (ms). */
  loadMs: number;
  indexMs: number;
  replayMs: number;
}

/** Every record of an embedded store, for `npm run store:migrate` (copying a folder into PostgreSQL). */
export interface StoreDump {
  users: Iterable<UserRecord>;
  sessions: Iterable<SessionRecord>;
  drafts: Iterable<DraftRecord>;
  declarations: Iterable<DeclarationRecord>;
  audit: Iterable<AuditRecord>;
  deadlines: Iterable<DeadlineRecord>;
  broadcasts: Iterable<BroadcastRecord>;
  ledger: Iterable<[delivery: string, chatId: number]>;
  /** Last allocated number per prefix and year, as in meta.json: { "GP2024": 12 }. */
  refCounters: Record<string, number>;
}

export interface StoreHandle extends Store {
  readonly dataDir: string;
  readonly openStats: OpenStats;
  /** Background and full checkpoints completed since open. */
  readonly checkpoints: number;
  /** Runs a background checkpoint now (as one started by the journal's growth); for the bench. */
  checkpoint(): Promise<void>;
  /** Every record as it is in memory now (not part of the Store contract: a migration tool's view). */
  dump(): StoreDump;
  /** Flushes every pending write, then releases the lock. Rejects (after releasing) if something could not be written. */
  close(): Promise<void>;
}

/** Removes leftovers of interrupted writes; they never hold committed data (a write is done only after its rename). */
async function removeTempFiles(dataDir: string, fs: StoreFs, log: StoreLogger): Promise<void> {
  const dirs = [dataDir, ...[...SHARDED_COLLECTIONS, ...LOG_COLLECTIONS, TXN_DIR, JOURNAL_DIR].map((n) => join(dataDir, n))];
  const ledger = join(dataDir, "ledger");
  const deliveries = await fs.readdir(ledger).catch(() => [] as string[]);
  dirs.push(...deliveries.filter((n) => !isTempFile(n)).map((n) => join(ledger, n)));
  await Promise.all(
    dirs.map(async (dir) => {
      const names = await fs.readdir(dir).catch(() => [] as string[]);
      for (const name of names.filter(isTempFile)) {
        await fs.unlink(join(dir, name)).catch((err: unknown) => {
          if (errnoCode(err) !== "ENOENT") log.warn({ err, file: join(dir, name) }, "store: cannot remove a temp file (it is ignored)");
        });
      }
    }),
  );
}

export async function openStore(dataDir: string, opts: OpenStoreOptions = {}): Promise<StoreHandle> {
  const dir = resolve(dataDir);
  const fs = withFs(opts.fs);
  const log = opts.logger ?? silentLogger;
  try {
    await fs.mkdir(dir);
  } catch (e) {
    throw new StoreError(`无法创建数据目录：${dir}: ${errnoCode(e) ?? describe(e)} (cannot create the data folder)`, { file: dir, cause: e });
  }
  const lock = await acquireLock(dir);
  try {
    const tracker = new WriteTracker({ fs, fsync: opts.fsync ?? true, log });
    await removeTempFiles(dir, fs, log);
    const { meta } = await migrate({ dataDir: dir, tracker, log, migrations: opts.migrations });
    const layout = layoutOf(meta.data, join(dir, META_FILE));

    const started = performance.now();
    const open = <K extends ShardedName>(name: K) => openCollection(dir, name, layout, tracker);
    const [users, sessions, drafts, declarations, deadlines, broadcasts, audit, ledger] = await Promise.all([
      open("users"),
      open("sessions"),
      open("drafts"),
      open("declarations"),
      open("deadlines"),
      open("broadcasts"),
      ChunkedLog.open<AuditRecord>({ dir: join(dir, "audit"), chunkSize: layout.audit.chunkSize, tracker, deferred: true }),
      Ledger.open({ dir: join(dir, "ledger"), chunkSize: layout.ledger.chunkSize, tracker }),
    ]);

    const prefixes = { ...DEFAULT_REF_PREFIXES };
    for (const [plan, prefix] of Object.entries(opts.refPrefixes ?? {}) as [Plan, string | undefined][]) if (prefix) prefixes[plan] = prefix;
    // The counters go to meta.json with the next checkpoint, not on every allocation (that was four
    // fsyncs per submission beside the journal's): a number a declaration holds is in the journal
    // first and is observed again at open, so a lost counter cannot hand a stored number out twice.
    let countersChanged = false;
    const refs = new RefAllocator(prefixes, meta.data.refCounters ?? {}, (counters) => {
      meta.data.refCounters = counters;
      countersChanged = true;
    });
    const counterSource = {
      takeDirty: (): SnapshotUnit[] => {
        if (!countersChanged) return [];
        countersChanged = false;
        return [{ name: join(dir, META_FILE), mark: () => 0, write: () => meta.write(), redirty: () => void (countersChanged = true) }];
      },
    };

    const loaded = performance.now();
    const journal = new CommitLog({ dataDir: dir, fs, fsync: tracker.fsync, log, lastLsn: 0, lastSeq: 0 });
    const draftRepo = new Drafts(drafts, journal);
    const repos = {
      users: new Users(users, journal, draftRepo),
      sessions: new Sessions(sessions, journal),
      drafts: draftRepo,
      declarations: new Declarations(declarations, journal, refs),
      audit: new Audit(audit, journal),
      deadlines: new Deadlines(deadlines, journal),
      broadcasts: new Broadcasts(broadcasts, journal),
    };
    const indexed = performance.now();
    const replay = await replayJournal(dir, tracker, repos);
    const legacy = await readLegacyTxns(dir, tracker);
    let lastLsn = Math.max(replay.lastLsn, audit.loadedMark, ...legacy.map((t) => t.seq));
    for (const c of [users, sessions, drafts, declarations, deadlines, broadcasts]) lastLsn = Math.max(lastLsn, c.lastTx);
    journal.resume(lastLsn, replay.lastSeq, replay.bytes);
    const openStats: OpenStats = {
      replayedLines: replay.lines,
      droppedLines: replay.dropped,
      loadMs: Math.round(loaded - started),
      indexMs: Math.round(indexed - loaded),
      replayMs: Math.round(performance.now() - indexed),
    };
    const transactions = new Transactions(journal, repos);
    await transactions.recoverLegacy(legacy, tracker);
    const checkpointer = new Checkpointer({ journal, sources: [users, sessions, drafts, declarations, deadlines, broadcasts, audit, counterSource], dataDir: dir, log });
    const threshold = opts.checkpointBytes ?? DEFAULT_CHECKPOINT_BYTES;
    journal.onWritten = (bytes) => {
      if (bytes >= threshold) checkpointer.schedule();
    };
    if (legacy.length > 0 || replay.bytes >= threshold) checkpointer.schedule();

    // The inbox keeps its own append-only journal (inbox/updates.log), written before updates are acknowledged.
    const inbox = EmbeddedInbox.open(dir);
    const codes = await EmbeddedCodes.open(dir, fs, opts.fsync ?? true);
    let closed: Promise<void> | undefined;
    const flush = async () => {
      await codes.flush();
      await journal.sync();
      await checkpointer.run();
      await tracker.flushAll();
    };
    const store: StoreHandle = {
      dataDir: dir,
      openStats,
      get checkpoints() {
        return checkpointer.count;
      },
      checkpoint: () => checkpointer.run(true),
      ...repos,
      ledger,
      inbox,
      codes,
      transaction: (fn) => transactions.run(fn),
      dump: () => ({
        users: users.values(),
        sessions: sessions.values(),
        drafts: drafts.values(),
        declarations: declarations.values(),
        audit: audit.entries(),
        deadlines: deadlines.values(),
        broadcasts: broadcasts.values(),
        ledger: ledger.pairs(),
        refCounters: refs.counters(),
      }),
      flush,
      close() {
        closed ??= (async () => {
          try {
            await flush();
          } finally {
            journal.close();
            tracker.closed = true;
            inbox.close();
            await lock.release();
          }
        })();
        return closed;
      },
    };
    return store;
  } catch (e) {
    await lock.release();
    throw e;
  }
}
