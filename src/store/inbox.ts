/**
 * The embedded inbox (InboxRepo): updates stored by update_id before they are acknowledged, in an
 * append-only journal, DATA_DIR/inbox/updates.log (one JSON line per fact):
 *   {"a": {updateId, chatId, update, receivedAt}}   stored (add resolves after an fdatasync)
 *   {"d": updateId, "at": instant}                  done (one write(2): survives a kill -9 at once)
 * Reading it back gives the pending updates and the done ids (kept for redeliveries until pruned).
 * Claims and leases live in memory: one process owns the data folder, and a restarted one may
 * claim everything pending. When the journal holds many done lines it is rewritten (compacted).
 */
import { join } from "node:path";
import { Journal } from "./line-journal.js";
import type { InboxRecord, InboxRepo, Instant } from "./types.js";

type Added = Omit<InboxRecord, "attempts" | "doneAt" | "claimedBy" | "leaseUntil">;

/** Rewrite the journal when it has this many more lines than it needs. */
const COMPACT_AFTER_LINES = 20_000;

export class EmbeddedInbox implements InboxRepo {
  readonly #journal: Journal;
  /** Pending updates by id (Map order is insertion order; claim sorts by id). */
  readonly #pending = new Map<number, InboxRecord>();
  /** Done update ids and when, so a redelivered update is recognised. */
  readonly #done = new Map<number, Instant>();
  #lines: number;

  private constructor(journal: Journal, lines: number) {
    this.#journal = journal;
    this.#lines = lines;
  }

  static open(dataDir: string): EmbeddedInbox {
    const { journal, lines } = Journal.open(join(dataDir, "inbox", "updates.log"));
    const inbox = new EmbeddedInbox(journal, lines.length);
    for (const line of lines) {
      let fact: { a?: Added; d?: number; at?: Instant };
      try {
        fact = JSON.parse(line) as typeof fact;
      } catch {
        continue; // only the last line can be torn, and Journal.open drops that; anything else is noise
      }
      if (fact.a && Number.isSafeInteger(fact.a.updateId) && !inbox.#done.has(fact.a.updateId)) {
        inbox.#pending.set(fact.a.updateId, { ...fact.a, attempts: 0 });
      } else if (typeof fact.d === "number") {
        inbox.#pending.delete(fact.d);
        inbox.#done.set(fact.d, fact.at ?? new Date(0).toISOString());
      }
    }
    return inbox;
  }

  async add(record: Added): Promise<boolean> {
    if (this.#pending.has(record.updateId) || this.#done.has(record.updateId)) return false;
    this.#pending.set(record.updateId, { ...record, attempts: 0 });
    this.#append({ a: record });
    // Every add of a getUpdates batch shares one fdatasync.
    await this.#journal.sync();
    return true;
  }

  async claim(owner: string, limit: number, leaseMs: number, now: Instant): Promise<InboxRecord[]> {
    const nowMs = Date.parse(now);
    const leaseUntil = new Date(nowMs + leaseMs).toISOString();
    const seenChats = new Set<number>();
    const out: InboxRecord[] = [];
    for (const r of [...this.#pending.values()].sort((a, b) => a.updateId - b.updateId)) {
      if (out.length >= limit) break;
      // Only the oldest pending update of a chat, claimed or not.
      if (r.chatId !== undefined) {
        if (seenChats.has(r.chatId)) continue;
        seenChats.add(r.chatId);
      }
      if (r.claimedBy !== undefined && r.leaseUntil !== undefined && Date.parse(r.leaseUntil) > nowMs) continue;
      r.claimedBy = owner;
      r.leaseUntil = leaseUntil;
      r.attempts += 1;
      out.push({ ...r });
    }
    return out;
  }

  async done(updateId: number, at: Instant): Promise<void> {
    if (this.#done.has(updateId)) return;
    this.#pending.delete(updateId);
    this.#done.set(updateId, at);
    this.#append({ d: updateId, at });
    if (this.#lines > COMPACT_AFTER_LINES + 2 * (this.#pending.size + this.#done.size)) this.#compact();
  }

  async countPending(): Promise<number> {
    return this.#pending.size;
  }

  async prune(doneBefore: Instant): Promise<number> {
    let n = 0;
    for (const [id, at] of this.#done) {
      if (at < doneBefore) {
        this.#done.delete(id);
        n++;
      }
    }
    if (n > 0) this.#compact();
    return n;
  }

  close(): void {
    this.#journal.close();
  }

  #append(fact: object): void {
    this.#journal.append(JSON.stringify(fact));
    this.#lines++;
  }

  /** Rewrites the journal with what it must remember: pending updates and done ids. */
  #compact(): void {
    const lines: string[] = [];
    for (const [id, at] of this.#done) lines.push(JSON.stringify({ d: id, at }));
    for (const r of this.#pending.values()) lines.push(JSON.stringify({ a: { updateId: r.updateId, chatId: r.chatId, update: r.update, receivedAt: r.receivedAt } }));
    this.#journal.rewrite(lines);
    this.#lines = lines.length;
  }
}
