/**
 * /declare: the declaration form. Every accepted answer is written to the user's draft before
 * "💾 已保存" is said, so a restart, a kill -9 or a week away loses nothing; /declare offers each
 * draft back at the step it stood on. 确认提交 stores the declaration with its reference number
 * (or, for a revision, updates the declaration it revises and records who changed what).
 */
import { Composer } from "grammy";
import { missingFields } from "../../../flows/declaration.js";
import { escapeHtml } from "../../answers/html.js";
import { draftProgress, formatInstant, subProjectName, zoneLabel } from "../../answers/declaration-answer.js";
import { nextStepId } from "../../engine/run.js";
import type { Answers, FlowState } from "../../engine/types.js";
import * as declarations from "../../services/declarations.js";
import { currentSession } from "../../services/sessions.js";
import type { DraftRecord } from "../../store/types.js";
import { servicesOf, type BotContext } from "../context.js";
import { declarationFlow, deliver, deny } from "../declarations.js";
import type { Entry } from "../entries.js";
import { beginFlow, endFlow, flowContext, type FlowHooks, type FlowSession } from "../flow-runner.js";
import { keyboard, send } from "../render.js";

export const DECLARATION_FLOW = "declaration";

// ------------------------------------------------------------------ the flow's hooks

async function saveDraft(ctx: BotContext, session: FlowSession): Promise<void> {
  if (!session.draftId) return;
  const { at, answers, trail, editing } = session.flow;
  await declarations.saveDraft(servicesOf(ctx.deps), ctx.account.id, { id: session.draftId, stepId: at, answers, trail, ...(editing ? { editing } : {}) });
}

async function submitted(ctx: BotContext, answers: Answers, session: FlowSession): Promise<void> {
  const fctx = flowContext(ctx);
  const flow = declarationFlow(ctx.deps.knowledge);
  // The summary is only reached with every field answered; this guards drafts made under older knowledge.
  const missing = missingFields(flow, answers, fctx);
  if (missing.length || typeof answers.subProject !== "string") {
    const draftId = session.draftId ?? declarations.newDraftId();
    await beginFlow(ctx, DECLARATION_FLOW, { state: { at: nextStepId(flow, answers, fctx), answers, trail: session.flow.trail }, draftId, lead: [`❗ 还有未填写的项目：${escapeHtml(missing.join("、") || "子项目")}。请先补充。`] });
    return;
  }
  const out = await declarations.submit(servicesOf(ctx.deps), ctx.account.id, session.draftId ?? declarations.newDraftId(), answers);
  if (!out.ok) {
    // The service kept the answers as a draft at the summary: nothing typed is lost.
    const kept = out.code === "denied" ? out.message : `${out.message}
内容仍保存在草稿中。`;
    await send(ctx, kept, { keyboard: keyboard([[{ label: "📋 我的申报", data: "my|l|0" }, { label: "📝 草稿", data: "dc|l" }]]) });
    return;
  }
  deliver(ctx, out.notify);
  const r = out.result;
  const d = r.declaration;
  if (r.kind === "already") {
    await send(ctx, `这份草稿已于 ${formatInstant(d.submittedAt, fctx.timeZone)} 提交，申报编号 <b>${d.ref}</b>。`, { keyboard: keyboard([[{ label: "📋 查看申报", data: `my|v|${d.ref}` }]]) });
    return;
  }
  if (r.kind === "revised") {
    const what = r.changed.length ? `修改了 ${r.changed.length} 项` : "内容未变";
    await send(
      ctx,
      [`✅ <b>${d.ref}</b> 已重新提交（${what}），状态恢复为“待审核”。`, `时间：${formatInstant(d.updatedAt, fctx.timeZone)}（${zoneLabel(fctx.timeZone)}）`, "协调员将重新审核，结果会在这里通知您。"].join("\n"),
      { keyboard: keyboard([[{ label: "📋 查看申报", data: `my|v|${d.ref}` }]]) },
    );
    return;
  }
  await send(
    ctx,
    [
      "✅ <b>申报已提交！</b>",
      `申报编号：<b>${d.ref}</b>`,
      `子项目：${escapeHtml(subProjectName(fctx, d.subProjectId))}`,
      `提交时间：${formatInstant(d.submittedAt, fctx.timeZone)}（${zoneLabel(fctx.timeZone)}）`,
      "",
      "<b>接下来</b>",
      "• 协调员会收到通知并审核您的申报；",
      "• 审核通过或退回（附意见）时，会在这里通知您；",
      "• 发送 /my 可随时查看状态，或在截止前撤回、修改。",
    ].join("\n"),
    { keyboard: keyboard([[{ label: "📋 我的申报", data: "my|l|0" }]]) },
  );
}

/** The declaration form's hooks, wired into the flow runner by features/index.ts. */
export const declarationHooks: FlowHooks = {
  flow: declarationFlow,
  save: saveDraft,
  completed: submitted,
  cancelled: async (ctx, _answers, session) => {
    const kept = await declarations.ownDraft(servicesOf(ctx.deps), ctx.account.id, session.draftId);
    await send(ctx, kept ? "草稿已保存，发送 /declare 继续。" : "已取消。", { keyboard: keyboard([[{ label: "📝 申报", data: "dc|l" }]]) });
  },
};

// ------------------------------------------------------------------ starting and resuming

/** Starts a new declaration, optionally with the sub-project chosen (from a project card). */
export async function startDeclaration(ctx: BotContext, subProjectId?: string): Promise<void> {
  const may = await declarations.canStartDraft(servicesOf(ctx.deps), ctx.account.id);
  if (!may.ok) {
    await send(ctx, may.message);
    await showDrafts(ctx, false);
    return;
  }
  const sp = ctx.deps.knowledge.subProjects.find((s) => s.id === subProjectId);
  const answers: Answers = sp ? { plan: sp.plan, subProject: sp.id } : {};
  const lead = sp ? [`<b>申报：${escapeHtml(sp.name)}</b>\n每答一题自动保存草稿；可随时“取消”，之后发送 /declare 继续。`] : ["每答一题自动保存草稿；可随时“取消”，之后发送 /declare 继续。"];
  await beginFlow(ctx, DECLARATION_FLOW, { answers, draftId: declarations.newDraftId(), lead });
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
  const drafts = await declarations.myDrafts(servicesOf(ctx.deps), ctx.account.id);
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
  // myDrafts drops drafts that a crash left behind after their submission.
  if ((await declarations.myDrafts(servicesOf(ctx.deps), ctx.account.id)).length > 0) await showDrafts(ctx);
  else await startDeclaration(ctx);
}

export const declareEntries: Record<string, Entry> = { declare: declareEntry };

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
      const draft = await declarations.ownDraft(servicesOf(ctx.deps), ctx.account.id, arg);
      if (!draft) return deny(ctx);
      await ctx.answerCallbackQuery();
      return resumeDraft(ctx, draft, `▶️ 继续填写：${escapeHtml(draftTitle(ctx, draft))}`);
    }
    case "d": {
      const draft = await declarations.ownDraft(servicesOf(ctx.deps), ctx.account.id, arg);
      if (!draft) return deny(ctx);
      await ctx.answerCallbackQuery();
      return send(ctx, `确定删除草稿“${escapeHtml(draftTitle(ctx, draft))}”吗？删除后不能恢复。`, {
        keyboard: keyboard([[{ label: "🗑 确认删除", data: `dc|dd|${draft.id}` }, { label: "保留", data: "dc|l" }]]),
        edit: true,
      });
    }
    case "dd": {
      const draft = await declarations.ownDraft(servicesOf(ctx.deps), ctx.account.id, arg);
      if (!draft) return deny(ctx);
      await ctx.answerCallbackQuery();
      const open = await currentSession(servicesOf(ctx.deps), ctx.account.id);
      if (open?.flow === DECLARATION_FLOW && (open.state as unknown as FlowSession).draftId === draft.id) await endFlow(ctx);
      const out = await declarations.deleteDraft(servicesOf(ctx.deps), ctx.account.id, draft.id);
      if (!out.ok) return deny(ctx);
      const left = out.left;
      return send(ctx, `已删除草稿。${left ? `还有 ${left} 份草稿。` : ""}`, { keyboard: keyboard([[{ label: left ? "📝 查看草稿" : "➕ 新建申报", data: left ? "dc|l" : "dc|new" }]]), edit: true });
    }
    default:
      return deny(ctx);
  }
});
