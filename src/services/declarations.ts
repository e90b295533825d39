/**
 * An applicant's declarations: drafts saved at every answer and resumed later, submission as one unit
 * of work (reference number, declaration, draft removed, audit entry: all or nothing), revision under
 * the same reference, and withdrawal. Every call starts from the acting user's id; whether a change is
 * allowed is the lifecycle's decision (src/domain/lifecycle.ts), never decided here.
 */
import { randomBytes } from "node:crypto";
import { budgetOf } from "../../flows/budget.js";
import { escapeHtml } from "../answers/html.js";
import { SUMMARY } from "../engine/run.js";
import { allowedEvents, decide, type LifecycleEvent } from "../domain/lifecycle.js";
import { Plan } from "../knowledge/schema.js";
import type { DeadlineRecord, DeclarationAnswers, DeclarationRecord, DraftRecord } from "../store/types.js";
import { actorsOf, staffRecipients } from "./access.js";
import { DENIED, denied, nowIso, refuse, type Notice, type Outcome, type Refused, type ServiceDeps } from "./context.js";
import { governingDeadline } from "./deadlines.js";

/** The guide is the 2024 one: reference numbers are GP2024-…/QP2024-… whatever today's date. */
export const GUIDE_YEAR = 2024;
/** Drafts one user may keep; more would make the resume list unreadable on a phone. */
export const MAX_DRAFTS = 8;
/** A refused submission is kept at the form's summary ("check your answers"). */
const SUMMARY_STEP = SUMMARY;

const DRAFT_ID = /^[A-Za-z0-9_-]{6,24}$/;
/** GP2024-0001: what a button or a URL may carry as a reference number. */
export const REF = /^[A-Z]{2}\d{4}-\d{4,6}$/;

export function newDraftId(): string {
  return randomBytes(6).toString("base64url");
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Field → [before, after] for every answer that differs. */
export function answerChanges(before: DeclarationAnswers, after: DeclarationAnswers): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!sameValue(before[key], after[key])) changes[key] = [before[key] ?? null, after[key] ?? null];
  }
  return changes;
}

// ------------------------------------------------------------------ reading

/** The user's own draft, or undefined for anything else (unknown, malformed or someone else's). */
export async function ownDraft(deps: ServiceDeps, userId: number, id: string | undefined): Promise<DraftRecord | undefined> {
  if (!id || !DRAFT_ID.test(id)) return undefined;
  const d = await deps.store.drafts.get(id);
  return d && d.ownerId === userId ? d : undefined;
}

/** The user's own declaration, or undefined for anything else. */
export async function ownDeclaration(deps: ServiceDeps, userId: number, ref: string | undefined): Promise<DeclarationRecord | undefined> {
  if (!ref || !REF.test(ref)) return undefined;
  const d = await deps.store.declarations.get(ref);
  return d && d.ownerId === userId ? d : undefined;
}

/** The user's drafts, newest first. Drafts a crash left behind after their submission are dropped first. */
export async function myDrafts(deps: ServiceDeps, userId: number): Promise<DraftRecord[]> {
  const drafts = await deps.store.drafts.byOwner(userId);
  const live: DraftRecord[] = [];
  for (const d of drafts) {
    if (!d.revises && (await submittedFrom(deps, userId, d.id))) await deps.store.drafts.delete(d.id);
    else live.push(d);
  }
  return live.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}

/** The user's declarations, newest submission first, a page at a time (the last page if asked past the end), and how many drafts they hold. */
export async function myDeclarations(deps: ServiceDeps, userId: number, pageSize: number, page: number) {
  const mine = { ownerId: userId };
  const newestFirst = { by: "submittedAt", dir: "desc" } as const;
  let p = Math.max(page, 0);
  let found = await deps.store.declarations.find(mine, { limit: pageSize, offset: p * pageSize }, newestFirst);
  const pages = Math.max(1, Math.ceil(found.total / pageSize));
  if (p > pages - 1) {
    p = pages - 1;
    found = await deps.store.declarations.find(mine, { limit: pageSize, offset: p * pageSize }, newestFirst);
  }
  return { items: found.items, total: found.total, page: p, pages, drafts: await deps.store.drafts.count(mine) };
}

export interface DeclarationView {
  declaration: DeclarationRecord;
  /** What the viewer may do with it now (for buttons). */
  allowed: LifecycleEvent[];
  deadline?: DeadlineRecord;
  deadlinePassed: boolean;
}

/** A declaration as its owner or staff may see it, with the changes open to the viewer; undefined for anyone else. */
export async function viewDeclaration(deps: ServiceDeps, userId: number, ref: string | undefined): Promise<DeclarationView | undefined> {
  if (!ref || !REF.test(ref)) return undefined;
  const d = await deps.store.declarations.get(ref);
  if (!d) return undefined;
  const actor = await actorsOf(deps, userId, d.ownerId);
  if (!actor.length) return undefined;
  const g = await governingDeadline(deps, d);
  return { declaration: d, allowed: allowedEvents({ state: d.status, actor, deadlinePassed: g.passed }), ...(g.deadline ? { deadline: g.deadline } : {}), deadlinePassed: g.passed };
}

async function submittedFrom(deps: ServiceDeps, userId: number, draftId: string): Promise<DeclarationRecord | undefined> {
  return (await deps.store.declarations.find({ ownerId: userId, fromDraft: draftId }, { limit: 1 })).items[0];
}

// ------------------------------------------------------------------ drafts

/** May the user start another draft? */
export async function canStartDraft(deps: ServiceDeps, userId: number): Promise<Outcome<{ drafts: number }>> {
  const drafts = (await myDrafts(deps, userId)).length;
  if (drafts >= MAX_DRAFTS) return refuse("limit", `您已有 ${drafts} 份草稿，最多保留 ${MAX_DRAFTS} 份。请继续或删除一份后再新建。`);
  return { ok: true, drafts, notify: [] };
}

export interface DraftInput {
  id: string;
  stepId: string;
  answers: DeclarationAnswers;
  trail?: string[];
  editing?: boolean;
}

/**
 * Saves the user's place in the form. Someone else's draft id is refused; opening the form and
 * leaving at once leaves no empty draft behind. Resolves once the draft is durable.
 */
export async function saveDraft(deps: ServiceDeps, userId: number, input: DraftInput): Promise<{ saved: boolean }> {
  if (!DRAFT_ID.test(input.id)) return { saved: false };
  const existing = await deps.store.drafts.get(input.id);
  if (existing && existing.ownerId !== userId) return { saved: false };
  if (!existing && Object.keys(input.answers).length === 0) return { saved: false };
  const now = nowIso(deps);
  await deps.store.drafts.put({
    id: input.id,
    ownerId: userId,
    stepId: input.stepId,
    answers: input.answers,
    ...(input.trail ? { trail: input.trail } : {}),
    ...(input.editing ? { editing: true } : {}),
    ...(existing?.revises ? { revises: existing.revises } : {}),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  return { saved: true };
}

export async function deleteDraft(deps: ServiceDeps, userId: number, id: string): Promise<Outcome<{ draft: DraftRecord; left: number }>> {
  const draft = await ownDraft(deps, userId, id);
  if (!draft) return denied();
  const at = nowIso(deps);
  await deps.store.transaction(async (tx) => {
    await tx.drafts.delete(draft.id);
    await tx.audit.append({ at, actor: userId, action: "draft.deleted", target: draft.id });
  });
  return { ok: true, draft, left: (await deps.store.drafts.byOwner(userId)).length, notify: [] };
}

/** Opens the revision draft of a declaration (the existing one if the user already started), at its summary. */
export async function startRevision(deps: ServiceDeps, userId: number, ref: string): Promise<Outcome<{ draft: DraftRecord; resumed: boolean }>> {
  const d = await ownDeclaration(deps, userId, ref);
  if (!d) return denied();
  const refusal = await lifecycleRefusal(deps, userId, d, "revise");
  if (refusal) return refusal;
  const existing = (await deps.store.drafts.byOwner(userId)).find((x) => x.revises === d.ref);
  if (existing) return { ok: true, draft: existing, resumed: true, notify: [] };
  const now = nowIso(deps);
  const draft: DraftRecord = { id: newDraftId(), ownerId: userId, stepId: SUMMARY_STEP, answers: structuredClone(d.answers), trail: [], revises: d.ref, createdAt: now, updatedAt: now };
  await deps.store.drafts.put(draft);
  return { ok: true, draft, resumed: false, notify: [] };
}

// ------------------------------------------------------------------ lifecycle changes

/** The reason, in the applicant's words, that the lifecycle refuses this change now; undefined if allowed. */
export async function lifecycleRefusal(deps: ServiceDeps, userId: number, d: DeclarationRecord, event: "revise" | "withdraw"): Promise<Refused | undefined> {
  const g = await governingDeadline(deps, d);
  const decision = decide(event, { state: d.status, actor: await actorsOf(deps, userId, d.ownerId), deadlinePassed: g.passed });
  if (decision.ok) return undefined;
  if (decision.refusal === "notPermitted") return denied();
  if (decision.refusal === "deadlinePassed" && g.deadline) return refuse("deadline", `“${escapeHtml(g.deadline.title)}”已于 ${g.deadline.date} 截止，不能再修改。`);
  const verb = event === "revise" ? "修改" : "撤回";
  if (d.status === "withdrawn") return refuse("state", event === "revise" ? `${d.ref} 已撤回，不能修改。如需申报，请发送 /declare 新建。` : `${d.ref} 已经撤回。`);
  if (d.status === "approved") return refuse("state", event === "revise" ? `${d.ref} 已审核通过，不能再修改。如需变更，请联系协调员。` : `${d.ref} 已审核通过，不能自行撤回。如需退出，请联系协调员。`);
  return refuse("state", `${d.ref} 现在不能${verb}。`);
}

export type SubmitResult =
  | { kind: "submitted"; declaration: DeclarationRecord }
  | { kind: "revised"; declaration: DeclarationRecord; changed: string[] }
  /** The draft had already been submitted (a crash left it behind): nothing new was stored. */
  | { kind: "already"; declaration: DeclarationRecord };

/**
 * Submits the answers of the user's draft (or revises the declaration the draft revises). One unit
 * of work: the reference number, the declaration, the draft's removal and the audit entry are stored
 * together or not at all. Refused: kept as a draft at the summary, so nothing typed is lost.
 * The caller has checked that the form is complete; the plan, the sub-project and the budget are
 * checked and computed here from the knowledge, never taken from the caller.
 */
export async function submit(deps: ServiceDeps, userId: number, draftId: string, answers: DeclarationAnswers): Promise<Outcome<{ result: SubmitResult; draftId: string }>> {
  const found = DRAFT_ID.test(draftId) ? await deps.store.drafts.get(draftId) : undefined;
  // Someone else's draft id is never touched: the answers go into a new draft of the user's own.
  const draft = found && found.ownerId === userId ? found : undefined;
  const id = draft ? draft.id : found ? newDraftId() : DRAFT_ID.test(draftId) ? draftId : newDraftId();
  const keep = async (refusal: Refused) => {
    const now = nowIso(deps);
    await deps.store.drafts.put({ ...(draft ?? { id, ownerId: userId, createdAt: now }), stepId: SUMMARY_STEP, answers, updatedAt: now });
    return { ...refusal, draftId: id };
  };

  const plan = Plan.safeParse(answers.plan);
  const sp = deps.knowledge.subProjects.find((s) => s.id === answers.subProject);
  if (!plan.success || !sp || sp.plan !== plan.data) return keep(refuse("invalid", "❗ 还没有选定计划和子项目，请先补充。"));
  const b = budgetOf(deps.knowledge, answers);
  const budget = { perYear: b?.perYear ?? 0, cycle: b?.cycle ?? 0 };
  const rowId = b?.row.id ?? sp.rows[0]!.id;
  const at = nowIso(deps);
  const staff = (await staffRecipients(deps)).filter((s) => s.userId !== userId);

  if (draft?.revises) {
    const ref = draft.revises;
    const outcome = await deps.store.transaction(async (tx) => {
      const before = await tx.declarations.get(ref);
      if (!before || before.ownerId !== userId) return denied();
      const refusal = await lifecycleRefusal(deps, userId, before, "revise");
      if (refusal) return refusal;
      if (before.plan !== plan.data) {
        const planName = deps.knowledge.plans.find((p) => p.id === before.plan)?.name ?? before.plan;
        return refuse("invalid", `❗ 修改不能更换计划（${escapeHtml(before.ref)} 属于${escapeHtml(planName)}）。如需申报另一计划，请新建申报。`);
      }
      const changes = answerChanges(before.answers, answers);
      const revised: DeclarationRecord = { ...before, subProjectId: sp.id, rowId, answers, budget, status: "submitted", updatedAt: at, history: [...before.history, { at, by: userId, action: "revised", changes }] };
      await tx.declarations.put(revised);
      await tx.drafts.delete(draft.id);
      await tx.audit.append({ at, actor: userId, action: "declaration.revised", target: ref, detail: { fields: Object.keys(changes) } });
      return { ok: true as const, result: { kind: "revised" as const, declaration: revised, changed: Object.keys(changes) } };
    });
    if (!outcome.ok) return keep(outcome);
    const notify = staff.map((s): Notice => ({ ...s, text: `📝 申报 <b>${ref}</b> 已由申报人修改并重新提交：${escapeHtml(sp.name)}。发送 /review 查看。`, link: { kind: "review", ref } }));
    return { ...outcome, draftId: id, notify };
  }

  // A crash between storing the declaration and deleting its draft leaves the draft behind: never submit it twice.
  const already = await submittedFrom(deps, userId, id);
  if (already) {
    await deps.store.drafts.delete(id);
    return { ok: true, result: { kind: "already", declaration: already }, draftId: id, notify: [] };
  }
  const g = await governingDeadline(deps, { plan: plan.data, subProjectId: sp.id });
  if (!decide("submit", { state: "draft", actor: ["owner"], deadlinePassed: g.passed }).ok && g.deadline) {
    return keep(refuse("deadline", `“${escapeHtml(g.deadline.title)}”已于 ${g.deadline.date} 截止，不能再提交。草稿已保存；如截止日期延长，可发送 /declare 继续提交。`));
  }
  const declaration = await deps.store.transaction(async (tx) => {
    if (draft && !(await tx.drafts.get(draft.id))) return undefined; // submitted by a concurrent tap
    const ref = await tx.declarations.nextRef(plan.data, GUIDE_YEAR);
    const record: DeclarationRecord = { ref, ownerId: userId, plan: plan.data, subProjectId: sp.id, rowId, answers, budget, status: "submitted", submittedAt: at, updatedAt: at, history: [{ at, by: userId, action: "submitted" }], fromDraft: id };
    await tx.declarations.put(record);
    await tx.drafts.delete(id);
    await tx.audit.append({ at, actor: userId, action: "declaration.submitted", target: ref, detail: { subProject: sp.id } });
    return record;
  });
  if (!declaration) {
    const done = await submittedFrom(deps, userId, id);
    return done ? { ok: true, result: { kind: "already", declaration: done }, draftId: id, notify: [] } : denied();
  }
  const institution = typeof answers.institution === "string" ? ` · ${escapeHtml(answers.institution)}` : "";
  const notify = staff.map((s): Notice => ({ ...s, text: `📥 新申报 <b>${declaration.ref}</b>：${escapeHtml(sp.name)}${institution}。发送 /review 审核。`, link: { kind: "review", ref: declaration.ref } }));
  return { ok: true, result: { kind: "submitted", declaration }, draftId: id, notify };
}

/** Withdraws the user's own declaration, if the lifecycle allows it now. Staff are told, so nobody reviews it in vain. */
export async function withdraw(deps: ServiceDeps, userId: number, ref: string): Promise<Outcome<{ declaration: DeclarationRecord }>> {
  const at = nowIso(deps);
  const outcome = await deps.store.transaction(async (tx) => {
    // Read inside the unit of work: a review decided meanwhile is not overwritten unseen.
    const d = REF.test(ref) ? await tx.declarations.get(ref) : undefined;
    if (!d || d.ownerId !== userId) return denied();
    const refusal = await lifecycleRefusal(deps, userId, d, "withdraw");
    if (refusal) return refusal;
    const updated: DeclarationRecord = { ...d, status: "withdrawn", updatedAt: at, history: [...d.history, { at, by: userId, action: "withdrawn" }] };
    await tx.declarations.put(updated);
    await tx.audit.append({ at, actor: userId, action: "declaration.withdrawn", target: d.ref });
    return { ok: true as const, declaration: updated };
  });
  if (!outcome.ok) return outcome;
  const staff = (await staffRecipients(deps)).filter((s) => s.userId !== userId);
  return { ...outcome, notify: staff.map((s) => ({ ...s, text: `↩️ 申报 <b>${ref}</b> 已由申报人撤回，无需再审核。` })) };
}

export { DENIED };
