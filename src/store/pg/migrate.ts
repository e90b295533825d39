/**
 * SQL migrations: the .sql files of src/store/pg/migrations/, applied in name order, each in its own
 * transaction, recorded in schema_migrations with a checksum. Run at start-up (openPgStore) and by
 * `npm run migrate`. An advisory lock makes instances that start together apply them once; a file
 * changed after it was applied stops start-up (write a new migration instead).
 */
import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { ROOT } from "../../paths.js";

export const MIGRATIONS_DIR = join(ROOT, "src", "store", "pg", "migrations");

/** pg_advisory_lock key for migrations (any constant shared by every instance). */
const MIGRATION_LOCK = 2024_11_0001;

export interface SqlMigration {
  name: string;
  sql: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): SqlMigration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_[\w-]+\.sql$/.test(f))
    .sort()
    .map((name) => ({ name, sql: readFileSync(join(dir, name), "utf8") }));
}

const checksum = (sql: string) => createHash("sha256").update(sql).digest("hex");

/** Applies the migrations not yet applied; returns their names. */
export async function migrate(pool: pg.Pool, migrations: readonly SqlMigration[] = loadMigrations()): Promise<string[]> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Map((await client.query<{ name: string; checksum: string }>("SELECT name, checksum FROM schema_migrations")).rows.map((r) => [r.name, r.checksum]));
    const known = new Set(migrations.map((m) => m.name));
    const unknown = [...done.keys()].filter((n) => !known.has(n));
    if (unknown.length) throw new Error(`the database has migrations this code does not know (${unknown.join(", ")}): it was migrated by a newer version`);
    const applied: string[] = [];
    for (const m of migrations) {
      const sum = checksum(m.sql);
      const was = done.get(m.name);
      if (was !== undefined) {
        if (was !== sum) throw new Error(`migration ${m.name} was changed after it was applied; add a new migration instead`);
        continue;
      }
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", [m.name, sum]);
        await client.query("COMMIT");
      } catch (e) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${m.name} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      applied.push(m.name);
    }
    return applied;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => {});
    client.release();
  }
}
