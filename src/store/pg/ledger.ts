/**
 * The delivery ledger on PostgreSQL, shared by every instance. A row per (delivery, chat):
 * reached_at set = sent or given up; otherwise a claim held by `owner` until lease_until.
 *
 * claim() is graphile-worker's pattern: INSERT … ON CONFLICT … DO UPDATE … WHERE <claimable>
 * RETURNING. A concurrent claim of the same chat waits on the row and then sees the other's lease,
 * so exactly one instance gets each chat; a killed instance's lease runs out (database clock, so
 * instances' clocks do not matter) and its chats are claimed again — the sends it had in flight are
 * the only possible duplicates.
 */
import type { LedgerRepo } from "../types.js";
import type { Db } from "./repos.js";

export class PgLedger implements LedgerRepo {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly db: Db) {}

  private track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const forget = () => this.pending.delete(p);
    p.then(forget, forget);
    return p;
  }

  async has(delivery: string, chatId: number): Promise<boolean> {
    const r = await this.db.query("SELECT 1 FROM ledger WHERE delivery = $1 AND chat_id = $2 AND reached_at IS NOT NULL", [delivery, chatId]);
    return (r.rowCount ?? 0) > 0;
  }

  async missing(delivery: string, chatIds: readonly number[]): Promise<number[]> {
    if (!chatIds.length) return [];
    const r = await this.db.query<{ chat_id: string }>("SELECT chat_id FROM ledger WHERE delivery = $1 AND chat_id = ANY($2) AND reached_at IS NOT NULL", [delivery, [...chatIds]]);
    const reached = new Set(r.rows.map((row) => Number(row.chat_id)));
    return chatIds.filter((c) => !reached.has(c));
  }

  async countReached(delivery: string): Promise<number> {
    const r = await this.db.query("SELECT count(*) AS n FROM ledger WHERE delivery = $1 AND reached_at IS NOT NULL", [delivery]);
    return Number(r.rows[0].n);
  }

  record(delivery: string, chatId: number): Promise<void> {
    return this.track(
      this.db
        .query(
          `INSERT INTO ledger (delivery, chat_id, reached_at) VALUES ($1, $2, now())
           ON CONFLICT (delivery, chat_id) DO UPDATE SET reached_at = coalesce(ledger.reached_at, excluded.reached_at), owner = NULL, lease_until = NULL`,
          [delivery, chatId],
        )
        .then(() => undefined),
    );
  }

  async claim(delivery: string, chatIds: readonly number[], owner: string, leaseMs: number): Promise<number[]> {
    if (!chatIds.length) return [];
    // sorted, so two instances claiming overlapping batches lock rows in the same order (no deadlock)
    const sorted = [...new Set(chatIds)].sort((a, b) => a - b);
    const r = await this.db.query<{ chat_id: string }>(
      `INSERT INTO ledger AS l (delivery, chat_id, owner, lease_until)
         SELECT $1, c, $3, now() + $4 * interval '1 millisecond' FROM unnest($2::bigint[]) AS c
       ON CONFLICT (delivery, chat_id) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
         WHERE l.reached_at IS NULL AND (l.owner IS NULL OR l.owner = excluded.owner OR l.lease_until <= now())
       RETURNING chat_id`,
      [delivery, sorted, owner, leaseMs],
    );
    const got = new Set(r.rows.map((row) => Number(row.chat_id)));
    return chatIds.filter((c, i) => got.has(c) && chatIds.indexOf(c) === i);
  }

  async release(delivery: string, chatId: number, owner: string): Promise<void> {
    await this.db.query("DELETE FROM ledger WHERE delivery = $1 AND chat_id = $2 AND owner = $3 AND reached_at IS NULL", [delivery, chatId, owner]);
  }

  /** Every record() resolves once committed; flush waits for those still on their way. */
  async flush(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }
}
