/**
 * `npm run store:migrate`: copies an embedded data folder (its dump()) into an empty PostgreSQL
 * database in one transaction — all of it or nothing — then counts every table against the source.
 * The reference counters come along, so the next GP2024-… number continues where lowdb stopped.
 */
import type { StoreDump } from "../index.js";
import type { PgStoreHandle } from "./index.js";
import { TABLES, bulkAudit, bulkInsert, bulkLedger } from "./bulk.js";

export interface CopyCount {
  what: string;
  source: number;
  target: number;
}

const COUNTED = ["users", "sessions", "drafts", "declarations", "audit", "deadlines", "broadcasts", "ledger"] as const;

/** Rows in every table the copy fills (non-zero means the database is not empty). */
export async function tableCounts(store: PgStoreHandle): Promise<Record<(typeof COUNTED)[number], number>> {
  const r = await store.pool.query(`SELECT ${COUNTED.map((t) => `(SELECT count(*) FROM ${t}${t === "ledger" ? " WHERE reached_at IS NOT NULL" : ""}) AS ${t}`).join(", ")}`);
  return Object.fromEntries(COUNTED.map((t) => [t, Number(r.rows[0][t])])) as Record<(typeof COUNTED)[number], number>;
}

export async function copyDumpToPg(dump: StoreDump, store: PgStoreHandle): Promise<{ counts: CopyCount[]; ok: boolean }> {
  const before = await tableCounts(store);
  const busy = Object.entries(before).filter(([, n]) => n > 0);
  if (busy.length) throw new Error(`the target database is not empty (${busy.map(([t, n]) => `${t}: ${n}`).join(", ")}); copy into a new database`);

  // materialise once: the source is counted, and the same records are sent
  const src = {
    users: [...dump.users],
    sessions: [...dump.sessions],
    drafts: [...dump.drafts],
    declarations: [...dump.declarations],
    audit: [...dump.audit],
    deadlines: [...dump.deadlines],
    broadcasts: [...dump.broadcasts],
    ledger: [...new Map([...dump.ledger].map((p) => [`${p[0]}\u0000${p[1]}`, p])).values()],
  };
  const client = await store.pool.connect();
  try {
    await client.query("BEGIN");
    await bulkInsert(client, TABLES.users, src.users, (u) => u.id);
    await bulkInsert(client, TABLES.sessions, src.sessions, (s) => s.userId);
    await bulkInsert(client, TABLES.drafts, src.drafts, (d) => d.id);
    await bulkInsert(client, TABLES.declarations, src.declarations, (d) => d.ref);
    await bulkAudit(client, src.audit);
    await bulkInsert(client, TABLES.deadlines, src.deadlines, (d) => d.id);
    await bulkInsert(client, TABLES.broadcasts, src.broadcasts, (b) => b.id);
    await bulkLedger(client, src.ledger);
    for (const [key, last] of Object.entries(dump.refCounters)) {
      const m = /^(.*?)(\d{4})$/.exec(key);
      if (!m) throw new Error(`unexpected reference counter key ${JSON.stringify(key)} (expected a prefix and a year, e.g. GP2024)`);
      await client.query("INSERT INTO ref_counters (prefix, year, last) VALUES ($1, $2, $3)", [m[1], Number(m[2]), last]);
    }
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    client.release();
  }
  const after = await tableCounts(store);
  const counts = COUNTED.map((what) => ({ what, source: src[what].length, target: after[what] }));
  return { counts, ok: counts.every((c) => c.source === c.target) };
}
