import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { loadMigrations, migrate } from "../../../src/store/pg/migrate.js";
import { freshDatabase, type TestDatabase } from "../../support/postgres.js";

describe("SQL migrations", () => {
  let db: TestDatabase | undefined;
  let pool: pg.Pool | undefined;
  afterEach(async () => {
    await pool?.end();
    await db?.drop();
  });

  it("apply every file once, in order, even when two instances start together", async () => {
    db = await freshDatabase({ migrated: false });
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    const names = loadMigrations().map((m) => m.name);
    const [a, b] = await Promise.all([migrate(pool), migrate(pool)]);
    expect([...a!, ...b!].sort()).toEqual(names);
    expect(await migrate(pool)).toEqual([]);
    const rows = (await pool.query("SELECT name FROM schema_migrations ORDER BY name")).rows.map((r) => r.name);
    expect(rows).toEqual(names);
  });

  it("refuse a migration changed after it was applied, and a database migrated by newer code", async () => {
    db = await freshDatabase({ migrated: false });
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const ms = [{ name: "001_a.sql", sql: "CREATE TABLE a (x int);" }];
    await migrate(pool, ms);
    await expect(migrate(pool, [{ name: "001_a.sql", sql: "CREATE TABLE a (y int);" }])).rejects.toThrow(/changed after it was applied/);
    await expect(migrate(pool, [])).rejects.toThrow(/newer version/);
  });

  it("roll back a failing migration completely", async () => {
    db = await freshDatabase({ migrated: false });
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await expect(migrate(pool, [{ name: "001_bad.sql", sql: "CREATE TABLE b (x int); SELECT nope;" }])).rejects.toThrow(/001_bad.sql failed/);
    expect((await pool.query("SELECT to_regclass('b') AS t")).rows[0].t).toBeNull();
    expect((await pool.query("SELECT count(*)::int AS n FROM schema_migrations")).rows[0].n).toBe(0);
  });
});
