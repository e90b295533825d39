/**
 * The /broadcast confirmation through the service (src/services/broadcasts.ts), kept in the store
 * rather than one process's memory: the tap may reach another instance (a second store on the same
 * folder stands in for it here), counts once, is the asking admin's alone, and expires.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { askToBroadcast, PENDING_BROADCAST_EXPIRED, PENDING_BROADCAST_TTL_MS, takePendingBroadcast } from "../../src/services/broadcasts.js";
import type { ServiceDeps } from "../../src/services/context.js";
import { openStore, type StoreHandle } from "../../src/store/index.js";

const knowledge = loadKnowledge();
const ADMIN = 900;
const OTHER_ADMIN = 901;
const TEACHER = 501;

let dir: string;
let store: StoreHandle;
let deps: ServiceDeps;
let clock: Date;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "broadcast-confirm-"));
  store = await openStore(dir, { fsync: false });
  clock = new Date("2024-05-10T02:00:00.000Z");
  deps = { store, knowledge, adminIds: [ADMIN, OTHER_ADMIN], timeZone: "Asia/Shanghai", now: () => clock };
});

afterEach(async () => {
  await store.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

async function ask(userId: number, text: string): Promise<string> {
  const out = await askToBroadcast(deps, userId, text);
  if (!out.ok) throw new Error(out.message);
  return out.id;
}

describe("a pending /broadcast", () => {
  it("is kept in the store: after a restart (any process on the store) the tap still finds its text, once", async () => {
    const id = await ask(ADMIN, "请于3月1日前提交申报书");
    await store.close();
    store = await openStore(dir, { fsync: false });
    deps = { ...deps, store };
    expect(await takePendingBroadcast(deps, ADMIN, id)).toMatchObject({ ok: true, text: "请于3月1日前提交申报书" });
    expect(await takePendingBroadcast(deps, ADMIN, id)).toMatchObject({ ok: false, code: "expired", message: PENDING_BROADCAST_EXPIRED });
  });

  it("is the asking admin's alone, and refused to anyone who is not an admin", async () => {
    const id = await ask(ADMIN, "通知");
    expect(await takePendingBroadcast(deps, OTHER_ADMIN, id)).toMatchObject({ ok: false, code: "expired" });
    expect(await takePendingBroadcast(deps, TEACHER, id)).toMatchObject({ ok: false, code: "adminOnly" });
    expect(await askToBroadcast(deps, TEACHER, "通知")).toMatchObject({ ok: false, code: "adminOnly" });
    // neither refusal spent it
    expect(await takePendingBroadcast(deps, ADMIN, id)).toMatchObject({ ok: true, text: "通知" });
  });

  it("expires, and a second /broadcast replaces the admin's first", async () => {
    const first = await ask(ADMIN, "第一条");
    const second = await ask(ADMIN, "第二条");
    expect(second).not.toBe(first);
    expect(await takePendingBroadcast(deps, ADMIN, first)).toMatchObject({ ok: false, code: "expired" });
    clock = new Date(clock.getTime() + PENDING_BROADCAST_TTL_MS);
    expect(await takePendingBroadcast(deps, ADMIN, second)).toMatchObject({ ok: false, code: "expired" });
    const third = await ask(ADMIN, "第三条");
    clock = new Date(clock.getTime() + PENDING_BROADCAST_TTL_MS - 1);
    expect(await takePendingBroadcast(deps, ADMIN, third)).toMatchObject({ ok: true, text: "第三条" });
  });
});
