/**
 * A seeded embedded data folder, copied into a throwaway PostgreSQL server (the machine's binaries,
 * durability on), for benchmarks that measure the bot on PostgreSQL with the same data:
 *
 *   const pg = await pgCopyOf(dataDir);   // { url, stop() }
 *   … startInProcessBot({ dataDir, databaseUrl: pg.url }) …
 *   await pg.stop();
 *
 * The copy is `npm run store:migrate`'s (copyDumpToPg, counts checked), then the database is left
 * as a long-running one would be (VACUUM FREEZE, CHECKPOINT, autovacuum idle), so no write-back of
 * the load lands in what is measured.
 */
import pg from "pg";
import { startPostgres } from "../scripts/postgres-server.js";
import { openStore } from "../src/store/index.js";
import { copyDumpToPg } from "../src/store/pg/copy-from-lowdb.js";
import { openPgStore } from "../src/store/pg/index.js";

export interface PgCopy {
  url: string;
  stop(): Promise<void>;
}

/** VACUUM FREEZE + ANALYZE, CHECKPOINT, then wait until no autovacuum worker is busy on the database. */
export async function settleDatabase(pool: pg.Pool): Promise<void> {
  await pool.query("VACUUM (FREEZE, ANALYZE)");
  await pool.query("CHECKPOINT");
  for (;;) {
    const r = await pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' AND datname = current_database()");
    if (r.rows[0].n === 0) return;
    await new Promise((res) => setTimeout(res, 500));
  }
}

export async function pgCopyOf(dataDir: string): Promise<PgCopy> {
  const server = await startPostgres({ fast: false });
  try {
    const admin = new pg.Pool({ connectionString: server.adminUrl, max: 1 });
    await admin.query("CREATE DATABASE bench");
    await admin.end();
    const url = server.urlFor("bench");
    const source = await openStore(dataDir, { fsync: false });
    const target = await openPgStore(url, { poolSize: 2 });
    try {
      const copied = await copyDumpToPg(source.dump(), target);
      if (!copied.ok) throw new Error(`copy into PostgreSQL lost records: ${JSON.stringify(copied.counts)}`);
      await settleDatabase(target.pool);
    } finally {
      await target.close();
      await source.close();
    }
    return { url, stop: () => server.stop() };
  } catch (e) {
    await server.stop();
    throw e;
  }
}
