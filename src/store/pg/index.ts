/**
 * The PostgreSQL store (DATABASE_URL): the store contract of src/store/types.ts over a pg pool,
 * for more than one bot process on one database. openPgStore() connects, applies the SQL
 * migrations (migrate.ts) and returns the repositories; a unit of work is one real transaction.
 */
import pg from "pg";
import type { Plan } from "../../knowledge/schema.js";
import { silentLogger, type StoreLogger } from "../durable-file.js";
import { StoreError } from "../errors.js";
import { DEFAULT_REF_PREFIXES } from "../refs.js";
import type { Store, StoreTx } from "../types.js";
import { PgCodes } from "./codes.js";
import { PgInbox } from "./inbox.js";
import { PgLedger } from "./ledger.js";
import { migrate } from "./migrate.js";
import { PgAudit, PgBroadcasts, PgDeadlines, PgDeclarations, PgDrafts, PgSessions, PgUsers, type RepoContext } from "./repos.js";

export interface OpenPgStoreOptions {
  /** Connections per process (default 10). */
  poolSize?: number;
  refPrefixes?: Partial<Record<Plan, string>>;
  logger?: StoreLogger;
  /** Apply migrations at open (default true). */
  migrate?: boolean;
}

export interface PgStoreHandle extends Store {
  readonly inbox: PgInbox;
  readonly pool: pg.Pool;
}

/** How long a failing first connection is retried (the database may start with the bot). */
const CONNECT_WAIT_MS = 15_000;

async function connectWithRetry(pool: pg.Pool, log: StoreLogger): Promise<void> {
  const deadline = Date.now() + CONNECT_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.query("SELECT 1");
      return;
    } catch (e) {
      if (Date.now() > deadline) throw new StoreError(`无法连接数据库 (cannot connect to DATABASE_URL): ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      if (attempt === 0) log.warn({ err: e }, "store: database not reachable yet; retrying");
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export async function openPgStore(url: string, opts: OpenPgStoreOptions = {}): Promise<PgStoreHandle> {
  const log = opts.logger ?? silentLogger;
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, application_name: "guopei-bot" });
  // an idle connection dropped by the server must not crash the process; the pool replaces it
  pool.on("error", (err) => log.warn({ err }, "store: idle database connection lost"));
  try {
    await connectWithRetry(pool, log);
    if (opts.migrate !== false) {
      const applied = await migrate(pool);
      if (applied.length) log.info({ applied }, "store: database migrated");
    }
  } catch (e) {
    await pool.end().catch(() => {});
    throw e;
  }
  const refPrefixes = { ...DEFAULT_REF_PREFIXES, ...opts.refPrefixes };
  const ctx: RepoContext = { db: pool, lock: false };
  const ledger = new PgLedger(pool);
  const inbox = new PgInbox(pool, log);
  const inFlight = new Set<Promise<unknown>>();
  let closed = false;

  const transaction = async <R>(fn: (tx: StoreTx) => Promise<R>): Promise<R> => {
    if (closed) throw new StoreError("the store is closed");
    const run = (async () => {
      const client = await pool.connect();
      const txCtx: RepoContext = { db: client, lock: true };
      const tx: StoreTx = {
        users: new PgUsers(txCtx),
        sessions: new PgSessions(txCtx),
        drafts: new PgDrafts(txCtx),
        declarations: new PgDeclarations(txCtx, refPrefixes),
        audit: new PgAudit(txCtx),
        deadlines: new PgDeadlines(txCtx),
        broadcasts: new PgBroadcasts(txCtx),
      };
      let broken = false;
      try {
        await client.query("BEGIN");
        const result = await fn(tx);
        await client.query("COMMIT");
        return result;
      } catch (e) {
        await client.query("ROLLBACK").catch((err: unknown) => {
          broken = true; // the connection is unusable: do not give it back to the pool
          log.warn({ err }, "store: rollback failed");
        });
        throw e;
      } finally {
        client.release(broken);
      }
    })();
    inFlight.add(run);
    const forget = () => inFlight.delete(run);
    run.then(forget, forget);
    return run;
  };

  const flush = async () => {
    while (inFlight.size) await Promise.allSettled([...inFlight]);
    await ledger.flush();
  };

  return {
    pool,
    users: new PgUsers(ctx),
    sessions: new PgSessions(ctx),
    drafts: new PgDrafts(ctx),
    declarations: new PgDeclarations(ctx, refPrefixes),
    audit: new PgAudit(ctx),
    deadlines: new PgDeadlines(ctx),
    broadcasts: new PgBroadcasts(ctx),
    ledger,
    inbox,
    codes: new PgCodes(pool),
    transaction,
    flush,
    close: async () => {
      if (closed) return;
      closed = true;
      inbox.stop();
      await flush();
      await pool.end();
    },
  };
}
