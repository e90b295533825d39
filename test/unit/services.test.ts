/**
 * The service layer against the embedded store (a fresh data folder per test): role and ownership are
 * checked from the acting user's id, the lifecycle decides, every change is audited, and the notices
 * to deliver come back rather than being sent.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadKnowledge } from "../../src/knowledge/load.js";
import type { ServiceDeps } from "../../src/services/context.js";
import { addDeadline, removeDeadline } from "../../src/services/deadlines.js";
import * as declarations from "../../src/services/declarations.js";
import * as review from "../../src/services/review.js";
import { changeRole } from "../../src/services/roles.js";
import { statistics } from "../../src/services/stats.js";
import { subscribe, unsubscribe } from "../../src/services/subscriptions.js";
import { openStore, type StoreHandle } from "../../src/store/index.js";
import type { DeadlineRecord } from "../../src/store/types.js";

const knowledge = loadKnowledge();
const ADMIN = 900;
const COORD = 700;
const OWNER = 501;
const STRANGER = 502;
const ANSWERS = { plan: "guopei", subProject: "county-backbone", institution: "昌吉学院", institutionType: "高等院校", people: 100 };

let dir: string;
let store: StoreHandle;
let deps: ServiceDeps;
let clock: Date;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "services-"));
  store = await openStore(dir, { fsync: false });
  clock = new Date("2024-05-10T02:00:00.000Z");
  deps = { store, knowledge, adminIds: [ADMIN], timeZone: "Asia/Shanghai", now: () => clock };
  const at = clock.toISOString();
  await store.users.put({ id: COORD, chatId: COORD, name: "协调员", roles: ["coordinator"], subscribed: false, reachable: true, createdAt: at });
  await store.users.put({ id: OWNER, chatId: OWNER, name: "王老师", roles: [], subscribed: false, reachable: true, createdAt: at });
});

afterEach(async () => {
  await store.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

async function audit(target?: string) {
  return (await store.audit.find(target ? { target } : {}, { limit: 100 })).items.map((a) => a.action);
}

async function submitted(owner = OWNER, answers: Record<string, unknown> = ANSWERS) {
  const id = declarations.newDraftId();
  expect((await declarations.saveDraft(deps, owner, { id, stepId: "summary", answers })).saved).toBe(true);
  const out = await declarations.submit(deps, owner, id, answers);
  if (!out.ok || out.result.kind !== "submitted") throw new Error(`not submitted: ${JSON.stringify(out)}`);
  return { ...out, draftId: id, ref: out.result.declaration.ref };
}

const deadline = (date: string): DeadlineRecord => ({ id: "d1", date, title: "县级骨干申报截止", scope: { kind: "subProject", subProjectId: "county-backbone" }, createdBy: ADMIN, createdAt: "2024-05-01T00:00:00.000Z" });

describe("declarations", () => {
  it("submits as one unit: a reference number, the declaration, the draft gone, the audit entry, and notices for staff", async () => {
    const { ref, draftId, notify, result } = await submitted();
    expect(ref).toBe("GP2024-0001");
    expect(result.declaration).toMatchObject({ ownerId: OWNER, status: "submitted", subProjectId: "county-backbone", fromDraft: draftId });
    expect(await store.drafts.get(draftId)).toBeUndefined();
    expect(await audit(ref)).toEqual(["declaration.submitted"]);
    expect(notify.map((n) => n.userId).sort()).toEqual([COORD, ADMIN].sort());
    expect(notify[0]!.link).toEqual({ kind: "review", ref });
  });

  it("never submits a draft twice (a second tap finds the declaration already made)", async () => {
    const { ref, draftId } = await submitted();
    const again = await declarations.submit(deps, OWNER, draftId, ANSWERS);
    expect(again.ok && again.result.kind).toBe("already");
    expect(again.ok && again.result.declaration.ref).toBe(ref);
    expect(await store.declarations.count()).toBe(1);
  });

  it("refuses a new submission after the deadline and keeps the answers as a draft", async () => {
    await store.deadlines.put(deadline("2024-05-09"));
    const id = declarations.newDraftId();
    await declarations.saveDraft(deps, OWNER, { id, stepId: "people", answers: ANSWERS });
    const out = await declarations.submit(deps, OWNER, id, ANSWERS);
    expect(out.ok).toBe(false);
    expect(!out.ok && out.code).toBe("deadline");
    expect(await store.declarations.count()).toBe(0);
    expect(await store.drafts.get(id)).toMatchObject({ ownerId: OWNER, stepId: "summary", answers: ANSWERS });
  });

  it("never writes into someone else's draft", async () => {
    const id = declarations.newDraftId();
    await declarations.saveDraft(deps, OWNER, { id, stepId: "people", answers: ANSWERS });
    expect((await declarations.saveDraft(deps, STRANGER, { id, stepId: "x", answers: { plan: "qupei" } })).saved).toBe(false);
    expect(await declarations.ownDraft(deps, STRANGER, id)).toBeUndefined();
    expect((await declarations.deleteDraft(deps, STRANGER, id)).ok).toBe(false);
    expect(await store.drafts.get(id)).toMatchObject({ ownerId: OWNER, answers: ANSWERS });
  });

  it("revises under the same reference, recording what changed, and refuses it after the deadline", async () => {
    const { ref } = await submitted();
    const rev = await declarations.startRevision(deps, OWNER, ref);
    if (!rev.ok) throw new Error(rev.message);
    expect(rev.draft.revises).toBe(ref);
    expect((await declarations.startRevision(deps, STRANGER, ref)).ok).toBe(false);
    const changed = { ...ANSWERS, people: 120 };
    const out = await declarations.submit(deps, OWNER, rev.draft.id, changed);
    expect(out.ok && out.result.kind).toBe("revised");
    const d = await store.declarations.get(ref);
    expect(d?.history.at(-1)).toMatchObject({ action: "revised", by: OWNER, changes: { people: [100, 120] } });
    expect(await audit(ref)).toEqual(["declaration.submitted", "declaration.revised"]);

    await store.deadlines.put(deadline("2024-05-09"));
    const late = await declarations.startRevision(deps, OWNER, ref);
    expect(!late.ok && late.code).toBe("deadline");
  });

  it("withdraws the owner's own declaration (after the deadline too), never an approved one, never someone else's", async () => {
    const a = await submitted();
    const b = await submitted();
    expect((await declarations.withdraw(deps, STRANGER, a.ref)).ok).toBe(false);
    expect((await store.declarations.get(a.ref))?.status).toBe("submitted");

    await store.deadlines.put(deadline("2024-05-09"));
    const out = await declarations.withdraw(deps, OWNER, a.ref);
    expect(out.ok).toBe(true);
    expect(out.ok && out.notify.map((n) => n.userId).sort()).toEqual([COORD, ADMIN].sort());
    expect(await audit(a.ref)).toEqual(["declaration.submitted", "declaration.withdrawn"]);
    expect(!(await declarations.withdraw(deps, OWNER, a.ref)).ok).toBe(true);

    expect((await review.decideReview(deps, COORD, b.ref, "approve")).ok).toBe(true);
    const approved = await declarations.withdraw(deps, OWNER, b.ref);
    expect(!approved.ok && approved.message).toContain("联系协调员");
    expect((await store.declarations.get(b.ref))?.status).toBe("approved");
  });

  it("shows a declaration only to its owner and staff, with the changes each may make", async () => {
    const { ref } = await submitted();
    expect(await declarations.viewDeclaration(deps, STRANGER, ref)).toBeUndefined();
    expect((await declarations.viewDeclaration(deps, OWNER, ref))?.allowed).toEqual(["revise", "withdraw"]);
    expect((await declarations.viewDeclaration(deps, COORD, ref))?.allowed).toEqual(["approve", "return"]);
  });
});

describe("review", () => {
  it("is for staff only, checked from the caller's id", async () => {
    const { ref } = await submitted();
    for (const call of [review.statusCounts(deps, OWNER), review.decideReview(deps, OWNER, ref, "approve"), review.decideReview(deps, STRANGER, ref, "return", "请补充材料"), statistics(deps, STRANGER)]) {
      const out = await call;
      expect(!out.ok && out.code).toBe("staffOnly");
    }
    expect((await store.declarations.get(ref))?.status).toBe("submitted");
  });

  it("approves once, notifies the applicant, audits; a stale second approval changes nothing", async () => {
    const { ref } = await submitted();
    const out = await review.decideReview(deps, COORD, ref, "approve");
    expect(out.ok && out.notify).toEqual([expect.objectContaining({ userId: OWNER, link: { kind: "declaration", ref } })]);
    expect((await store.declarations.get(ref))?.history.at(-1)).toMatchObject({ action: "approved", by: COORD });
    const again = await review.decideReview(deps, ADMIN, ref, "approve");
    expect(!again.ok && again.code).toBe("state");
    expect(await audit(ref)).toEqual(["declaration.submitted", "declaration.approved"]);
    const counts = await review.statusCounts(deps, COORD);
    expect(counts.ok && counts.counts).toMatchObject({ approved: 1, submitted: 0 });
  });

  it("returns only with a comment, which reaches the applicant escaped", async () => {
    const { ref } = await submitted();
    const bare = await review.decideReview(deps, COORD, ref, "return", " ");
    expect(!bare.ok && bare.code).toBe("invalid");
    const out = await review.decideReview(deps, COORD, ref, "return", "请补充<协同学校>");
    expect(out.ok && out.notify[0]!.text).toContain("请补充&lt;协同学校&gt;");
    expect((await store.declarations.get(ref))?.history.at(-1)).toMatchObject({ action: "returned", comment: "请补充<协同学校>" });
  });

  it("lets nobody review their own declaration", async () => {
    const { ref } = await submitted(ADMIN);
    const out = await review.reviewable(deps, ADMIN, ref, "approve");
    expect(!out.ok && out.code).toBe("ownDeclaration");
    expect((await review.decideReview(deps, COORD, ref, "approve")).ok).toBe(true);
  });
});

describe("roles, deadlines, subscriptions", () => {
  it("grants and revokes the coordinator role (admins only), audited, telling the user", async () => {
    expect((await changeRole(deps, COORD, STRANGER, "grant")).ok).toBe(false);
    const granted = await changeRole(deps, ADMIN, STRANGER, "grant");
    expect(granted.ok && granted.change).toBe("granted");
    expect(granted.ok && granted.unknownUser).toBe(true);
    expect(granted.ok && granted.notify.map((n) => n.userId)).toEqual([STRANGER]);
    expect((await store.users.get(STRANGER))?.roles).toEqual(["coordinator"]);
    expect((await review.statusCounts(deps, STRANGER)).ok).toBe(true);
    const twice = await changeRole(deps, ADMIN, STRANGER, "grant");
    expect(twice.ok && twice.change).toBe("alreadyCoordinator");
    const revoked = await changeRole(deps, ADMIN, STRANGER, "revoke");
    expect(revoked.ok && revoked.change).toBe("revoked");
    expect((await review.statusCounts(deps, STRANGER)).ok).toBe(false);
    expect(await audit(String(STRANGER))).toEqual(["role.granted", "role.revoked"]);
  });

  it("adds and removes deadlines for admins only, audited", async () => {
    const input = { date: "2024-06-01", title: "国培申报截止", scope: { kind: "plan" as const, plan: "guopei" as const } };
    expect((await addDeadline(deps, COORD, input)).ok).toBe(false);
    const added = await addDeadline(deps, ADMIN, input);
    if (!added.ok) throw new Error(added.message);
    expect(await store.deadlines.list()).toEqual([added.deadline]);
    expect((await removeDeadline(deps, COORD, added.deadline.id)).ok).toBe(false);
    expect((await removeDeadline(deps, ADMIN, added.deadline.id)).ok).toBe(true);
    expect(await store.deadlines.list()).toEqual([]);
    expect(await audit(added.deadline.id)).toEqual(["deadline.add", "deadline.delete"]);
  });

  it("subscribes and unsubscribes the user's own record", async () => {
    const user = (await store.users.get(OWNER))!;
    const on = await subscribe(deps, user);
    expect(on.already).toBe(false);
    expect((await store.users.get(OWNER))?.subscribed).toBe(true);
    expect((await subscribe(deps, on.user)).already).toBe(true);
    await unsubscribe(deps, on.user);
    expect(await store.users.get(OWNER)).toMatchObject({ subscribed: false, unsubscribedAt: clock.toISOString() });
  });
});
