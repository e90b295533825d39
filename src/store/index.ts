/**
 * The embedded store: lowdb JSON files in DATA_DIR (layout in layout.ts), one process per folder.
 *
 * openStore(): takes the lock, removes temp files an interrupted write left behind, reads and
 * migrates meta.json, loads every collection into memory (a corrupt file stops start-up naming the
 * file, which is left untouched), replays transactions a crash interrupted (transaction.ts) and
 * returns the repositories of the store contract (types.ts). close() flushes and releases the lock.
 */
import { join, resolve } from "node:path";
import type { Plan } from "../knowledge/schema.js";
import { ChunkedLog } from "./chunked-log.js";
import { EmbeddedCodes } from "./codes.js";
import { WriteTracker, isTempFile, silentLogger, type StoreLogger } from "./durable-file.js";
import { StoreError, describe, errnoCode } from "./errors.js";
import { withFs, type StoreFs } from "./fs.js";
import { KEYS, LOG_COLLECTIONS, META_FILE, SHARDED_COLLECTIONS, layoutOf, type RecordTypes, type ShardedName } from "./layout.js";
import { EmbeddedInbox } from "./inbox.js";
import { Ledger } from "./ledger.js";
import { acquireLock } from "./lock.js";
import { migrate, type Migration } from "./migrations.js";
import { DEFAULT_REF_PREFIXES, RefAllocator } from "./refs.js";
import { Audit, Broadcasts, Deadlines, Declarations, Drafts, Sessions, Users } from "./repos.js";
import { ShardedCollection } from "./sharded-collection.js";
import { TXN_DIR, Transactions } from "./transaction.js";
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
  /** Memory for incremental shard serialisation (default 16 MB); more saves CPU on writes, 0 turns it off. */
  imageCacheBytes?: number;
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
  /** Every record as it is in memory now (not part of the Store contract: a migration tool's view). */
  dump(): StoreDump;
  /** Flushes every pending write, then releases the lock. Rejects (after releasing) if something could not be written. */
  close(): Promise<void>;
}

/** Removes leftovers of interrupted writes; they never hold committed data (a write is done only after its rename). */
async function removeTempFiles(dataDir: string, fs: StoreFs, log: StoreLogger): Promise<void> {
  const dirs = [dataDir, ...[...SHARDED_COLLECTIONS, ...LOG_COLLECTIONS, TXN_DIR].map((n) => join(dataDir, n))];
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
    const tracker = new WriteTracker({ fs, fsync: opts.fsync ?? true, log, imageBytes: opts.imageCacheBytes });
    await removeTempFiles(dir, fs, log);
    const { meta } = await migrate({ dataDir: dir, tracker, log, migrations: opts.migrations });
    const layout = layoutOf(meta.data, join(dir, META_FILE));

    const open = <K extends ShardedName>(name: K) =>
      ShardedCollection.open<RecordTypes[K]>({
        dir: join(dir, name),
        shards: layout[name].shards,
        key: KEYS[name] as (r: RecordTypes[K]) => string,
        tracker,
      });
    const [users, sessions, drafts, declarations, deadlines, broadcasts, audit, ledger] = await Promise.all([
      open("users"),
      open("sessions"),
      open("drafts"),
      open("declarations"),
      open("deadlines"),
      open("broadcasts"),
      ChunkedLog.open<AuditRecord>({ dir: join(dir, "audit"), chunkSize: layout.audit.chunkSize, tracker }),
      Ledger.open({ dir: join(dir, "ledger"), chunkSize: layout.ledger.chunkSize, tracker }),
    ]);

    const prefixes = { ...DEFAULT_REF_PREFIXES };
    for (const [plan, prefix] of Object.entries(opts.refPrefixes ?? {}) as [Plan, string | undefined][]) if (prefix) prefixes[plan] = prefix;
    const refs = new RefAllocator(prefixes, meta.data.refCounters ?? {}, (counters) => {
      // Persisted in the background; the counter is also derived from stored declarations at start,
      // so a lost meta write cannot make a stored number be handed out again.
      meta.data.refCounters = counters;
      meta.write().catch(() => {});
    });

    const draftRepo = new Drafts(drafts);
    const repos = {
      users: new Users(users, draftRepo),
      sessions: new Sessions(sessions),
      drafts: draftRepo,
      declarations: new Declarations(declarations, refs),
      audit: new Audit(audit),
      deadlines: new Deadlines(deadlines),
      broadcasts: new Broadcasts(broadcasts),
    };
    const transactions = await Transactions.open(dir, tracker, repos);

    // The inbox keeps its own append-only journal (inbox/updates.log), written before updates are acknowledged.
    const inbox = EmbeddedInbox.open(dir);
    const codes = await EmbeddedCodes.open(dir, fs, opts.fsync ?? true);
    let closed: Promise<void> | undefined;
    const flush = async () => {
      await codes.flush();
      await tracker.flushAll();
      await transactions.settle();
      await tracker.flushAll();
    };
    const store: StoreHandle = {
      dataDir: dir,
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
