/**
 * Which store the e2e bot processes run on: lowdb in their data folder (default), or PostgreSQL
 * with E2E_STORE=pg (`npm run test:e2e:pg`), one fresh database per data folder, so a restarted
 * bot (same folder) finds its data again. Tests that seed or inspect the store directly use
 * openE2EStore(dataDir) so they work on either.
 */
import { openStore } from "../../src/store/index.js";
import type { Store } from "../../src/store/types.js";
import type { TestDatabase } from "./postgres.js";

export const E2E_STORE: "lowdb" | "pg" = process.env.E2E_STORE === "pg" ? "pg" : "lowdb";

const databases = new Map<string, Promise<TestDatabase>>();

/** The DATABASE_URL for a bot on this data folder (undefined on lowdb). */
export async function databaseUrlFor(dataDir: string): Promise<string | undefined> {
  if (E2E_STORE !== "pg") return undefined;
  let db = databases.get(dataDir);
  // imported only here: postgres.ts needs vitest's inject(), and benchmarks load this module outside vitest
  if (!db) databases.set(dataDir, (db = import("./postgres.js").then((m) => m.freshDatabase())));
  return (await db).url;
}

/** The store a bot on this data folder uses (close it before starting the bot on lowdb: one process per folder). */
export async function openE2EStore(dataDir: string): Promise<Store> {
  const url = await databaseUrlFor(dataDir);
  if (!url) return openStore(dataDir, { fsync: false });
  const { openPgStore } = await import("../../src/store/pg/index.js");
  return openPgStore(url, { poolSize: 3 });
}

/** Drops the folder's database, if it has one. */
export async function dropE2EDatabase(dataDir: string): Promise<void> {
  const db = databases.get(dataDir);
  if (!db) return;
  databases.delete(dataDir);
  await (await db).drop();
}
