/**
 * A real PostgreSQL server for the tests (no mocks, no PGlite): vitest's globalSetup starts one
 * throwaway cluster per `vitest run` (initdb in a temporary folder, a free port, durability off)
 * and migrates a template database; each test takes a fresh database cloned from it.
 *
 *   import { freshDatabase } from "../support/postgres.js";
 *   const db = await freshDatabase();      // { url, drop() } — migrated, empty
 *   const raw = await freshDatabase({ migrated: false });
 *
 * Without PostgreSQL binaries the run fails and says how to install them; PG_TESTS=off skips the
 * PostgreSQL tests instead (visibly: see pgTests.skip) on a machine without them.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";
import type { TestProject } from "vitest/node";
import { startPostgres } from "../../scripts/postgres-server.js";
import { migrate } from "../../src/store/pg/migrate.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** postgres://…/postgres of the test cluster; "" when PG_TESTS=off. */
    pgAdminUrl: string;
  }
}

const TEMPLATE = "store_template";

/** vitest globalSetup: one cluster for the whole run. */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.PG_TESTS === "off") {
    console.error("PG_TESTS=off: the PostgreSQL tests are skipped");
    project.provide("pgAdminUrl", "");
    return undefined;
  }
  const server = await startPostgres({ fast: true });
  const pool = new pg.Pool({ connectionString: server.adminUrl, max: 1 });
  try {
    await pool.query(`CREATE DATABASE ${TEMPLATE}`);
    const tpl = new pg.Pool({ connectionString: server.urlFor(TEMPLATE), max: 1 });
    await migrate(tpl).finally(() => tpl.end());
  } finally {
    await pool.end();
  }
  project.provide("pgAdminUrl", server.adminUrl);
  return () => server.stop();
}

/** True when this run has a PostgreSQL server (false only with PG_TESTS=off). */
export const hasPostgres = (): boolean => inject("pgAdminUrl") !== "";

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

let admin: pg.Pool | undefined;
function adminPool(): pg.Pool {
  const url = inject("pgAdminUrl");
  if (!url) throw new Error("no PostgreSQL server in this run (PG_TESTS=off)");
  admin ??= new pg.Pool({ connectionString: url, max: 2 });
  return admin;
}

/** A new, empty database on the test server: migrated (a copy of the template) unless migrated: false. */
export async function freshDatabase(opts: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const pool = adminPool();
  const name = `t_${process.pid}_${randomBytes(4).toString("hex")}`;
  // CREATE DATABASE … TEMPLATE fails while another session uses the template; clones are serialised by the server otherwise
  for (let attempt = 0; ; attempt++) {
    try {
      await pool.query(opts.migrated === false ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE}`);
      break;
    } catch (e) {
      if (attempt >= 20 || !/being accessed by other users/.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 50 + 50 * attempt));
    }
  }
  const url = new URL(inject("pgAdminUrl"));
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      // without FORCE first: a pool that just ended may still be closing its sockets, and a
      // terminated connection would surface as an uncaught error in the test's process
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          await pool.query(`DROP DATABASE IF EXISTS ${name}`);
          return;
        } catch (e) {
          if (!/being accessed by other users/.test(String(e))) throw e;
          await new Promise((r) => setTimeout(r, 50 + 25 * attempt));
        }
      }
      await pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
