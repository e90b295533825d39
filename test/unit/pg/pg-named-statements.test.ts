/**
 * The PostgreSQL store's statements are named (prepared once per connection). A newer instance may
 * migrate the schema while an older one runs: a prepared statement whose result gains a column then
 * fails on every call ("cached plan must not change result type"), so none of them may return `*`.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openPgStore, type PgStoreHandle } from "../../../src/store/pg/index.js";
import { freshDatabase, type TestDatabase } from "../../support/postgres.js";

describe("named statements on PostgreSQL", () => {
  let db: TestDatabase;
  let store: PgStoreHandle;
  beforeEach(async () => {
    db = await freshDatabase();
    store = await openPgStore(db.url, { poolSize: 1 });
  });
  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  it("keep working on the same connection after a migration adds columns to their tables", async () => {
    const now = new Date().toISOString();
    await store.inbox.add({ updateId: 1, chatId: 5, update: { update_id: 1 }, receivedAt: now });
    expect((await store.inbox.claim("A", 10, 15_000, now)).map((r) => r.updateId)).toEqual([1]);
    await store.inbox.done(1, now);
    await store.users.put({ id: 7, chatId: 7, name: "张三", roles: [], subscribed: false, reachable: true, createdAt: now });
    expect((await store.users.get(7))?.name).toBe("张三");

    for (const table of ["inbox", "users", "sessions", "drafts", "declarations", "deadlines", "broadcasts"]) await store.pool.query(`ALTER TABLE ${table} ADD COLUMN later_column text`);

    await store.inbox.add({ updateId: 2, chatId: 5, update: { update_id: 2 }, receivedAt: now });
    expect((await store.inbox.claim("A", 10, 15_000, now)).map((r) => r.updateId)).toEqual([2]);
    await store.inbox.answered(2, now);
    await store.inbox.done(2, now);
    expect(await store.inbox.countPending()).toBe(0);
    await store.users.put({ id: 7, chatId: 7, name: "李四", roles: [], subscribed: false, reachable: true, createdAt: now });
    expect((await store.users.get(7))?.name).toBe("李四");
  });
});
