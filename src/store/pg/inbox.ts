/**
 * The inbox on PostgreSQL: updates stored by update_id before they are acknowledged, shared by
 * every instance behind the webhook URL.
 *
 * add() is INSERT … ON CONFLICT (update_id) DO NOTHING: a redelivery (or the same update posted to
 * two instances) is stored once, and add() resolves after the commit, so a 200 is only sent for a
 * stored update. claim() hands out, oldest first, the oldest pending update of each chat — never one
 * while an older update of that chat is pending, claimed or not — so per-chat order holds across
 * instances; FOR UPDATE SKIP LOCKED lets concurrent claimers pass each other's rows instead of
 * waiting or taking the same one. A lease a killed instance leaves runs out and the update is
 * claimed again (handled once in effect, with done() called at its first send).
 */
import type { InboxRecord, InboxRepo, Instant } from "../types.js";
import type { Db } from "./repos.js";

interface InboxRow {
  update_id: string;
  chat_id: string | null;
  update: unknown;
  received_at: string;
  done_at: string | null;
  claimed_by: string | null;
  lease_until: string | null;
  attempts: number;
}

function toRecord(r: InboxRow): InboxRecord {
  const rec: InboxRecord = { updateId: Number(r.update_id), update: r.update, receivedAt: r.received_at, attempts: r.attempts };
  if (r.chat_id !== null) rec.chatId = Number(r.chat_id);
  if (r.done_at !== null) rec.doneAt = r.done_at;
  if (r.claimed_by !== null) rec.claimedBy = r.claimed_by;
  if (r.lease_until !== null) rec.leaseUntil = r.lease_until;
  return rec;
}

export class PgInbox implements InboxRepo {
  constructor(private readonly db: Db) {}

  async add(record: Omit<InboxRecord, "attempts" | "doneAt" | "claimedBy" | "leaseUntil">): Promise<boolean> {
    const r = await this.db.query(
      `INSERT INTO inbox (update_id, chat_id, "update", received_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (update_id) DO NOTHING RETURNING update_id`,
      [record.updateId, record.chatId ?? null, JSON.stringify(record.update), record.receivedAt],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async claim(owner: string, limit: number, leaseMs: number, now: Instant): Promise<InboxRecord[]> {
    if (limit < 1) return [];
    const until = new Date(Date.parse(now) + leaseMs).toISOString();
    const r = await this.db.query<InboxRow>(
      `WITH next AS (
         SELECT i.update_id FROM inbox i
          WHERE i.done_at IS NULL
            AND (i.lease_until IS NULL OR i.lease_until <= $3)
            AND (i.chat_id IS NULL OR NOT EXISTS (
                  SELECT 1 FROM inbox o WHERE o.chat_id = i.chat_id AND o.done_at IS NULL AND o.update_id < i.update_id))
          ORDER BY i.update_id
          LIMIT $4
          FOR UPDATE SKIP LOCKED)
       UPDATE inbox SET claimed_by = $1, lease_until = $2, attempts = inbox.attempts + 1
         FROM next WHERE inbox.update_id = next.update_id
       RETURNING inbox.*`,
      [owner, until, now, limit],
    );
    return r.rows.map(toRecord).sort((a, b) => a.updateId - b.updateId);
  }

  async done(updateId: number, at: Instant): Promise<void> {
    await this.db.query("UPDATE inbox SET done_at = coalesce(done_at, $2), claimed_by = NULL, lease_until = NULL WHERE update_id = $1", [updateId, at]);
  }

  async countPending(): Promise<number> {
    const r = await this.db.query("SELECT count(*) AS n FROM inbox WHERE done_at IS NULL");
    return Number(r.rows[0].n);
  }

  async prune(doneBefore: Instant): Promise<number> {
    const r = await this.db.query("DELETE FROM inbox WHERE done_at IS NOT NULL AND done_at < $1", [doneBefore]);
    return r.rowCount ?? 0;
  }
}
