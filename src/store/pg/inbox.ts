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
 *
 * Cost per update: add, answered and done are one row each, so calls that overlap share one
 * statement and one commit (coalesce.ts); claim() is one statement, which also completes the
 * answered updates left behind. Every statement is named (parsed and planned once per connection).
 * A statement that writes several rows takes their locks in update_id order (or skips locked
 * ones), so two of them never wait for each other in a circle (deadlock).
 */
import type { InboxRecord, InboxRepo, Instant } from "../types.js";
import { coalesced } from "./coalesce.js";
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

  private readonly addMany = coalesced(async (records: Omit<InboxRecord, "attempts" | "doneAt" | "claimedBy" | "leaseUntil">[]): Promise<boolean[]> => {
    const r = await this.db.query<{ update_id: string }>({
      name: "inbox.add",
      text: `INSERT INTO inbox (update_id, chat_id, "update", received_at)
             SELECT r.update_id, r.chat_id, r."update", r.received_at
               FROM jsonb_to_recordset($1::jsonb) AS r(update_id bigint, chat_id bigint, "update" jsonb, received_at text)
              ORDER BY r.update_id
             ON CONFLICT (update_id) DO NOTHING RETURNING update_id`,
      values: [JSON.stringify(records.map((x) => ({ update_id: x.updateId, chat_id: x.chatId ?? null, update: x.update, received_at: x.receivedAt })))],
    });
    // the same update_id twice in one batch (posted to us twice at once) is stored once: only its first caller gets true
    const stored = new Set(r.rows.map((row) => Number(row.update_id)));
    return records.map((x) => stored.delete(x.updateId));
  });

  private readonly answeredMany = coalesced(async (marks: { updateId: number; at: Instant }[]): Promise<void[]> => {
    await this.db.query({
      name: "inbox.answered",
      text: `WITH m AS (SELECT i.update_id, m.at FROM inbox i JOIN unnest($1::bigint[], $2::text[]) AS m(id, at) ON i.update_id = m.id
                          WHERE i.done_at IS NULL ORDER BY i.update_id FOR UPDATE OF i)
             UPDATE inbox SET answered_at = coalesce(answered_at, m.at) FROM m WHERE inbox.update_id = m.update_id AND done_at IS NULL`,
      values: [marks.map((m) => m.updateId), marks.map((m) => m.at)],
    });
    return [];
  });

  private readonly doneMany = coalesced(async (marks: { updateId: number; at: Instant }[]): Promise<void[]> => {
    await this.db.query({
      name: "inbox.done",
      text: `WITH m AS (SELECT i.update_id, m.at FROM inbox i JOIN unnest($1::bigint[], $2::text[]) AS m(id, at) ON i.update_id = m.id
                          ORDER BY i.update_id FOR UPDATE OF i)
             UPDATE inbox SET done_at = coalesce(done_at, m.at), claimed_by = NULL, lease_until = NULL FROM m WHERE inbox.update_id = m.update_id`,
      values: [marks.map((m) => m.updateId), marks.map((m) => m.at)],
    });
    return [];
  });

  add(record: Omit<InboxRecord, "attempts" | "doneAt" | "claimedBy" | "leaseUntil">): Promise<boolean> {
    return this.addMany(record);
  }

  async claim(owner: string, limit: number, leaseMs: number, now: Instant): Promise<InboxRecord[]> {
    if (limit < 1) return [];
    this.keepLeases(owner, leaseMs, Date.parse(now) - Date.now());
    const until = new Date(Date.parse(now) + leaseMs).toISOString();
    // Its columns are listed, not `inbox.*`: a named statement whose result gains a column (a
    // migration applied by a newer instance) would fail on every call with "cached plan must not
    // change result type". One statement. `finished`: updates answered before their instance died (lease out) are done,
    // not handled again. Both parts see the same snapshot, so `next` counts those as done already:
    // it never hands one out, and it does not let them hold back their chat's next update.
    const r = await this.db.query<InboxRow>({
      name: "inbox.claim",
      text: `WITH finished AS (
         UPDATE inbox SET done_at = answered_at, claimed_by = NULL, lease_until = NULL
          WHERE update_id IN (SELECT update_id FROM inbox
                               WHERE done_at IS NULL AND answered_at IS NOT NULL AND (lease_until IS NULL OR lease_until <= $3)
                               FOR UPDATE SKIP LOCKED)
          RETURNING update_id),
       next AS (
         SELECT i.update_id FROM inbox i
          WHERE i.done_at IS NULL AND i.answered_at IS NULL
            AND (i.lease_until IS NULL OR i.lease_until <= $3)
            AND (i.chat_id IS NULL OR NOT EXISTS (
                  SELECT 1 FROM inbox o WHERE o.chat_id = i.chat_id AND o.done_at IS NULL AND o.update_id < i.update_id
                     AND NOT (o.answered_at IS NOT NULL AND (o.lease_until IS NULL OR o.lease_until <= $3))))
          ORDER BY i.update_id
          LIMIT $4
          FOR UPDATE SKIP LOCKED)
       UPDATE inbox SET claimed_by = $1, lease_until = $2, attempts = inbox.attempts + 1
         FROM next WHERE inbox.update_id = next.update_id
       RETURNING inbox.update_id, inbox.chat_id, inbox."update", inbox.received_at, inbox.done_at, inbox.claimed_by, inbox.lease_until, inbox.attempts`,
      values: [owner, until, now, limit],
    });
    return r.rows.map(toRecord).sort((a, b) => a.updateId - b.updateId);
  }

  /** Its first reply went out: never handled again, but the chat stays held until done(). */
  answered(updateId: number, at: Instant): Promise<void> {
    return this.answeredMany({ updateId, at }).then(() => undefined);
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
          .query({
            name: "inbox.renew",
            text: `UPDATE inbox SET lease_until = $2
                    WHERE update_id IN (SELECT update_id FROM inbox WHERE claimed_by = $1 AND done_at IS NULL ORDER BY update_id FOR UPDATE)`,
            values: [who, until],
          })
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

  done(updateId: number, at: Instant): Promise<void> {
    return this.doneMany({ updateId, at }).then(() => undefined);
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
