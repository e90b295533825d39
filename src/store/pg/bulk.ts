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

/** Feeds `items` to `send` in batches of BATCH (the last one shorter); returns how many were sent. */
async function inBatches<T>(items: Iterable<T>, send: (batch: T[]) => Promise<unknown>): Promise<number> {
  let n = 0;
  let batch: T[] = [];
  for (const item of items) {
    batch.push(item);
    if (batch.length >= BATCH) {
      await send(batch);
      n += batch.length;
      batch = [];
    }
  }
  if (batch.length) await send(batch);
  return n + batch.length;
}

/** Inserts records in batches; keyOf gives each record's key. Returns how many. */
export function bulkInsert<T>(db: Db, t: KeyedTable, records: Iterable<T>, keyOf: (r: T) => string | number): Promise<number> {
  return inBatches(records, (batch) =>
    db.query(
      `INSERT INTO ${t.table} (${t.key}, doc)
       SELECT k::${t.type}, d FROM unnest($1::text[]) WITH ORDINALITY AS a(k, i) JOIN jsonb_array_elements($2::jsonb) WITH ORDINALITY AS b(d, j) ON i = j`,
      [batch.map((r) => String(keyOf(r))), JSON.stringify(batch)],
    ),
  );
}

/** Audit entries in the given order (their sequence keeps it). */
export function bulkAudit(db: Db, entries: Iterable<unknown>): Promise<number> {
  return inBatches(entries, (batch) => db.query("INSERT INTO audit (doc) SELECT d FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS b(d, j) ORDER BY j", [JSON.stringify(batch)]));
}

/** Ledger records (delivery, chat), each reached now. */
export function bulkLedger(db: Db, pairs: Iterable<[string, number]>): Promise<number> {
  return inBatches(pairs, (batch) =>
    db.query("INSERT INTO ledger (delivery, chat_id, reached_at) SELECT d, c, now() FROM unnest($1::text[], $2::bigint[]) AS x(d, c) ON CONFLICT DO NOTHING", [batch.map((p) => p[0]), batch.map((p) => p[1])]),
  );
}
