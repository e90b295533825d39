/** store:migrate: a lowdb data folder copied into PostgreSQL, counted, and readable through the contract. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../../src/store/index.js";
import { copyDumpToPg } from "../../../src/store/pg/copy-from-lowdb.js";
import { openPgStore, type PgStoreHandle } from "../../../src/store/pg/index.js";
import { freshDatabase, type TestDatabase } from "../../support/postgres.js";

const at = (m: number) => new Date(Date.parse("2024-05-01T00:00:00.000Z") + m * 60_000).toISOString();

describe("store:migrate", () => {
  let dir: string | undefined;
  let db: TestDatabase | undefined;
  let pgStore: PgStoreHandle | undefined;
  afterEach(async () => {
    await pgStore?.close();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("copies every record, the ledger and the reference counters, and the counts match", async () => {
    dir = await mkdtemp(join(tmpdir(), "store-migrate-"));
    const lowdb = await openStore(dir, { fsync: false });
    for (let i = 1; i <= 30; i++) await lowdb.users.put({ id: i, chatId: i, name: `用户${i}`, roles: i === 1 ? ["coordinator"] : [], subscribed: i % 2 === 0, reachable: true, createdAt: at(i) });
    await lowdb.sessions.put({ userId: 3, flow: "declare", nonce: "n", state: { step: "lead" }, updatedAt: at(1) });
    await lowdb.drafts.put({ id: "d1", ownerId: 4, stepId: "people", answers: { subProject: "sp" }, createdAt: at(2), updatedAt: at(3) });
    const refs: string[] = [];
    for (let i = 0; i < 3; i++) {
      refs.push(
        await lowdb.transaction(async (tx) => {
          const ref = await tx.declarations.nextRef("guopei", 2024);
          await tx.declarations.put({ ref, ownerId: 5 + i, plan: "guopei", subProjectId: "sp", rowId: "r", answers: { people: 10 }, budget: { perYear: 1, cycle: 1 }, status: "submitted", submittedAt: at(10 + i), updatedAt: at(10 + i), history: [] });
          await tx.audit.append({ at: at(10 + i), actor: 5 + i, action: "submit", target: ref });
          return ref;
        }),
      );
    }
    await lowdb.deadlines.put({ id: "dl", date: "2024-06-01", title: "截止", scope: { kind: "all" }, createdBy: 1, createdAt: at(0) });
    await lowdb.broadcasts.put({ id: "b1", text: "通知", createdBy: 1, createdAt: at(20) });
    for (const c of [2, 4, 6]) await lowdb.ledger.record("broadcast:b1", c);
    await lowdb.flush();

    db = await freshDatabase();
    pgStore = await openPgStore(db.url, { poolSize: 2 });
    const { counts, ok } = await copyDumpToPg(lowdb.dump(), pgStore);
    await lowdb.close();
    expect(ok).toBe(true);
    expect(Object.fromEntries(counts.map((c) => [c.what, c.target]))).toEqual({ users: 30, sessions: 1, drafts: 1, declarations: 3, audit: 3, deadlines: 1, broadcasts: 1, ledger: 3 });

    expect(await pgStore.users.get(1)).toMatchObject({ roles: ["coordinator"], name: "用户1" });
    expect((await pgStore.declarations.find({ status: "submitted" }, { limit: 10 })).items.map((d) => d.ref)).toEqual(refs);
    expect((await pgStore.audit.find({ target: refs[1] }, { limit: 10 })).total).toBe(1);
    expect(await pgStore.ledger.missing("broadcast:b1", [1, 2, 3, 4])).toEqual([1, 3]);
    // numbering continues where lowdb stopped
    expect(await pgStore.transaction((tx) => tx.declarations.nextRef("guopei", 2024))).toBe("GP2024-0004");

    // a second copy into the same database is refused (it is not empty), and changes nothing
    const again = await openStore(dir, { fsync: false });
    await expect(copyDumpToPg(again.dump(), pgStore)).rejects.toThrow(/not empty/);
    await again.close();
    expect((await pgStore.users.count()).total).toBe(30);
  });
});
