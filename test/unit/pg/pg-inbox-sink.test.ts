/**
 * The inbox sink (src/bot/inbox-runner.ts) on the shared PostgreSQL inbox, two "instances" (two
 * stores, two sinks) on one real database: an update stored and claimed by an instance that then
 * dies (stops renewing, never finishes) is handled by the other once the lease runs out, found by
 * its periodic look for work, and the chat's next update comes after it, not before.
 */
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startInboxSink, type InboxSink } from "../../../src/bot/inbox-runner.js";
import type { BotContext } from "../../../src/bot/context.js";
import { openPgStore, type PgStoreHandle } from "../../../src/store/pg/index.js";
import { freshDatabase, type TestDatabase } from "../../support/postgres.js";

const quiet = { info() {}, warn() {}, error() {} };
const asBot = (handleUpdate: (u: Update) => Promise<void>) => ({ handleUpdate }) as unknown as Bot<BotContext>;

async function until(check: () => boolean | Promise<boolean>, what: string, ceilingMs = 30_000): Promise<void> {
  const end = Date.now() + ceilingMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not reached within ${ceilingMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("the shared inbox when an instance dies holding an update", () => {
  let db: TestDatabase;
  let a: PgStoreHandle;
  let b: PgStoreHandle;
  const sinks: InboxSink[] = [];
  beforeEach(async () => {
    db = await freshDatabase();
    [a, b] = await Promise.all([openPgStore(db.url, { poolSize: 3 }), openPgStore(db.url, { poolSize: 3 })]);
  });
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.stop(100)));
    await Promise.all([a.close(), b.close()]);
    await db.drop();
  });

  it("is handled by the other instance, and the chat's next update after it", async () => {
    const now = new Date().toISOString();
    for (const updateId of [1, 2]) await a.inbox.add({ updateId, chatId: 5, update: { update_id: updateId }, receivedAt: now });

    // instance A takes update 1 and never finishes it
    const takenByA: number[] = [];
    const sinkA = startInboxSink(asBot((u) => (takenByA.push(u.update_id), new Promise<void>(() => {}))), a.inbox, { owner: "A", logger: quiet, leaseMs: 1_000, pollMs: 100 });
    sinks.push(sinkA);
    await until(() => takenByA.length > 0, "A took update 1");
    expect(takenByA).toEqual([1]);
    // A dies: no more claims, no more lease renewals
    void sinkA.stop(0);
    a.inbox.stop();

    const handledByB: number[] = [];
    sinks.push(startInboxSink(asBot(async (u) => void handledByB.push(u.update_id)), b.inbox, { owner: "B", logger: quiet, leaseMs: 1_000, pollMs: 100 }));
    await until(() => handledByB.length === 2, "B handled both updates");
    expect(handledByB).toEqual([1, 2]);
    await until(async () => (await b.inbox.countPending()) === 0, "both done");
    const rows = (await b.pool.query("SELECT update_id, attempts FROM inbox ORDER BY update_id")).rows;
    expect(rows).toEqual([
      { update_id: "1", attempts: 2 },
      { update_id: "2", attempts: 1 },
    ]);
  });
});
