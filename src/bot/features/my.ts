/**
 * /my: the sender's own declarations and their status. View one; withdraw it (after a confirmation);
 * revise it (a draft prefilled from the declaration, submitted under the same ref). Which of these a
 * declaration offers is the lifecycle's answer, asked through the declaration service, which also
 * re-checks on every tap that the declaration belongs to the tapping user.
 */
import { Composer } from "grammy";
import { declarationCard, declarationLine, formatInstant, lastReturnComment } from "../../answers/declaration-answer.js";
import { escapeHtml } from "../../answers/html.js";
import * as declarations from "../../services/declarations.js";
import { servicesOf, type BotContext } from "../context.js";
import { declarationFlow, deliver, deny, showRefusal } from "../declarations.js";
import type { Entry } from "../entries.js";
import { flowContext } from "../flow-runner.js";
import { keyboard, send } from "../render.js";
import { resumeDraft } from "./declare.js";

const PAGE = 8;

async function showList(ctx: BotContext, page: number, edit: boolean): Promise<void> {
  const fctx = flowContext(ctx);
  const mine = await declarations.myDeclarations(servicesOf(ctx.deps), ctx.account.id, PAGE, page);
  const draftNote = mine.drafts ? `\n\n另有 ${mine.drafts} 份未提交的草稿，发送 /declare 继续填写。` : "";
  if (!mine.total) {
    await send(ctx, `您还没有提交过申报。${draftNote || "\n发送 /declare 开始申报。"}`, { keyboard: keyboard([[{ label: "📝 申报", data: "dc|l" }]]), edit });
    return;
  }
  const { page: p, pages } = mine;
  const lines = mine.items.map((d) => `${declarationLine(d, fctx)}\n   更新于 ${formatInstant(d.updatedAt, fctx.timeZone)}`);
  const rows = mine.items.map((d) => [{ label: `🔎 ${d.ref}`, data: `my|v|${d.ref}` }]);
  const nav = [];
  if (p > 0) nav.push({ label: "⬅️ 上一页", data: `my|l|${p - 1}` });
  if (p < pages - 1) nav.push({ label: "下一页 ➡️", data: `my|l|${p + 1}` });
  if (nav.length) rows.push(nav);
  const head = `<b>我的申报</b>（共 ${mine.total} 份${pages > 1 ? `，第${p + 1}/${pages}页` : ""}）`;
  await send(ctx, [head, ...lines].join("\n") + draftNote, { keyboard: keyboard(rows), edit });
}

async function showOne(ctx: BotContext, view: declarations.DeclarationView): Promise<void> {
  const fctx = flowContext(ctx);
  const d = view.declaration;
  const comment = lastReturnComment(d);
  const extra = [
    ...(comment ? [`↩️ <b>退回意见</b>：${escapeHtml(comment)}\n请按意见修改后重新提交。`] : []),
    ...(view.deadline ? [`⏰ ${escapeHtml(view.deadline.title)}：${view.deadline.date}${view.deadlinePassed ? "（已截止）" : "（当天结束前可修改）"}`] : []),
  ];
  const actions = [];
  if (view.allowed.includes("revise")) actions.push({ label: "✏️ 修改", data: `my|e|${d.ref}` });
  if (view.allowed.includes("withdraw")) actions.push({ label: "↩️ 撤回", data: `my|w|${d.ref}` });
  const rows = actions.length ? [actions] : [];
  rows.push([{ label: "⬅️ 返回列表", data: "my|l|0" }]);
  await send(ctx, declarationCard(declarationFlow(ctx.deps.knowledge), d, fctx, { extra }), { keyboard: keyboard(rows) });
}

async function withdraw(ctx: BotContext, ref: string): Promise<void> {
  const out = await declarations.withdraw(servicesOf(ctx.deps), ctx.account.id, ref);
  if (!out.ok) return out.code === "denied" ? send(ctx, out.message) : send(ctx, out.message, { edit: true });
  deliver(ctx, out.notify);
  await send(ctx, `已撤回 <b>${ref}</b>。记录会保留，协调员不再审核它。`, { keyboard: keyboard([[{ label: "⬅️ 我的申报", data: "my|l|0" }]]), edit: true });
}

/** Opens (or reopens) the revision draft of a declaration, starting at its summary. */
async function revise(ctx: BotContext, ref: string): Promise<void> {
  const out = await declarations.startRevision(servicesOf(ctx.deps), ctx.account.id, ref);
  if (!out.ok) return send(ctx, out.message);
  const lead = out.resumed ? `✏️ 继续修改 <b>${ref}</b>（之前的修改已保存）。改好后点“确认提交”。` : `✏️ 修改 <b>${ref}</b>：点“✏️”按钮修改任一项，改好后点“确认提交”。编号不变，修改记录会保留。`;
  await resumeDraft(ctx, out.draft, lead);
}

export const myEntries: Record<string, Entry> = { my: (ctx) => showList(ctx, 0, false) };

export const myFeature = new Composer<BotContext>();
myFeature.command("my", (ctx) => showList(ctx, 0, false));

myFeature.callbackQuery(/^my\|/, async (ctx) => {
  const [, kind, arg] = ctx.callbackQuery.data.split("|");
  if (kind === "l") {
    await ctx.answerCallbackQuery();
    return showList(ctx, /^\d{1,4}$/.test(arg ?? "") ? Number(arg) : 0, true);
  }
  // Looked up by the tapping user's id: someone else's ref, a forged or a malformed one all read the same.
  const d = await declarations.ownDeclaration(servicesOf(ctx.deps), ctx.account.id, arg);
  if (!d) return deny(ctx);
  switch (kind) {
    case "v": {
      const view = await declarations.viewDeclaration(servicesOf(ctx.deps), ctx.account.id, d.ref);
      if (!view) return deny(ctx);
      await ctx.answerCallbackQuery();
      return showOne(ctx, view);
    }
    case "w": {
      const refusal = await declarations.lifecycleRefusal(servicesOf(ctx.deps), ctx.account.id, d, "withdraw");
      if (refusal) return showRefusal(ctx, refusal);
      await ctx.answerCallbackQuery();
      return send(ctx, `确定撤回申报 <b>${d.ref}</b> 吗？撤回后协调员不再审核，也不能再修改。`, {
        keyboard: keyboard([[{ label: "✅ 确认撤回", data: `my|wy|${d.ref}` }, { label: "不撤回", data: `my|v|${d.ref}` }]]),
      });
    }
    case "wy":
      await ctx.answerCallbackQuery();
      return withdraw(ctx, d.ref);
    case "e":
      await ctx.answerCallbackQuery();
      return revise(ctx, d.ref);
    default:
      return deny(ctx);
  }
});
