/**
 * Review by coordinators and admins: counts and lists served by the store's queries, one declaration
 * in full, approve, or return with a comment. The role is looked up from the acting user's id on every
 * call; whether the change is allowed is the lifecycle's decision. The applicant's notice is returned,
 * for the transport to deliver once the change is stored (and, in chat, only after the reviewer confirmed).
 */
import { escapeHtml } from "../answers/html.js";
import { DECLARATION_STATUSES, STATUS_LABEL, decide, type DeclarationStatus } from "../domain/lifecycle.js";
import { requiredText } from "../domain/validate.js";
import type { DeclarationAggregate, DeclarationFilter, DeclarationGroupRow, DeclarationRecord, DeclarationSort, Page, PageRequest } from "../store/types.js";
import { actorsOf, isStaff } from "./access.js";
import { DENIED, STAFF_ONLY, denied, nowIso, refuse, type Outcome, type ServiceDeps } from "./context.js";
import { REF } from "./declarations.js";
import { governingDeadline } from "./deadlines.js";

export const COMMENT_MIN = 2;
export const COMMENT_MAX = 500;

const staffOnly = () => refuse("staffOnly", STAFF_ONLY);

export async function statusCounts(deps: ServiceDeps, userId: number): Promise<Outcome<{ counts: Record<DeclarationStatus, number>; total: number }>> {
  if (!(await isStaff(deps, userId))) return staffOnly();
  const rows = await deps.store.declarations.aggregate({}, { by: ["status"] });
  const counts = Object.fromEntries(DECLARATION_STATUSES.map((s) => [s, 0])) as Record<DeclarationStatus, number>;
  for (const r of rows) if (r.status) counts[r.status] += r.count;
  return { ok: true, counts, total: rows.reduce((n, r) => n + r.count, 0), notify: [] };
}

/** Declarations per sub-project (only those that have any), in the knowledge's order. */
export async function subProjectCounts(deps: ServiceDeps, userId: number): Promise<Outcome<{ rows: { subProjectId: string; count: number }[] }>> {
  if (!(await isStaff(deps, userId))) return staffOnly();
  const counts = new Map((await deps.store.declarations.aggregate({}, { by: ["subProjectId"] })).map((r) => [r.subProjectId, r.count]));
  const rows = deps.knowledge.subProjects.filter((s) => counts.has(s.id)).map((s) => ({ subProjectId: s.id, count: counts.get(s.id)! }));
  return { ok: true, rows, notify: [] };
}

/** A page of declarations for staff, oldest submission first. */
export async function listDeclarations(deps: ServiceDeps, userId: number, filter: DeclarationFilter, page: PageRequest, sort?: DeclarationSort): Promise<Outcome<{ page: Page<DeclarationRecord> }>> {
  if (!(await isStaff(deps, userId))) return staffOnly();
  return { ok: true, page: await deps.store.declarations.find(filter, page, sort), notify: [] };
}

/** Counts and planned trainees per group (the desk's counts per filter, charts, /stats). */
export async function declarationGroups(deps: ServiceDeps, userId: number, filter: DeclarationFilter, query: DeclarationAggregate): Promise<Outcome<{ rows: DeclarationGroupRow[] }>> {
  if (!(await isStaff(deps, userId))) return staffOnly();
  return { ok: true, rows: await deps.store.declarations.aggregate(filter, query), notify: [] };
}

/** What a comment must look like before it is shown for confirmation (and checked again when sent). */
export function checkComment(raw: string): { ok: true; value: string } | { ok: false; error: string } {
  return requiredText(raw, "退回意见", COMMENT_MIN, COMMENT_MAX);
}

/** Whether the reviewer may approve or return this declaration now (to offer the confirmation). */
export async function reviewable(deps: ServiceDeps, userId: number, ref: string, event: "approve" | "return"): Promise<Outcome<{ declaration: DeclarationRecord }>> {
  if (!(await isStaff(deps, userId))) return staffOnly();
  const d = REF.test(ref) ? await deps.store.declarations.get(ref) : undefined;
  if (!d) return denied();
  const decision = decide(event, { state: d.status, actor: await actorsOf(deps, userId, d.ownerId), deadlinePassed: (await governingDeadline(deps, d)).passed, comment: "·" });
  return decision.ok ? { ok: true, declaration: d, notify: [] } : refusalOf(d, decision.refusal);
}

function refusalOf(d: DeclarationRecord, refusal: string) {
  if (refusal === "ownDeclaration") return refuse("ownDeclaration", `${d.ref} 是您本人提交的申报，不能由您审核。请另一位协调员审核。`);
  if (refusal === "commentRequired") return refuse("invalid", "退回必须填写意见。");
  if (refusal === "notPermitted") return denied();
  return refuse("state", `${d.ref} 的状态已变为“${STATUS_LABEL[d.status]}”，未作更改。`);
}

/**
 * Approves, or returns with a comment. Read, checked and written in one unit of work, so two
 * reviewers acting at once cannot both change it; the applicant's notice comes back to deliver.
 */
export async function decideReview(deps: ServiceDeps, userId: number, ref: string, event: "approve" | "return", rawComment?: string): Promise<Outcome<{ declaration: DeclarationRecord }>> {
  if (!(await isStaff(deps, userId))) return staffOnly();
  let comment: string | undefined;
  if (event === "return") {
    const c = checkComment(rawComment ?? "");
    if (!c.ok) return refuse("invalid", escapeHtml(c.error));
    comment = c.value;
  }
  if (!REF.test(ref)) return denied();
  const at = nowIso(deps);
  const outcome = await deps.store.transaction(async (tx) => {
    const d = await tx.declarations.get(ref);
    if (!d) return denied();
    const decision = decide(event, { state: d.status, actor: await actorsOf(deps, userId, d.ownerId), deadlinePassed: (await governingDeadline(deps, d)).passed, ...(comment ? { comment } : {}) });
    if (!decision.ok) return refusalOf(d, decision.refusal);
    const status = decision.to;
    const updated: DeclarationRecord = { ...d, status, updatedAt: at, history: [...d.history, { at, by: userId, action: decision.history, ...(comment ? { comment } : {}) }] };
    await tx.declarations.put(updated);
    await tx.audit.append({ at, actor: userId, action: `declaration.${status}`, target: d.ref, ...(comment ? { detail: { comment } } : {}) });
    return { ok: true as const, declaration: updated };
  });
  if (!outcome.ok) return outcome;
  const d = outcome.declaration;
  const name = escapeHtml(deps.knowledge.subProjects.find((s) => s.id === d.subProjectId)?.name ?? d.subProjectId);
  const text =
    event === "approve"
      ? `🎉 您的申报 <b>${d.ref}</b>（${name}）已审核通过。`
      : `↩️ 您的申报 <b>${d.ref}</b>（${name}）被退回。\n<b>意见</b>：${escapeHtml(comment ?? "")}\n\n请发送 /my 查看，按意见修改后重新提交。`;
  return { ...outcome, notify: [{ userId: d.ownerId, text, link: { kind: "declaration", ref: d.ref } }] };
}

export { DENIED };
