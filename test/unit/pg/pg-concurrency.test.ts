/**
 * What only a real server can show: two stores (two "instances", each its own pool) on one
 * database competing for reference numbers, ledger claims and inbox updates. The shared contract
 * suite (test/contract/pg.test.ts) covers the rest of the behaviour.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openPgStore, type PgStoreHandle } from "../../../src/store/pg/index.js";
import type { DeclarationRecord } from "../../../src/store/types.js";
import { freshDatabase, type TestDatabase } from "../../support/postgres.js";

const T0 = "2024-03-01T02:00:00.000Z";

function declaration(ref: string, ownerId: number): DeclarationRecord {
  return {
    ref,
    ownerId,
    plan: "guopei",
    subProjectId: "sp",
    rowId: "r",
    answers: { institution: "新疆师范大学", people: 50 },
    budget: { perYear: 1000, cycle: 1000 },
    status: "submitted",
    submittedAt: T0,
    updatedAt: T0,
    history: [],
  };
}

describe("PostgreSQL store: two instances on one database", () => {
  let db: TestDatabase;
  let a: PgStoreHandle;
  let b: PgStoreHandle;
  beforeEach(async () => {
    db = await freshDatabase();
    [a, b] = await Promise.all([openPgStore(db.url, { poolSize: 5 }), openPgStore(db.url, { poolSize: 5 })]);
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
    await db.drop();
  });

  it("hand out unique, gap-free reference numbers to concurrent submissions, and none to a rolled-back one", async () => {
    const submit = (s: PgStoreHandle, owner: number) =>
      s.transaction(async (tx) => {
        const ref = await tx.declarations.nextRef("guopei", 2024);
        await tx.declarations.put(declaration(ref, owner));
        return ref;
      });
    const refs = await Promise.all(Array.from({ length: 40 }, (_, i) => submit(i % 2 ? a : b, i)));
    expect(new Set(refs).size).toBe(40);
    expect([...refs].sort()).toEqual(Array.from({ length: 40 }, (_, i) => `GP2024-${String(i + 1).padStart(4, "0")}`));

    await expect(
      a.transaction(async (tx) => {
        await tx.declarations.put(declaration(await tx.declarations.nextRef("guopei", 2024), 99));
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await b.declarations.count()).toBe(40);
    expect(await submit(b, 100)).toBe("GP2024-0041");
    expect(await submit(a, 101)).not.toBe("GP2024-0041");
    expect(await a.transaction((tx) => tx.declarations.nextRef("qupei", 2024))).toBe("QP2024-0001");
  });

  it("start reference numbers above those already stored (a database filled by store:migrate)", async () => {
    await a.declarations.put(declaration("GP2024-0107", 1));
    expect(await b.transaction((tx) => tx.declarations.nextRef("guopei", 2024))).toBe("GP2024-0108");
  });

  it("give each chat of a delivery to exactly one instance; an expired lease passes it on, a record never", async () => {
    const chats = Array.from({ length: 500 }, (_, i) => 1000 + i);
    const rounds = await Promise.all([
      ...[0, 1, 2, 3].map((k) => a.ledger.claim("broadcast:x", k % 2 ? [...chats].reverse() : chats, "A", 60_000)),
      ...[0, 1, 2, 3].map((k) => b.ledger.claim("broadcast:x", k % 2 ? chats : [...chats].reverse(), "B", 60_000)),
    ]);
    const byA = new Set(rounds.slice(0, 4).flat());
    const byB = new Set(rounds.slice(4).flat());
    expect(byA.size + byB.size).toBe(500);
    expect([...byA].filter((c) => byB.has(c))).toEqual([]);

    // the owner that got more records some, then dies: its other claims come free only when the lease runs out
    const [dead, deadName, alive, aliveName, held] = byA.size >= byB.size ? ([a, "A", b, "B", [...byA]] as const) : ([b, "B", a, "A", [...byB]] as const);
    expect(held.length).toBeGreaterThanOrEqual(250);
    for (const c of held.slice(0, 10)) await dead.ledger.record("broadcast:x", c);
    await dead.ledger.flush();
    expect(await alive.ledger.claim("broadcast:x", held, aliveName, 60_000)).toEqual([]);
    await a.pool.query("UPDATE ledger SET lease_until = now() - interval '1 second' WHERE owner = $1", [deadName]);
    const taken = await alive.ledger.claim("broadcast:x", held, aliveName, 60_000);
    expect(taken).toEqual(held.slice(10));
    expect(await alive.ledger.countReached("broadcast:x")).toBe(10);
    expect(await dead.ledger.missing("broadcast:x", held.slice(0, 12))).toEqual(held.slice(10, 12));

    // release gives a chat back without recording it; another owner's release does nothing
    await dead.ledger.release("broadcast:x", taken[0]!, deadName);
    expect(await dead.ledger.claim("broadcast:x", [taken[0]!], deadName, 60_000)).toEqual([]);
    await alive.ledger.release("broadcast:x", taken[0]!, aliveName);
    expect(await dead.ledger.claim("broadcast:x", [taken[0]!], deadName, 60_000)).toEqual([taken[0]]);
  });

  it("store an update once whichever instance receives it, and keep each chat's order across claimers", async () => {
    const now = T0;
    // chat 7: updates 1, 3, 5; chat 8: 2, 4; a chat-less update 6; update 3 is posted to both instances
    const adds = await Promise.all([
      a.inbox.add({ updateId: 1, chatId: 7, update: { update_id: 1 }, receivedAt: now }),
      b.inbox.add({ updateId: 2, chatId: 8, update: { update_id: 2 }, receivedAt: now }),
      a.inbox.add({ updateId: 3, chatId: 7, update: { update_id: 3 }, receivedAt: now }),
      b.inbox.add({ updateId: 3, chatId: 7, update: { update_id: 3 }, receivedAt: now }),
      a.inbox.add({ updateId: 4, chatId: 8, update: { update_id: 4 }, receivedAt: now }),
      b.inbox.add({ updateId: 5, chatId: 7, update: { update_id: 5 }, receivedAt: now }),
      a.inbox.add({ updateId: 6, update: { update_id: 6 }, receivedAt: now }),
    ]);
    expect(adds.filter(Boolean)).toHaveLength(6);
    expect(await a.inbox.countPending()).toBe(6);

    const [ca, cb] = await Promise.all([a.inbox.claim("A", 10, 30_000, now), b.inbox.claim("B", 10, 30_000, now)]);
    const first = [...ca!, ...cb!].map((r) => r.updateId).sort();
    expect(first).toEqual([1, 2, 6]); // the oldest of each chat, and the chat-less one, each to one claimer
    expect(await b.inbox.claim("B", 10, 30_000, now)).toEqual([]); // 3 waits for 1, 4 for 2

    await a.inbox.done(1, now);
    const next = await b.inbox.claim("B", 10, 30_000, now);
    expect(next.map((r) => [r.updateId, r.chatId, r.claimedBy, r.attempts])).toEqual([[3, 7, "B", 1]]);

    // B dies holding 3: after its lease another instance takes it, never 5 first
    const later = new Date(Date.parse(now) + 31_000).toISOString();
    const retaken = await a.inbox.claim("A", 10, 30_000, later);
    expect(retaken.map((r) => [r.updateId, r.attempts])).toContainEqual([3, 2]);
    expect(retaken.map((r) => r.updateId)).not.toContain(5);

    await Promise.all([a.inbox.done(3, later), b.inbox.done(3, later)]); // idempotent
    for (const id of [2, 6]) await a.inbox.done(id, now);
    expect((await b.inbox.claim("B", 10, 30_000, later)).map((r) => r.updateId)).toEqual([4, 5]);
    expect(await a.inbox.prune(later)).toBe(3); // 1, 2, 6 were done before `later`
    expect(await a.inbox.countPending()).toBe(2);
  });

  it("hold a chat from the first reply to the handler's end; complete, not repeat, an answered update its instance left", async () => {
    const now = T0;
    for (const [updateId, chatId] of [[1, 7], [2, 7], [3, 8]] as const) await a.inbox.add({ updateId, chatId, update: { update_id: updateId }, receivedAt: now });
    expect((await a.inbox.claim("A", 10, 30_000, now)).map((r) => r.updateId)).toEqual([1, 3]);
    // 1's reply went out, its handler still runs: 2 (same chat) is not handed to B yet
    await a.inbox.answered(1, now);
    expect(await b.inbox.claim("B", 10, 30_000, now)).toEqual([]);
    await a.inbox.done(1, now);
    expect((await b.inbox.claim("B", 10, 30_000, now)).map((r) => r.updateId)).toEqual([2]);
    await b.inbox.done(2, now);
    // A dies after answering 3: once its lease is out, 3 is completed by the next claim, not handed out again
    await a.inbox.answered(3, now);
    const later = new Date(Date.parse(now) + 31_000).toISOString();
    expect(await b.inbox.claim("B", 10, 30_000, later)).toEqual([]);
    expect(await b.inbox.countPending()).toBe(0);
    const row = (await b.pool.query("SELECT done_at, answered_at, attempts FROM inbox WHERE update_id = 3")).rows[0];
    expect(row).toEqual({ done_at: now, answered_at: now, attempts: 1 });
  });

  it("give an instance back at once what its previous life held, and keep a live holder's leases", async () => {
    const now = new Date().toISOString();
    for (const updateId of [1, 2]) await a.inbox.add({ updateId, chatId: 10 + updateId, update: { update_id: updateId }, receivedAt: now });
    expect((await a.inbox.claim("inst-1", 10, 3_000, now)).map((r) => r.updateId)).toEqual([1, 2]);
    await a.inbox.done(2, now);
    // "inst-1" restarts (store a is its previous life): the restarted store releases what it held and claims it again
    expect(await b.inbox.release("inst-1")).toBe(1);
    expect((await b.inbox.claim("inst-1", 10, 3_000, now)).map((r) => r.updateId)).toEqual([1]);
    // b holds it and lives: its lease is renewed, so past the first lease nobody else takes it
    const firstUntil = new Date(Date.parse(now) + 3_000).toISOString();
    const leaseOf = async () => Date.parse((await b.pool.query("SELECT lease_until FROM inbox WHERE update_id = 1")).rows[0].lease_until as string);
    for (let i = 0; i < 200 && (await leaseOf()) <= Date.parse(firstUntil); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await leaseOf()).toBeGreaterThan(Date.parse(firstUntil));
    expect(await a.inbox.claim("inst-2", 10, 3_000, new Date(Date.parse(firstUntil) + 1).toISOString())).toEqual([]);
  });
});
