/**
 * /my: the sender's own declarations and their status. View one; withdraw it (after a confirmation);
 * revise it before its deadline (a draft prefilled from the declaration, submitted under the same ref).
 * Every button re-checks that the declaration belongs to the tapping user.
 */
import { randomBytes } from "node:crypto";
import { Composer } from "grammy";
import { declarationCard, declarationLine, formatInstant, lastReturnComment } from "../../answers/declaration-answer.js";
import { escapeHtml } from "../../answers/html.js";
import { allowedEvents, decide } from "../../domain/lifecycle.js";
import { SUMMARY } from "../../engine/run.js";
import type { DeclarationRecord } from "../../store/types.js";
import type { BotContext } from "../context.js";
import { DENIED, actorsOf, declarationFlow, deny, governingDeadline, ownDeclaration } from "../declarations.js";
import { registerEntry } from "../entries.js";
import { flowContext } from "../flow-runner.js";
import { keyboard, send } from "../render.js";
import { resumeDraft, revisionRefusal } from "./declare.js";

const PAGE = 8;

async function showList(ctx: BotContext, page: number, edit: boolean): Promise<void> {
  const fctx = flowContext(ctx);
  const store = ctx.deps.store;
  const mine = { ownerId: ctx.account.id };
  const newestFirst = { by: "submittedAt", dir: "desc" } as const;
  let { items: slice, total } = await store.declarations.find(mine, { limit: PAGE, offset: Math.max(page, 0) * PAGE }, newestFirst);
  const drafts = await store.drafts.count(mine);
  const draftNote = drafts ? `\n\n另有 ${drafts} 份未提交的草稿，发送 /declare 继续填写。` : "";
  if (!total) {
    await send(ctx, `您还没有提交过申报。${draftNote || "\n发送 /declare 开始申报。"}`, { keyboard: keyboard([[{ label: "📝 申报", data: "dc|l" }]]), edit });
    return;
  }
  const pages = Math.ceil(total / PAGE);
  const p = Math.min(Math.max(page, 0), pages - 1);
  if (p !== Math.max(page, 0)) ({ items: slice, total } = await store.declarations.find(mine, { limit: PAGE, offset: p * PAGE }, newestFirst));
  const lines = slice.map((d) => `${declarationLine(d, fctx)}\n   更新于 ${formatInstant(d.updatedAt, fctx.timeZone)}`);
  const rows = slice.map((d) => [{ label: `🔎 ${d.ref}`, data: `my|v|${d.ref}` }]);
  const nav = [];
  if (p > 0) nav.push({ label: "⬅️ 上一页", data: `my|l|${p - 1}` });
  if (p < pages - 1) nav.push({ label: "下一页 ➡️", data: `my|l|${p + 1}` });
  if (nav.length) rows.push(nav);
  const head = `<b>我的申报</b>（共 ${total} 份${pages > 1 ? `，第${p + 1}/${pages}页` : ""}）`;
  await send(ctx, [head, ...lines].join("\n") + draftNote, { keyboard: keyboard(rows), edit });
}

async function deadlineNote(ctx: BotContext, d: DeclarationRecord): Promise<string | undefined> {
  const { deadline, passed } = await governingDeadline(ctx, d);
  if (!deadline) return undefined;
  return `⏰ ${escapeHtml(deadline.title)}：${deadline.date}${passed ? "（已截止）" : "（当天结束前可修改）"}`;
}

async function showOne(ctx: BotContext, d: DeclarationRecord): Promise<void> {
  const fctx = flowContext(ctx);
  const comment = lastReturnComment(d);
  const extra = [
    ...(comment ? [`↩️ <b>退回意见</b>：${escapeHtml(comment)}\n请按意见修改后重新提交。`] : []),
    ...[await deadlineNote(ctx, d)].filter((x): x is string => !!x),
  ];
  const rows = [];
  const actions = [];
  const allowed = allowedEvents({ state: d.status, actor: await actorsOf(ctx, d), deadlinePassed: (await governingDeadline(ctx, d)).passed });
  if (allowed.includes("revise")) actions.push({ label: "✏️ 修改", data: `my|e|${d.ref}` });
  if (allowed.includes("withdraw")) actions.push({ label: "↩️ 撤回", data: `my|w|${d.ref}` });
  if (actions.length) rows.push(actions);
  rows.push([{ label: "⬅️ 返回列表", data: "my|l|0" }]);
  await send(ctx, declarationCard(declarationFlow(ctx.deps.knowledge), d, fctx, { extra }), { keyboard: keyboard(rows) });
}

/** Why the sender may not withdraw it now, or undefined if they may (the rule is the lifecycle's). */
async function withdrawRefusal(ctx: BotContext, d: DeclarationRecord): Promise<string | undefined> {
  const decision = decide("withdraw", { state: d.status, actor: await actorsOf(ctx, d), deadlinePassed: (await governingDeadline(ctx, d)).passed });
  if (decision.ok) return undefined;
  if (d.status === "withdrawn") return `${d.ref} 已经撤回。`;
  if (d.status === "approved") return `${d.ref} 已审核通过，不能自行撤回。如需退出，请联系协调员。`;
  return DENIED;
}

async function withdraw(ctx: BotContext, ref: string): Promise<void> {
  // Re-read and checked inside the transaction, so a review decided meanwhile is not overwritten unseen.
  const now = ctx.deps.now().toISOString();
  const outcome = await ctx.deps.store.transaction(async (tx) => {
    const d = await tx.declarations.get(ref);
    if (!d || d.ownerId !== ctx.account.id) return { refusal: DENIED };
    const refusal = await withdrawRefusal(ctx, d);
    if (refusal) return { refusal };
    const updated: DeclarationRecord = { ...d, status: "withdrawn", updatedAt: now, history: [...d.history, { at: now, by: ctx.account.id, action: "withdrawn" }] };
    await tx.declarations.put(updated);
    await tx.audit.append({ at: now, actor: ctx.account.id, action: "declaration.withdrawn", target: d.ref });
    return { refusal: undefined };
  });
  const d = { ref };
  if (outcome.refusal) {
    await send(ctx, outcome.refusal, { edit: true });
    return;
  }
  await send(ctx, `已撤回 <b>${d.ref}</b>。记录会保留，协调员不再审核它。`, { keyboard: keyboard([[{ label: "⬅️ 我的申报", data: "my|l|0" }]]), edit: true });
}

/** Opens (or reopens) the revision draft of a declaration, starting at its summary. */
async function revise(ctx: BotContext, d: DeclarationRecord): Promise<void> {
  const refusal = await revisionRefusal(ctx, d);
  if (refusal) {
    await send(ctx, escapeHtml(refusal));
    return;
  }
  const drafts = ctx.deps.store.drafts;
  const existing = (await drafts.find({ ownerId: ctx.account.id, revises: d.ref }, { limit: 1 })).items[0];
  if (existing) {
    await resumeDraft(ctx, existing, `✏️ 继续修改 <b>${d.ref}</b>（之前的修改已保存）。改好后点“确认提交”。`);
    return;
  }
  const now = ctx.deps.now().toISOString();
  const draft = { id: randomBytes(6).toString("base64url"), ownerId: ctx.account.id, stepId: SUMMARY, answers: structuredClone(d.answers), trail: [], revises: d.ref, createdAt: now, updatedAt: now };
  await drafts.put(draft);
  await resumeDraft(ctx, draft, `✏️ 修改 <b>${d.ref}</b>：点“✏️”按钮修改任一项，改好后点“确认提交”。编号不变，修改记录会保留。`);
}

registerEntry("my", (ctx) => showList(ctx, 0, false));

export const myFeature = new Composer<BotContext>();
myFeature.command("my", (ctx) => showList(ctx, 0, false));

myFeature.callbackQuery(/^my\|/, async (ctx) => {
  const [, kind, arg] = ctx.callbackQuery.data.split("|");
  if (kind === "l") {
    await ctx.answerCallbackQuery();
    return showList(ctx, /^\d{1,4}$/.test(arg ?? "") ? Number(arg) : 0, true);
  }
  // Looked up by the tapping user's id: someone else's ref, a forged or a malformed one all read the same.
  const d = await ownDeclaration(ctx, arg);
  if (!d) return deny(ctx);
  switch (kind) {
    case "v":
      await ctx.answerCallbackQuery();
      return showOne(ctx, d);
    case "w":
      await ctx.answerCallbackQuery();
      {
        const refusal = await withdrawRefusal(ctx, d);
        if (refusal) return send(ctx, refusal);
      }
      return send(ctx, `确定撤回申报 <b>${d.ref}</b> 吗？撤回后协调员不再审核，也不能再修改。`, {
        keyboard: keyboard([[{ label: "✅ 确认撤回", data: `my|wy|${d.ref}` }, { label: "不撤回", data: `my|v|${d.ref}` }]]),
      });
    case "wy":
      await ctx.answerCallbackQuery();
      return withdraw(ctx, d.ref);
    case "e":
      await ctx.answerCallbackQuery();
      return revise(ctx, d);
    default:
      return deny(ctx);
  }
});
