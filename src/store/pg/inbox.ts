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
 * claimed again (handled once in effect).
 *
 * Across instances:
 * - answered() (the update's first reply went out) does not free the chat: its next update waits
 *   for done() at the handler's end, so a handler still writing after its reply is not overtaken by
 *   the chat's next update on another instance. An answered update whose lease ran out (its instance
 *   died after replying) is completed by the next claim, not handled again;
 * - leases are short and renewed while this process holds them (keepLeases), so a kill -9 stalls
 *   the chats it was handling for one lease, not for minutes; release() at start-up hands back at
 *   once what this instance's previous life held (same instance name, src/store/pg/instance.ts).
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

/** How often held leases are renewed, as a fraction of the lease. */
const RENEW_FRACTION = 1 / 3;

export class PgInbox implements InboxRepo {
  /** Owners this process claims as, with their lease and the caller's clock offset (claim()'s `now`). */
  private readonly holders = new Map<string, { leaseMs: number; skewMs: number }>();
  private renewal: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Db,
    private readonly log?: { warn(obj: object, msg?: string): void },
  ) {}

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
    this.keepLeases(owner, leaseMs, Date.parse(now) - Date.now());
    const until = new Date(Date.parse(now) + leaseMs).toISOString();
    // answered before its instance died (lease out): done, not handled again
    await this.db.query(
      `UPDATE inbox SET done_at = answered_at, claimed_by = NULL, lease_until = NULL
        WHERE done_at IS NULL AND answered_at IS NOT NULL AND (lease_until IS NULL OR lease_until <= $1)`,
      [now],
    );
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

  /** Its first reply went out: never handled again, but the chat stays held until done(). */
  async answered(updateId: number, at: Instant): Promise<void> {
    await this.db.query("UPDATE inbox SET answered_at = coalesce(answered_at, $2) WHERE update_id = $1 AND done_at IS NULL", [updateId, at]);
  }

  /** Hands back every pending update `owner` holds (this instance's previous life, at start-up). */
  async release(owner: string): Promise<number> {
    const r = await this.db.query("UPDATE inbox SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = $1 AND done_at IS NULL", [owner]);
    return r.rowCount ?? 0;
  }

  /** Renews the leases of `owner`'s pending updates every third of a lease while this process runs. */
  private keepLeases(owner: string, leaseMs: number, skewMs: number): void {
    this.holders.set(owner, { leaseMs, skewMs });
    if (this.renewal) return;
    const every = Math.max(250, Math.min(...[...this.holders.values()].map((h) => h.leaseMs)) * RENEW_FRACTION);
    this.renewal = setInterval(() => {
      for (const [who, h] of this.holders) {
        const until = new Date(Date.now() + h.skewMs + h.leaseMs).toISOString();
        this.db
          .query("UPDATE inbox SET lease_until = $2 WHERE claimed_by = $1 AND done_at IS NULL", [who, until])
          .catch((err: unknown) => this.log?.warn({ err }, "store: inbox lease renewal failed"));
      }
    }, every);
    this.renewal.unref();
  }

  /** Stops renewing (the store is closing). */
  stop(): void {
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = undefined;
    this.holders.clear();
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
