/**
 * Bulk loading of whole records (store:migrate, the benchmark's seed): batches of documents sent as
 * one jsonb array per statement, so 500,000 rows take seconds, not the minutes of one put() each.
 * The rows are exactly what put() writes: the key, and the record in doc (query columns are generated).
 */
import type { Db } from "./repos.js";

export type KeyedTable = { table: "users" | "sessions"; key: "id" | "user_id"; type: "bigint" } | { table: "drafts" | "declarations" | "deadlines" | "broadcasts"; key: "id" | "ref"; type: "text" };

export const TABLES = {
  users: { table: "users", key: "id", type: "bigint" },
  sessions: { table: "sessions", key: "user_id", type: "bigint" },
  drafts: { table: "drafts", key: "id", type: "text" },
  declarations: { table: "declarations", key: "ref", type: "text" },
  deadlines: { table: "deadlines", key: "id", type: "text" },
  broadcasts: { table: "broadcasts", key: "id", type: "text" },
} as const satisfies Record<string, KeyedTable>;

const BATCH = 5000;

/** Inserts records in batches; keyOf gives each record's key. Returns how many. */
export async function bulkInsert<T>(db: Db, t: KeyedTable, records: Iterable<T>, keyOf: (r: T) => string | number): Promise<number> {
  let n = 0;
  let batch: T[] = [];
  const send = async () => {
    if (!batch.length) return;
    await db.query(
      `INSERT INTO ${t.table} (${t.key}, doc)
       SELECT k::${t.type}, d FROM unnest($1::text[]) WITH ORDINALITY AS a(k, i) JOIN jsonb_array_elements($2::jsonb) WITH ORDINALITY AS b(d, j) ON i = j`,
      [batch.map((r) => String(keyOf(r))), JSON.stringify(batch)],
    );
    n += batch.length;
    batch = [];
  };
  for (const r of records) {
    batch.push(r);
    if (batch.length >= BATCH) await send();
  }
  await send();
  return n;
}

/** Audit entries in the given order (their sequence keeps it). */
export async function bulkAudit(db: Db, entries: Iterable<unknown>): Promise<number> {
  let n = 0;
  let batch: unknown[] = [];
  const send = async () => {
    if (!batch.length) return;
    await db.query("INSERT INTO audit (doc) SELECT d FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS b(d, j) ORDER BY j", [JSON.stringify(batch)]);
    n += batch.length;
    batch = [];
  };
  for (const e of entries) {
    batch.push(e);
    if (batch.length >= BATCH) await send();
  }
  await send();
  return n;
}

/** Ledger records (delivery, chat), each reached now. */
export async function bulkLedger(db: Db, pairs: Iterable<[string, number]>): Promise<number> {
  let n = 0;
  let batch: [string, number][] = [];
  const send = async () => {
    if (!batch.length) return;
    await db.query("INSERT INTO ledger (delivery, chat_id, reached_at) SELECT d, c, now() FROM unnest($1::text[], $2::bigint[]) AS x(d, c) ON CONFLICT DO NOTHING", [batch.map((p) => p[0]), batch.map((p) => p[1])]);
    n += batch.length;
    batch = [];
  };
  for (const p of pairs) {
    batch.push(p);
    if (batch.length >= BATCH) await send();
  }
  await send();
  return n;
}
