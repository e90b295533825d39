/**
 * /declare: the declaration form. Every accepted answer is written to the user's draft before
 * "💾 已保存" is said, so a restart, a kill -9 or a week away loses nothing; /declare offers each
 * draft back at the step it stood on. 确认提交 stores the declaration with its reference number
 * (or, for a revision, updates the declaration it revises and records who changed what).
 */
import { randomBytes } from "node:crypto";
import { Composer } from "grammy";
import { missingFields } from "../../../flows/declaration.js";
import { budgetOf } from "../../../flows/budget.js";
import { escapeHtml } from "../../answers/html.js";
import { draftProgress, formatInstant, subProjectName, zoneLabel } from "../../answers/declaration-answer.js";
import { decide } from "../../domain/lifecycle.js";
import { SUMMARY, nextStepId } from "../../engine/run.js";
import type { Answers, FlowState } from "../../engine/types.js";
import { Plan } from "../../knowledge/schema.js";
import type { DeclarationRecord, DraftRecord } from "../../store/types.js";
import type { BotContext } from "../context.js";
import { DENIED, actorsOf, declarationFlow, deny, governingDeadline, notifyUser, staffIds } from "../declarations.js";
import { registerEntry } from "../entries.js";
import { beginFlow, endFlow, flowContext, registerFlow, type FlowSession } from "../flow-runner.js";
import { keyboard, send } from "../render.js";

export const DECLARATION_FLOW = "declaration";
/** The guide is the 2024 one: reference numbers are GP2024-…/QP2024-… whatever today's date. */
export const GUIDE_YEAR = 2024;
/** Drafts one user may keep; more would make the resume list unreadable on a phone. */
export const MAX_DRAFTS = 8;

const DRAFT_ID = /^[A-Za-z0-9_-]{6,24}$/;

function newDraftId(): string {
  return randomBytes(6).toString("base64url");
}

/** The sender's own draft, or undefined for anything else. */
async function ownDraft(ctx: BotContext, id: string | undefined): Promise<DraftRecord | undefined> {
  if (!id || !DRAFT_ID.test(id)) return undefined;
  const d = await ctx.deps.store.drafts.get(id);
  return d && d.ownerId === ctx.account.id ? d : undefined;
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Field → [before, after] for every answer that differs. */
export function answerChanges(before: Answers, after: Answers): Record<string, [unknown, unknown]> {
  const changes: Record<string, [unknown, unknown]> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!sameValue(before[key], after[key])) changes[key] = [before[key] ?? null, after[key] ?? null];
  }
  return changes;
}

// ------------------------------------------------------------------ the flow's hooks

async function saveDraft(ctx: BotContext, session: FlowSession): Promise<void> {
  const id = session.draftId;
  if (!id) return;
  const drafts = ctx.deps.store.drafts;
  const existing = await drafts.get(id);
  if (existing && existing.ownerId !== ctx.account.id) return;
  const { at, answers, trail, editing } = session.flow;
  // Opening /declare and leaving at once leaves no empty draft behind.
  if (!existing && Object.keys(answers).length === 0) return;
  const now = ctx.deps.now().toISOString();
  await drafts.put({
    id,
    ownerId: ctx.account.id,
    stepId: at,
    answers,
    trail,
    ...(editing ? { editing } : {}),
    ...(existing?.revises ? { revises: existing.revises } : {}),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
}

async function submitted(ctx: BotContext, answers: Answers, session: FlowSession): Promise<void> {
  const fctx = flowContext(ctx);
  const flow = declarationFlow(ctx.deps.knowledge);
  const draft = session.draftId ? await ctx.deps.store.drafts.get(session.draftId) : undefined;
  const foreign = !!draft && draft.ownerId !== ctx.account.id;
  const draftId = !foreign && session.draftId ? session.draftId : newDraftId();
  const reopen = (lead: string, at?: string) =>
    beginFlow(ctx, DECLARATION_FLOW, { state: { at: at ?? nextStepId(flow, answers, fctx), answers, trail: session.flow.trail }, draftId, lead: [lead] });

  // The summary is only reached with every field answered; this guards drafts made under older knowledge.
  const missing = missingFields(flow, answers, fctx);
  const plan = Plan.safeParse(answers.plan);
  const sp = fctx.knowledge.subProjects.find((s) => s.id === answers.subProject);
  if (missing.length || !plan.success || !sp) {
    await reopen(`❗ 还有未填写的项目：${escapeHtml(missing.join("、") || "子项目")}。请先补充。`);
    return;
  }
  if (!draft?.revises) {
    const { deadline, passed } = await governingDeadline(ctx, { plan: plan.data, subProjectId: sp.id });
    if (!decide("submit", { state: "draft", actor: ["owner"], deadlinePassed: passed }).ok && deadline) {
      // Nothing typed is lost: the draft stays at the summary, ready for an extension.
      const now = ctx.deps.now().toISOString();
      const kept = draft && !foreign ? draft : { id: draftId, ownerId: ctx.account.id, stepId: SUMMARY, answers, trail: session.flow.trail, createdAt: now, updatedAt: now };
      await ctx.deps.store.drafts.put({ ...kept, stepId: SUMMARY, answers, updatedAt: now });
      await send(ctx, `“${escapeHtml(deadline.title)}”已于 ${deadline.date} 截止，不能再提交。草稿已保存；如截止日期延长，可发送 /declare 继续提交。`, { keyboard: keyboard([[{ label: "📋 我的申报", data: "my|l|0" }]]) });
      return;
    }
  }
  const b = budgetOf(fctx.knowledge, answers);
  const budget = { perYear: b?.perYear ?? 0, cycle: b?.cycle ?? 0 };
  const rowId = b?.row.id ?? sp.rows[0]!.id;
  const now = ctx.deps.now().toISOString();
  const by = ctx.account.id;
  const store = ctx.deps.store;

  if (draft?.revises && !foreign) {
    const before = await store.declarations.get(draft.revises);
    const refusal = !before || before.ownerId !== by ? DENIED : await revisionRefusal(ctx, before);
    if (refusal) {
      await send(ctx, `${escapeHtml(refusal)}\n修改内容仍保存在草稿中。`, { keyboard: keyboard([[{ label: "📋 我的申报", data: "my|l|0" }]]) });
      // Keep the draft (at the summary) so nothing typed is lost.
      await store.drafts.put({ ...draft, stepId: SUMMARY, answers, updatedAt: now });
      return;
    }
    if (before!.plan !== plan.data) {
      await reopen(`❗ 修改不能更换计划（${escapeHtml(before!.ref)} 属于${escapeHtml(fctx.knowledge.plans.find((p) => p.id === before!.plan)?.name ?? before!.plan)}）。如需申报另一计划，请新建申报。`, SUMMARY);
      return;
    }
    // One unit of work: the revised declaration, the draft's removal and the audit entry.
    const { revised, changes } = await store.transaction(async (tx) => {
      const current = (await tx.declarations.get(draft.revises!)) ?? before!;
      const changes = answerChanges(current.answers, answers);
      const revised: DeclarationRecord = {
        ...current,
        subProjectId: sp.id,
        rowId,
        answers,
        budget,
        status: "submitted",
        updatedAt: now,
        history: [...current.history, { at: now, by, action: "revised", changes }],
      };
      await tx.declarations.put(revised);
      await tx.drafts.delete(draft.id);
      await tx.audit.append({ at: now, actor: by, action: "declaration.revised", target: revised.ref, detail: { fields: Object.keys(changes) } });
      return { revised, changes };
    });
    const what = Object.keys(changes).length ? `修改了 ${Object.keys(changes).length} 项` : "内容未变";
    await send(
      ctx,
      [`✅ <b>${revised.ref}</b> 已重新提交（${what}），状态恢复为“待审核”。`, `时间：${formatInstant(now, fctx.timeZone)}（${zoneLabel(fctx.timeZone)}）`, "协调员将重新审核，结果会在这里通知您。"].join("\n"),
      { keyboard: keyboard([[{ label: "📋 查看申报", data: `my|v|${revised.ref}` }]]) },
    );
    notifyStaff(ctx, revised.ref, `📝 申报 <b>${revised.ref}</b> 已由申报人修改并重新提交：${escapeHtml(sp.name)}。发送 /review 查看。`);
    return;
  }

  // A draft already submitted (a double tap, or a draft left by an older version's crash) is never submitted twice.
  const alreadySent = async () => {
    const already = await submittedFrom(ctx, draftId);
    if (!already) return false;
    await store.drafts.delete(draftId);
    await send(ctx, `这份草稿已于 ${formatInstant(already.submittedAt, fctx.timeZone)} 提交，申报编号 <b>${already.ref}</b>。`, { keyboard: keyboard([[{ label: "📋 查看申报", data: `my|v|${already.ref}` }]]) });
    return true;
  };
  if (await alreadySent()) return;
  const record: Omit<DeclarationRecord, "ref"> = {
    ownerId: by,
    plan: plan.data,
    subProjectId: sp.id,
    rowId,
    answers,
    budget,
    status: "submitted",
    submittedAt: now,
    updatedAt: now,
    history: [{ at: now, by, action: "submitted" }],
    fromDraft: draftId,
  };
  // One unit of work: the reference number, the declaration, the draft's removal and the audit entry.
  const ref = await store.transaction(async (tx) => {
    if (draft && !(await tx.drafts.get(draft.id))) return undefined; // submitted by a concurrent tap
    const ref = await tx.declarations.nextRef(plan.data, GUIDE_YEAR);
    await tx.declarations.put({ ref, ...record });
    if (draft) await tx.drafts.delete(draft.id);
    await tx.audit.append({ at: now, actor: by, action: "declaration.submitted", target: ref, detail: { subProject: sp.id } });
    return ref;
  });
  if (ref === undefined) {
    await alreadySent();
    return;
  }
  await send(
    ctx,
    [
      "✅ <b>申报已提交！</b>",
      `申报编号：<b>${ref}</b>`,
      `子项目：${escapeHtml(sp.name)}`,
      `提交时间：${formatInstant(now, fctx.timeZone)}（${zoneLabel(fctx.timeZone)}）`,
      "",
      "<b>接下来</b>",
      "• 协调员会收到通知并审核您的申报；",
      "• 审核通过或退回（附意见）时，会在这里通知您；",
      "• 发送 /my 可随时查看状态，或在截止前撤回、修改。",
    ].join("\n"),
    { keyboard: keyboard([[{ label: "📋 我的申报", data: "my|l|0" }]]) },
  );
  notifyStaff(ctx, ref, `📥 新申报 <b>${ref}</b>：${escapeHtml(sp.name)}${typeof answers.institution === "string" ? ` · ${escapeHtml(answers.institution)}` : ""}。发送 /review 审核。`);
}

/** The sender's declaration submitted from this draft, if any. */
async function submittedFrom(ctx: BotContext, draftId: string): Promise<DeclarationRecord | undefined> {
  const { items } = await ctx.deps.store.declarations.find({ ownerId: ctx.account.id, fromDraft: draftId }, { limit: 1 });
  return items[0];
}

/** Tells every coordinator and admin, in the background (never delays or fails the applicant's reply). */
function notifyStaff(ctx: BotContext, ref: string, text: string): void {
  const open = keyboard([[{ label: "🔎 查看并审核", data: `rv|o|${ref}` }]]);
  ctx.deps.background(async () => {
    const ids = (await staffIds(ctx)).filter((id) => id !== ctx.account.id);
    for (const id of ids) await notifyUser(ctx, id, text, open);
  }, "notifying coordinators");
}

/** Why a declaration may not be revised now, or undefined if it may (the rule itself is the lifecycle's). */
export async function revisionRefusal(ctx: BotContext, d: DeclarationRecord): Promise<string | undefined> {
  const { deadline, passed } = await governingDeadline(ctx, d);
  const decision = decide("revise", { state: d.status, actor: await actorsOf(ctx, d), deadlinePassed: passed });
  if (decision.ok) return undefined;
  if (decision.refusal === "deadlinePassed" && deadline) return `“${deadline.title}”已于 ${deadline.date} 截止，不能再修改。`;
  if (decision.refusal === "notPermitted") return DENIED;
  if (d.status === "withdrawn") return `${d.ref} 已撤回，不能修改。如需申报，请发送 /declare 新建。`;
  if (d.status === "approved") return `${d.ref} 已审核通过，不能再修改。如需变更，请联系协调员。`;
  return DENIED;
}

registerFlow(DECLARATION_FLOW, {
  flow: declarationFlow,
  save: saveDraft,
  completed: submitted,
  cancelled: async (ctx, _answers, session) => {
    const kept = session.draftId && (await ctx.deps.store.drafts.get(session.draftId));
    await send(ctx, kept ? "草稿已保存，发送 /declare 继续。" : "已取消。", { keyboard: keyboard([[{ label: "📝 申报", data: "dc|l" }]]) });
  },
});

// ------------------------------------------------------------------ starting and resuming

/** Starts a new declaration, optionally with the sub-project chosen (from a project card). */
export async function startDeclaration(ctx: BotContext, subProjectId?: string): Promise<void> {
  const drafts = await ctx.deps.store.drafts.byOwner(ctx.account.id);
  if (drafts.length >= MAX_DRAFTS) {
    await send(ctx, `您已有 ${drafts.length} 份草稿，最多保留 ${MAX_DRAFTS} 份。请继续或删除一份后再新建。`);
    await showDrafts(ctx, false);
    return;
  }
  const sp = ctx.deps.knowledge.subProjects.find((s) => s.id === subProjectId);
  const answers: Answers = sp ? { plan: sp.plan, subProject: sp.id } : {};
  const lead = sp ? [`<b>申报：${escapeHtml(sp.name)}</b>\n每答一题自动保存草稿；可随时“取消”，之后发送 /declare 继续。`] : ["每答一题自动保存草稿；可随时“取消”，之后发送 /declare 继续。"];
  await beginFlow(ctx, DECLARATION_FLOW, { answers, draftId: newDraftId(), lead });
}

/** Reopens a draft exactly where it stood (its step, its trail for 上一步). */
export async function resumeDraft(ctx: BotContext, draft: DraftRecord, lead: string): Promise<void> {
  const fctx = flowContext(ctx);
  const flow = declarationFlow(ctx.deps.knowledge);
  const step = flow.steps.find((s) => s.id === draft.stepId);
  // The stored step, unless it no longer applies (knowledge changed) or is already answered: then the next one due.
  const stillDue = !!step && (step.when ? step.when(draft.answers, fctx) : true) && (!(step.id in draft.answers) || !!draft.editing);
  const state: FlowState = stillDue
    ? { at: draft.stepId, answers: draft.answers, trail: draft.trail ?? [], ...(draft.editing ? { editing: true } : {}) }
    : { at: nextStepId(flow, draft.answers, fctx), answers: draft.answers, trail: draft.trail ?? [] };
  await beginFlow(ctx, DECLARATION_FLOW, { state, draftId: draft.id, lead: [lead] });
}

function draftTitle(ctx: BotContext, d: DraftRecord): string {
  const chosen = typeof d.answers.subProject === "string";
  const institution = typeof d.answers.institution === "string" ? d.answers.institution : "";
  const name = chosen ? subProjectName(flowContext(ctx), d.answers.subProject) : `${institution ? `${institution} · ` : ""}未选子项目`;
  return d.revises ? `修改 ${d.revises}：${name}` : name;
}

/** The sender's drafts, each with 继续 and 删除, and a 新建 button. */
async function showDrafts(ctx: BotContext, offerNew = true): Promise<void> {
  const fctx = flowContext(ctx);
  const flow = declarationFlow(ctx.deps.knowledge);
  const drafts = (await ctx.deps.store.drafts.byOwner(ctx.account.id)).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  const lines = drafts.map((d, i) => `${i + 1}. ${escapeHtml(draftTitle(ctx, d))}\n   ${draftProgress(flow, d, fctx)}，更新于 ${formatInstant(d.updatedAt, fctx.timeZone)}`);
  const rows = drafts.map((d, i) => [
    { label: `▶️ 继续 ${i + 1}. ${short(draftTitle(ctx, d), 18)}`, data: `dc|r|${d.id}` },
    { label: "🗑 删除", data: `dc|d|${d.id}` },
  ]);
  if (offerNew) rows.push([{ label: "➕ 新建申报", data: "dc|new" }]);
  await send(ctx, [`<b>您有 ${drafts.length} 份未提交的申报草稿</b>`, ...lines, "", "继续填写哪一份？"].join("\n"), { keyboard: keyboard(rows) });
}

function short(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/** /declare and the menu: drafts first if there are any, else a new form. */
async function declareEntry(ctx: BotContext): Promise<void> {
  for (const d of await ctx.deps.store.drafts.byOwner(ctx.account.id)) if (!d.revises && (await submittedFrom(ctx, d.id))) await ctx.deps.store.drafts.delete(d.id);
  if ((await ctx.deps.store.drafts.count({ ownerId: ctx.account.id })) > 0) await showDrafts(ctx);
  else await startDeclaration(ctx);
}

registerEntry("declare", declareEntry);

export const declareFeature = new Composer<BotContext>();
declareFeature.command("declare", declareEntry);

declareFeature.callbackQuery(/^dc\|/, async (ctx) => {
  const [, kind, arg] = ctx.callbackQuery.data.split("|");
  switch (kind) {
    case "new": {
      if (arg !== undefined && !ctx.deps.knowledge.subProjects.some((s) => s.id === arg)) return deny(ctx);
      await ctx.answerCallbackQuery();
      return startDeclaration(ctx, arg);
    }
    case "l":
      await ctx.answerCallbackQuery();
      return declareEntry(ctx);
    case "r": {
      const draft = await ownDraft(ctx, arg);
      if (!draft) return deny(ctx);
      await ctx.answerCallbackQuery();
      return resumeDraft(ctx, draft, `▶️ 继续填写：${escapeHtml(draftTitle(ctx, draft))}`);
    }
    case "d": {
      const draft = await ownDraft(ctx, arg);
      if (!draft) return deny(ctx);
      await ctx.answerCallbackQuery();
      return send(ctx, `确定删除草稿“${escapeHtml(draftTitle(ctx, draft))}”吗？删除后不能恢复。`, {
        keyboard: keyboard([[{ label: "🗑 确认删除", data: `dc|dd|${draft.id}` }, { label: "保留", data: "dc|l" }]]),
        edit: true,
      });
    }
    case "dd": {
      const draft = await ownDraft(ctx, arg);
      if (!draft) return deny(ctx);
      await ctx.answerCallbackQuery();
      const open = await ctx.deps.store.sessions.get(ctx.account.id);
      if (open?.flow === DECLARATION_FLOW && (open.state as unknown as FlowSession).draftId === draft.id) await endFlow(ctx);
      await ctx.deps.store.transaction(async (tx) => {
        await tx.drafts.delete(draft.id);
        await tx.audit.append({ at: ctx.deps.now().toISOString(), actor: ctx.account.id, action: "draft.deleted", target: draft.id });
      });
      const left = await ctx.deps.store.drafts.count({ ownerId: ctx.account.id });
      return send(ctx, `已删除草稿。${left ? `还有 ${left} 份草稿。` : ""}`, { keyboard: keyboard([[{ label: left ? "📝 查看草稿" : "➕ 新建申报", data: left ? "dc|l" : "dc|new" }]]), edit: true });
    }
    default:
      return deny(ctx);
  }
});
