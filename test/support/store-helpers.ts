/** Small helpers for store tests, written against the store contract only. */
import type { Plan } from "../../src/knowledge/schema.js";
import type { AuditRecord, Store } from "../../src/store/types.js";

/** Every audit entry, oldest first, a page at a time. */
export async function allAudit(store: Store): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  for (let offset = 0; ; offset += 1000) {
    const { items, total } = await store.audit.find({}, { limit: 1000, offset });
    out.push(...items);
    if (out.length >= total || items.length === 0) return out;
  }
}

/** Which of the candidate chats the delivery has reached. */
export async function reachedAmong(store: Store, delivery: string, candidates: readonly number[]): Promise<number[]> {
  const missing = new Set(await store.ledger.missing(delivery, candidates));
  return candidates.filter((c) => !missing.has(c));
}

/** Allocates a reference number in a transaction of its own. */
export function nextRef(store: Store, plan: Plan, year: number): Promise<string> {
  return store.transaction((tx) => tx.declarations.nextRef(plan, year));
}

/**
 * The records a shard file holds, by key, read as plain JSON (either format: `{"records":{…}}`, or
 * the line format whose records are `[key, …heads, record]`, src/store/shard-file.ts).
 */
export function shardRecords<T>(text: string): Record<string, T> {
  const data = JSON.parse(text) as { records: Record<string, T> | unknown[][] };
  if (!Array.isArray(data.records)) return data.records;
  return Object.fromEntries(data.records.map((line) => [line[0] as string, line[line.length - 1] as T]));
}
