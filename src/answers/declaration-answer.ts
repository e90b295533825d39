/**
 * How a stored declaration reads in the chat (/my, /review, notifications): every field with the
 * form's own labels, the budget totals, the dates and the history. All user-typed text is escaped.
 */
import { durationWarning, findRow, scheduleOf } from "../domain/budget.js";
import { formatAnswer, stepLabel } from "../engine/run.js";
import type { Flow, FlowContext } from "../engine/types.js";
import { STATUS_LABEL } from "../domain/lifecycle.js";
import { yuan } from "../domain/money.js";
import { localDateTime } from "../domain/time.js";
import type { DeclarationRecord, DraftRecord, HistoryEntry } from "../store/types.js";
import { escapeHtml } from "./html.js";

/** The labels live with the lifecycle; re-exported for the renderers that import them from here. */
export { STATUS_LABEL };

const ACTION_LABEL: Record<HistoryEntry["action"], string> = {
  submitted: "提交",
  revised: "修改后重新提交",
  approved: "审核通过",
  returned: "退回",
  withdrawn: "撤回",
};

/** "2024-06-01 10:05" in the time zone. */
export function formatInstant(iso: string, timeZone: string): string {
  return localDateTime(iso, timeZone).slice(0, 16);
}

/** The time zone as people say it (Asia/Shanghai → 北京时间). */
export function zoneLabel(timeZone: string): string {
  return ({ "Asia/Shanghai": "北京时间", "Asia/Urumqi": "乌鲁木齐时间" } as Record<string, string>)[timeZone] ?? timeZone;
}

export function subProjectName(fctx: FlowContext, id: unknown): string {
  return fctx.knowledge.subProjects.find((s) => s.id === id)?.name ?? (typeof id === "string" && id ? id : "（未选子项目）");
}

/** Where a draft stands: "第12/19步 培训人数" or "待确认提交". */
export function draftProgress(flow: Flow, draft: Pick<DraftRecord, "stepId" | "answers">, fctx: FlowContext): string {
  if (draft.stepId === "summary") return "已填完，待确认提交";
  const applicable = flow.steps.filter((s) => (s.when ? s.when(draft.answers, fctx) : true) || s.id === draft.stepId);
  const index = applicable.findIndex((s) => s.id === draft.stepId);
  const step = applicable[index];
  return step ? `第${index + 1}/${applicable.length}步（${stepLabel(step, draft.answers, fctx)}）` : "填写中";
}

/** One field → [before, after], with labels and formatted values. */
export function changeLines(flow: Flow, changes: Record<string, [unknown, unknown]>, answers: Record<string, unknown>, fctx: FlowContext): string[] {
  return Object.entries(changes).map(([id, [before, after]]) => {
    const step = flow.steps.find((s) => s.id === id);
    if (!step) return `  · ${escapeHtml(id)}`;
    const show = (v: unknown) => (v === undefined ? "（无）" : formatAnswer(step, v, answers, fctx));
    return `  · ${escapeHtml(stepLabel(step, answers, fctx))}：${show(before)} → ${show(after)}`;
  });
}

export function historyLines(flow: Flow, d: DeclarationRecord, fctx: FlowContext, whoName?: (id: number) => string): string[] {
  return d.history.map((h) => {
    const who = whoName ? `（${escapeHtml(whoName(h.by))}）` : "";
    const head = `• ${formatInstant(h.at, fctx.timeZone)} ${ACTION_LABEL[h.action]}${who}`;
    const lines = [head];
    if (h.comment) lines.push(`  意见：${escapeHtml(h.comment)}`);
    if (h.changes && Object.keys(h.changes).length) lines.push(...changeLines(flow, h.changes, d.answers, fctx));
    return lines.join("\n");
  });
}

export function budgetLine(d: DeclarationRecord, fctx: FlowContext): string {
  const sp = fctx.knowledge.subProjects.find((s) => s.id === d.subProjectId);
  const years = sp?.cycle.years ?? 1;
  if (d.budget.perYear === 0 && d.budget.cycle === 0) return "预算：指南未给出该项目的经费标准，未测算";
  return years > 1 ? `预算：每年 <b>${yuan(d.budget.perYear)}</b>；${years}年周期 <b>${yuan(d.budget.cycle)}</b>` : `预算：<b>${yuan(d.budget.perYear)}</b>`;
}

/** A one-line entry for lists: "GP2024-0001 🟡 待审核 · 县级骨干… · 新疆师范大学". */
export function declarationLine(d: DeclarationRecord, fctx: FlowContext): string {
  const institution = typeof d.answers.institution === "string" ? ` · ${escapeHtml(d.answers.institution)}` : "";
  return `<b>${d.ref}</b> ${STATUS_LABEL[d.status]} · ${escapeHtml(subProjectName(fctx, d.subProjectId))}${institution}`;
}

/**
 * Planned days or hours outside what the guide sets (影子学习 5天 where it says 不少于7天): the form warned
 * the applicant (the same durationWarning rule), and the reviewer must see it too.
 */
export function belowGuideLines(answers: Record<string, unknown>, fctx: FlowContext): string[] {
  const sp = fctx.knowledge.subProjects.find((s) => s.id === answers.subProject);
  if (!sp) return [];
  const out: string[] = [];
  for (const d of scheduleOf(sp, findRow(sp, typeof answers.row === "string" ? answers.row : undefined))) {
    const planned = answers[`dur:${d.id}`];
    const flag = typeof planned === "number" ? durationWarning(d, planned) : undefined;
    if (flag) out.push(`⚠️ ${escapeHtml(flag)}（📖${escapeHtml(d.cite.where)}）`);
  }
  return out;
}

/** The full card: header, every answer, the budget, below-guide flags, times and history. */
export function declarationCard(flow: Flow, d: DeclarationRecord, fctx: FlowContext, opts: { extra?: string[]; whoName?: (id: number) => string } = {}): string {
  const fields = flow.steps.filter((s) => s.id in d.answers).map((s) => `• ${escapeHtml(stepLabel(s, d.answers, fctx))}：${formatAnswer(s, d.answers[s.id], d.answers, fctx)}`);
  const flags = belowGuideLines(d.answers, fctx);
  const zone = zoneLabel(fctx.timeZone);
  const out = [
    `<b>申报 ${d.ref}</b> ${STATUS_LABEL[d.status]}`,
    fields.join("\n"),
    ...(flags.length ? [`<b>与指南要求不符</b>\n${flags.join("\n")}`] : []),
    budgetLine(d, fctx),
    `提交时间：${formatInstant(d.submittedAt, fctx.timeZone)}（${zone}）\n最后更新：${formatInstant(d.updatedAt, fctx.timeZone)}`,
    ...(opts.extra ?? []),
    `<b>记录</b>\n${historyLines(flow, d, fctx, opts.whoName).join("\n")}`,
  ];
  return out.join("\n\n");
}

/** The latest comment a reviewer left when returning it, if the declaration is returned. */
export function lastReturnComment(d: DeclarationRecord): string | undefined {
  if (d.status !== "returned") return undefined;
  return [...d.history].reverse().find((h) => h.action === "returned")?.comment;
}
