import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, type StoreHandle } from "../../src/store/index.js";
import type { AuditRecord, BroadcastRecord, DeadlineRecord, DeclarationRecord, DraftRecord, SessionRecord, UserRecord } from "../../src/store/types.js";
import { allAudit, nextRef } from "../support/store-helpers.js";

const dirs: string[] = [];
const open: StoreHandle[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "store-repos-"));
  dirs.push(d);
  return d;
}
async function openIn(dir: string): Promise<StoreHandle> {
  const s = await openStore(dir);
  open.push(s);
  return s;
}
async function reopen(s: StoreHandle): Promise<StoreHandle> {
  await s.close();
  return openIn(s.dataDir);
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T = "2024-05-01T02:03:04.000Z";
const user = (id: number, extra: Partial<UserRecord> = {}): UserRecord => ({
  id,
  chatId: id,
  name: `用户${id}`,
  roles: [],
  subscribed: true,
  reachable: true,
  createdAt: T,
  ...extra,
});
const draft = (id: string, ownerId: number, createdAt = T): DraftRecord => ({
  id,
  ownerId,
  stepId: "unit",
  answers: { 申报单位: "乌鲁木齐市第一中学", 参训人数: 50 },
  createdAt,
  updatedAt: createdAt,
});
const declaration = (ref: string, ownerId: number, submittedAt = T): DeclarationRecord => ({
  ref,
  ownerId,
  plan: "guopei",
  subProjectId: "gp-demo",
  rowId: "r1",
  answers: { 申报单位: "喀什地区教育局", 联系人: "王老师", 电话: "13800000000" },
  budget: { perYear: 120, cycle: 3 },
  status: "submitted",
  submittedAt,
  updatedAt: submittedAt,
  history: [{ at: submittedAt, by: ownerId, action: "submitted" }],
});

describe("store repositories", () => {
  it("users: round trip, copies on put, survives reopen", async () => {
    let s = await openIn(tmp());
    const u = user(1001);
    await s.users.put(u);
    u.name = "changed after put";
    expect((await s.users.get(1001))?.name).toBe("用户1001");
    await s.users.put(user(1002, { roles: ["coordinator"] }));
    await s.users.put(user(1001, { reachable: false }));
    s = await reopen(s);
    expect((await s.users.get(1001))).toEqual(user(1001, { reachable: false }));
    expect((await s.users.get(1002))?.roles).toEqual(["coordinator"]);
    expect((await s.users.get(9))).toBeUndefined();
    expect(await s.users.count()).toEqual({ total: 2, subscribed: 1 });
  });

  it("rejects records without a usable key", async () => {
    const s = await openIn(tmp());
    await expect(s.users.put({ ...user(1), id: undefined as unknown as number })).rejects.toThrow(TypeError);
    await expect(s.drafts.put({ ...draft("", 1) })).rejects.toThrow(TypeError);
    expect((await s.users.count()).total).toBe(0);
  });

  it("sessions: put, delete, reopen", async () => {
    let s = await openIn(tmp());
    const sess = (userId: number, flow: string): SessionRecord => ({ userId, flow, nonce: `n${userId}`, state: { step: 2, answers: { a: [1, 2] } }, updatedAt: T });
    await Promise.all([s.sessions.put(sess(1, "apply")), s.sessions.put(sess(2, "search")), s.sessions.put(sess(3, "apply"))]);
    await s.sessions.delete(2);
    await s.sessions.delete(404);
    s = await reopen(s);
    expect((await s.sessions.get(1))).toEqual(sess(1, "apply"));
    expect((await s.sessions.get(2))).toBeUndefined();
    expect((await s.sessions.get(3))?.state).toEqual({ step: 2, answers: { a: [1, 2] } });
  });

  it("drafts: owner index follows put, owner change and delete; survives reopen", async () => {
    let s = await openIn(tmp());
    await s.drafts.put(draft("d2", 7, "2024-05-02T00:00:00.000Z"));
    await s.drafts.put(draft("d1", 7, "2024-05-01T00:00:00.000Z"));
    await s.drafts.put(draft("d3", 8));
    expect((await s.drafts.byOwner(7)).map((d) => d.id)).toEqual(["d1", "d2"]);
    await s.drafts.put({ ...draft("d2", 8), revises: "GP2024-0001" });
    expect((await s.drafts.byOwner(7)).map((d) => d.id)).toEqual(["d1"]);
    expect((await s.drafts.byOwner(8)).map((d) => d.id).sort()).toEqual(["d2", "d3"]);
    await s.drafts.delete("d3");
    s = await reopen(s);
    expect((await s.drafts.get("d2"))?.revises).toBe("GP2024-0001");
    expect((await s.drafts.byOwner(8)).map((d) => d.id)).toEqual(["d2"]);
    expect((await s.drafts.byOwner(7)).map((d) => d.id)).toEqual(["d1"]);
    expect(await s.drafts.count()).toBe(2);
    expect((await s.drafts.byOwner(999))).toEqual([]);
  });

  it("declarations: round trip, owner index, history, reopen", async () => {
    let s = await openIn(tmp());
    const ref1 = (await nextRef(s, "guopei", 2024));
    const ref2 = (await nextRef(s, "qupei", 2024));
    expect(ref1).toBe("GP2024-0001");
    expect(ref2).toBe("QP2024-0001");
    await s.declarations.put(declaration(ref1, 5, "2024-05-01T00:00:00.000Z"));
    await s.declarations.put({ ...declaration(ref2, 5, "2024-05-02T00:00:00.000Z"), plan: "qupei" });
    const approved: DeclarationRecord = {
      ...declaration(ref1, 5, "2024-05-01T00:00:00.000Z"),
      status: "approved",
      history: [
        { at: T, by: 5, action: "submitted" },
        { at: T, by: 1, action: "approved", comment: "同意" },
      ],
    };
    await s.declarations.put(approved);
    s = await reopen(s);
    expect((await s.declarations.get(ref1))).toEqual(approved);
    expect((await s.declarations.byOwner(5)).map((d) => d.ref)).toEqual([ref1, ref2]);
    expect(await s.declarations.count()).toBe(2);
    expect((await nextRef(s, "guopei", 2024))).toBe("GP2024-0002");
    expect((await nextRef(s, "guopei", 2025))).toBe("GP2025-0001");
  });

  it("nextRef: 200 concurrent submissions get unique, increasing numbers that survive reopen", async () => {
    let s = await openIn(tmp());
    const submit = async (i: number) => {
      await Promise.resolve();
      const ref = (await nextRef(s, i % 2 ? "qupei" : "guopei", 2024));
      await s.declarations.put(declaration(ref, 1000 + i));
      return ref;
    };
    const refs = await Promise.all(Array.from({ length: 200 }, (_, i) => submit(i)));
    expect(new Set(refs).size).toBe(200);
    const gp = refs.filter((r) => r.startsWith("GP")).sort();
    expect(gp[0]).toBe("GP2024-0001");
    expect(gp[99]).toBe("GP2024-0100");
    // an allocated number whose declaration was never saved is not handed out again either
    expect((await nextRef(s, "guopei", 2024))).toBe("GP2024-0101");
    s = await reopen(s);
    expect(await s.declarations.count()).toBe(200);
    expect((await nextRef(s, "guopei", 2024))).toBe("GP2024-0102");
    expect((await nextRef(s, "qupei", 2024))).toBe("QP2024-0101");
  });

  it("nextRef after reopen is derived from stored declarations even if meta.json lost the counter", async () => {
    let s = await openIn(tmp());
    for (let i = 0; i < 5; i++) await s.declarations.put(declaration((await nextRef(s, "guopei", 2024)), 1));
    await s.declarations.put(declaration("GP2024-0042", 1)); // e.g. imported
    await s.close();
    const metaPath = join(s.dataDir, "meta.json");
    const meta = JSON.parse(readFileSync(metaPath, "utf8")) as { refCounters: Record<string, number> };
    expect(meta.refCounters.GP2024).toBe(5);
    s = await openIn(s.dataDir);
    expect((await nextRef(s, "guopei", 2024))).toBe("GP2024-0043");
  });

  it("audit: append-only, ordered, chunked, survives reopen", async () => {
    let s = await openIn(tmp());
    const entries: AuditRecord[] = Array.from({ length: 2500 }, (_, i) => ({ at: T, actor: 1, action: "declaration.approve", target: `GP2024-${i}`, detail: { i } }));
    await Promise.all(entries.map((e) => s.audit.append(e)));
    s = await reopen(s);
    expect((await allAudit(s))).toEqual(entries);
    expect(readdirSync(join(s.dataDir, "audit")).sort()).toEqual(["000001.json", "000002.json", "000003.json"]);
    await s.audit.append({ at: T, actor: 2, action: "x" });
    expect((await allAudit(s))).toHaveLength(2501);
  });

  it("deadlines and broadcasts: put, delete, reopen", async () => {
    let s = await openIn(tmp());
    const dl = (id: string, date: string): DeadlineRecord => ({ id, date, title: `截止 ${id}`, scope: { kind: "plan", plan: "qupei" }, createdBy: 1, createdAt: T });
    await s.deadlines.put(dl("b", "2024-06-30"));
    await s.deadlines.put(dl("a", "2024-06-01"));
    await s.deadlines.put(dl("c", "2024-07-01"));
    await s.deadlines.delete("c");
    const bc: BroadcastRecord = { id: "bc1", text: "请于6月30日前提交", createdBy: 1, progress: { chatId: 1, messageId: 99 }, createdAt: T };
    await s.broadcasts.put(bc);
    await s.broadcasts.put({ ...bc, finishedAt: "2024-05-01T03:00:00.000Z" });
    s = await reopen(s);
    expect((await s.deadlines.list()).map((d) => d.id)).toEqual(["a", "b"]);
    expect((await s.deadlines.get("b"))?.scope).toEqual({ kind: "plan", plan: "qupei" });
    expect((await s.broadcasts.get("bc1"))?.finishedAt).toBe("2024-05-01T03:00:00.000Z");
    expect((await s.broadcasts.list({ limit: 100 })).items).toHaveLength(1);
  });

  it("writes one folder per collection and a meta.json", async () => {
    const s = await openIn(tmp());
    await s.users.put(user(1));
    const names = readdirSync(s.dataDir).sort();
    expect(names).toEqual([".lock", "audit", "broadcasts", "deadlines", "declarations", "drafts", "inbox", "journal", "ledger", "meta.json", "sessions", "users"]);
    expect(readdirSync(join(s.dataDir, "journal"))).toEqual(["000001.log"]); // the write is a journal line
    await s.flush();
    expect(readdirSync(join(s.dataDir, "users"))).toHaveLength(1); // the checkpoint wrote only the touched shard
    expect(readdirSync(join(s.dataDir, "journal"))).toEqual([]); // and removed the folded segment
    await s.close();
    expect(readdirSync(s.dataDir)).not.toContain(".lock");
  });

  it("dump() lists every record, for copying a folder into another store", async () => {
    const s = await openIn(tmp());
    await s.users.put(user(1));
    await s.drafts.put(draft("d1", 1));
    const ref = await nextRef(s, "qupei", 2024);
    await s.declarations.put(declaration(ref, 1));
    await s.audit.append({ at: T, actor: 1, action: "x" });
    await s.ledger.record("broadcast:b", 1);
    await s.ledger.record("broadcast:b", 2);
    const d = s.dump();
    expect([...d.users]).toEqual([user(1)]);
    expect([...d.drafts].map((x) => x.id)).toEqual(["d1"]);
    expect([...d.declarations].map((x) => x.ref)).toEqual(["QP2024-0001"]);
    expect([...d.audit]).toEqual([{ at: T, actor: 1, action: "x" }]);
    expect([...d.sessions, ...d.deadlines, ...d.broadcasts]).toEqual([]);
    expect([...d.ledger]).toEqual([["broadcast:b", 1], ["broadcast:b", 2]]);
    expect(d.refCounters).toEqual({ QP2024: 1 });
  });

  it("rejects writes after close", async () => {
    const s = await openIn(tmp());
    await s.close();
    await expect(s.users.put(user(1))).rejects.toThrow(/closed/);
  });
});
