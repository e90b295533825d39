/**
 * /review (coordinators and admins): counts by status, lists by status or by sub-project (paged),
 * one declaration in full, then approve it or return it with a comment. Both ask for confirmation
 * first, and a return shows the comment exactly as the applicant will read it: the applicant is told
 * only once the reviewer has confirmed. The comment waits in the reviewer's session (it survives a
 * restart). Roles, the lifecycle, the history and the audit trail are the review service's.
 */
import { Composer } from "grammy";
import { declarationCard, declarationLine, subProjectName } from "../../answers/declaration-answer.js";
import { escapeHtml } from "../../answers/html.js";
import { DECLARATION_STATUSES, STATUS_LABEL } from "../../domain/lifecycle.js";
import { userNames } from "../../services/access.js";
import { viewDeclaration } from "../../services/declarations.js";
import * as review from "../../services/review.js";
import { closeSession, currentSession, openSession } from "../../services/sessions.js";
import type { DeclarationFilter, SessionRecord } from "../../store/types.js";
import { servicesOf, type BotContext } from "../context.js";
import { DENIED, declarationFlow, deliver, requireCoordinator, showRefusal } from "../declarations.js";
import { flowContext } from "../flow-runner.js";
import { keyboard, send } from "../render.js";

const PAGE = 8;
/** The session "flow" id of a pending return comment. */
export const REVIEW_COMMENT = "review-comment";

type Rows = { label: string; data: string }[][];

const backHome = () => keyboard([[{ label: "⬅️ 返回审核", data: "rv|h" }]]);
const cancelReturn = () => keyboard([[{ label: "✖️ 取消退回", data: "rv|rc" }]]);

function short(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function pageOf(arg: string | undefined): number {
  return /^\d{1,4}$/.test(arg ?? "") ? Number(arg) : 0;
}

async function home(ctx: BotContext, edit: boolean): Promise<void> {
  const out = await review.statusCounts(servicesOf(ctx.deps), ctx.account.id);
  if (!out.ok) return showRefusal(ctx, out);
  const count = (s: (typeof DECLARATION_STATUSES)[number]) => out.counts[s];
  const rows: Rows = [
    [
      { label: `${STATUS_LABEL.submitted} (${count("submitted")})`, data: "rv|s|submitted|0" },
      { label: `${STATUS_LABEL.returned} (${count("returned")})`, data: "rv|s|returned|0" },
    ],
    [
      { label: `${STATUS_LABEL.approved} (${count("approved")})`, data: "rv|s|approved|0" },
      { label: `${STATUS_LABEL.withdrawn} (${count("withdrawn")})`, data: "rv|s|withdrawn|0" },
    ],
    [{ label: "📂 按子项目查看", data: "rv|ps|0" }],
  ];
  const lines = DECLARATION_STATUSES.map((s) => `${STATUS_LABEL[s]}：${count(s)}`);
  await send(ctx, [`<b>申报审核</b>（共 ${out.total} 份）`, ...lines, "", "请选择要查看的列表："].join("\n"), { keyboard: keyboard(rows), edit });
}

/** A paged list of declarations (oldest submission first) with an open button each; one page is fetched. */
async function list(ctx: BotContext, title: string, filter: DeclarationFilter, page: number, pageData: (p: number) => string, back: string): Promise<void> {
  const fctx = flowContext(ctx);
  const deps = servicesOf(ctx.deps);
  let out = await review.listDeclarations(deps, ctx.account.id, filter, { limit: PAGE, offset: page * PAGE });
  if (!out.ok) return showRefusal(ctx, out);
  const total = out.page.total;
  if (!total) {
    await send(ctx, `${title}\n暂无申报。`, { keyboard: keyboard([[{ label: "⬅️ 返回", data: back }]]), edit: true });
    return;
  }
  const pages = Math.ceil(total / PAGE);
  const p = Math.min(page, pages - 1);
  if (p !== page) {
    out = await review.listDeclarations(deps, ctx.account.id, filter, { limit: PAGE, offset: p * PAGE });
    if (!out.ok) return showRefusal(ctx, out);
  }
  const slice = out.page.items;
  const rows: Rows = slice.map((d) => [
    { label: `${d.ref} ${short(typeof d.answers.institution === "string" ? d.answers.institution : subProjectName(fctx, d.subProjectId), 16)}`, data: `rv|o|${d.ref}` },
  ]);
  const nav = [];
  if (p > 0) nav.push({ label: "⬅️ 上一页", data: pageData(p - 1) });
  if (p < pages - 1) nav.push({ label: "下一页 ➡️", data: pageData(p + 1) });
  if (nav.length) rows.push(nav);
  rows.push([{ label: "⬅️ 返回", data: back }]);
  const head = `${title}（${total} 份${pages > 1 ? `，第${p + 1}/${pages}页` : ""}）`;
  await send(ctx, [head, ...slice.map((d) => declarationLine(d, fctx))].join("\n"), { keyboard: keyboard(rows), edit: true });
}

async function subProjects(ctx: BotContext, page: number): Promise<void> {
  const out = await review.subProjectCounts(servicesOf(ctx.deps), ctx.account.id);
  if (!out.ok) return showRefusal(ctx, out);
  const fctx = flowContext(ctx);
  if (!out.rows.length) {
    await send(ctx, "<b>按子项目</b>\n暂无申报。", { keyboard: backHome(), edit: true });
    return;
  }
  const pages = Math.ceil(out.rows.length / PAGE);
  const p = Math.min(page, pages - 1);
  const rows: Rows = out.rows.slice(p * PAGE, (p + 1) * PAGE).map((r) => [{ label: `${short(subProjectName(fctx, r.subProjectId), 22)} (${r.count})`, data: `rv|p|${r.subProjectId}|0` }]);
  const nav = [];
  if (p > 0) nav.push({ label: "⬅️ 上一页", data: `rv|ps|${p - 1}` });
  if (p < pages - 1) nav.push({ label: "下一页 ➡️", data: `rv|ps|${p + 1}` });
  if (nav.length) rows.push(nav);
  rows.push([{ label: "⬅️ 返回", data: "rv|h" }]);
  await send(ctx, `<b>按子项目</b>（${out.rows.length} 个子项目有申报${pages > 1 ? `，第${p + 1}/${pages}页` : ""}）`, { keyboard: keyboard(rows), edit: true });
}

/** One declaration in full, with the review actions the lifecycle allows this reviewer now. */
async function open(ctx: BotContext, ref: string): Promise<void> {
  const deps = servicesOf(ctx.deps);
  const view = await viewDeclaration(deps, ctx.account.id, ref);
  if (!view) return void (await ctx.answerCallbackQuery({ text: DENIED }));
  await ctx.answerCallbackQuery();
  const d = view.declaration;
  const actions = [];
  if (view.allowed.includes("approve")) actions.push({ label: "✅ 通过", data: `rv|a|${d.ref}` });
  if (view.allowed.includes("return")) actions.push({ label: "↩️ 退回（需填写意见）", data: `rv|r|${d.ref}` });
  const rows: Rows = actions.length ? [actions] : [];
  rows.push([{ label: "⬅️ 返回审核", data: "rv|h" }]);
  const whoName = await userNames(deps, [d.ownerId, ...d.history.map((h) => h.by)]);
  const extra = [`申报人：${escapeHtml(whoName(d.ownerId))}`];
  await send(ctx, declarationCard(declarationFlow(ctx.deps.knowledge), d, flowContext(ctx), { extra, whoName }), { keyboard: keyboard(rows) });
}

async function pendingComment(ctx: BotContext): Promise<SessionRecord | undefined> {
  const s = await currentSession(servicesOf(ctx.deps), ctx.account.id);
  return s?.flow === REVIEW_COMMENT ? s : undefined;
}

/** The return as the applicant will read it, with 确认 / 重写 / 取消: nothing is sent until 确认退回. */
async function confirmReturn(ctx: BotContext, ref: string, comment: string): Promise<void> {
  await send(ctx, [`请确认退回 <b>${ref}</b>。以下意见将原样发给申报人：`, "", `<blockquote>${escapeHtml(comment)}</blockquote>`, "", "确认后才会通知申报人。"].join("\n"), {
    keyboard: keyboard([
      [
        { label: "✅ 确认退回", data: `rv|ry|${ref}` },
        { label: "✏️ 重写意见", data: `rv|r|${ref}` },
      ],
      [{ label: "✖️ 取消退回", data: "rv|rc" }],
    ]),
  });
}

export async function showReview(ctx: BotContext): Promise<void> {
  if (await requireCoordinator(ctx)) await home(ctx, false);
}

export const reviewFeature = new Composer<BotContext>();
reviewFeature.command("review", showReview);

reviewFeature.callbackQuery(/^rv\|/, async (ctx) => {
  // The role is checked from the tapping user's id on every tap (here and again in the service): a forged button does nothing.
  if (!(await requireCoordinator(ctx))) return;
  const deps = servicesOf(ctx.deps);
  const [, kind, a = "", b] = ctx.callbackQuery.data.split("|");
  switch (kind) {
    case "h":
      await ctx.answerCallbackQuery();
      return home(ctx, true);
    case "s": {
      const status = DECLARATION_STATUSES.find((s) => s === a);
      if (!status) break;
      await ctx.answerCallbackQuery();
      return list(ctx, `<b>${STATUS_LABEL[status]}</b>`, { status }, pageOf(b), (p) => `rv|s|${status}|${p}`, "rv|h");
    }
    case "ps":
      await ctx.answerCallbackQuery();
      return subProjects(ctx, pageOf(a));
    case "p": {
      const sp = ctx.deps.knowledge.subProjects.find((s) => s.id === a);
      if (!sp) break;
      await ctx.answerCallbackQuery();
      return list(ctx, `<b>${escapeHtml(sp.name)}</b>`, { subProjectId: sp.id }, pageOf(b), (p) => `rv|p|${sp.id}|${p}`, "rv|ps|0");
    }
    case "o":
      return open(ctx, a);
    case "a": {
      // Step 1 of approving: say what will happen, and ask.
      const may = await review.reviewable(deps, ctx.account.id, a, "approve");
      if (!may.ok) return showRefusal(ctx, may, { label: "⬅️ 返回审核", data: "rv|h" });
      await ctx.answerCallbackQuery();
      return send(ctx, `确认通过 <b>${may.declaration.ref}</b>？\n确认后将通知申报人“已审核通过”。`, {
        keyboard: keyboard([[{ label: "✅ 确认通过", data: `rv|ay|${may.declaration.ref}` }, { label: "取消", data: `rv|o|${may.declaration.ref}` }]]),
      });
    }
    case "ay": {
      const out = await review.decideReview(deps, ctx.account.id, a, "approve");
      if (!out.ok) return showRefusal(ctx, out, { label: "⬅️ 返回审核", data: "rv|h" });
      await ctx.answerCallbackQuery();
      deliver(ctx, out.notify);
      return send(ctx, `✅ 已通过 <b>${out.declaration.ref}</b>，已通知申报人。`, { keyboard: backHome(), edit: true });
    }
    case "r": {
      const may = await review.reviewable(deps, ctx.account.id, a, "return");
      if (!may.ok) return showRefusal(ctx, may, { label: "⬅️ 返回审核", data: "rv|h" });
      await ctx.answerCallbackQuery();
      await openSession(deps, ctx.account.id, REVIEW_COMMENT, { ref: may.declaration.ref });
      return send(ctx, `请发送退回 <b>${may.declaration.ref}</b> 的意见（必填，${review.COMMENT_MIN}～${review.COMMENT_MAX}字，会原样转告申报人；发送前会请您确认）：`, { keyboard: cancelReturn() });
    }
    case "ry": {
      const pending = await pendingComment(ctx);
      const comment = pending?.state.ref === a && typeof pending.state.comment === "string" ? pending.state.comment : undefined;
      if (!comment) {
        await ctx.answerCallbackQuery({ text: "这条退回确认已过期，请重新点“退回”。", show_alert: true });
        return;
      }
      const out = await review.decideReview(deps, ctx.account.id, a, "return", comment);
      await closeSession(deps, ctx.account.id);
      if (!out.ok) return showRefusal(ctx, out, { label: "⬅️ 返回审核", data: "rv|h" });
      await ctx.answerCallbackQuery();
      deliver(ctx, out.notify);
      return send(ctx, `↩️ 已退回 <b>${out.declaration.ref}</b>，意见已转告申报人：\n${escapeHtml(comment)}`, { keyboard: backHome(), edit: true });
    }
    case "rc": {
      await ctx.answerCallbackQuery();
      if (await pendingComment(ctx)) await closeSession(deps, ctx.account.id);
      return send(ctx, "已取消退回，申报人未收到任何通知。", { keyboard: backHome(), edit: true });
    }
  }
  await ctx.answerCallbackQuery({ text: DENIED });
});

/** The comment of a pending return: the next text message that is not a command. It is shown back for confirmation, never sent at once. */
reviewFeature.on("message:text", async (ctx, next) => {
  const pending = await pendingComment(ctx);
  if (!pending || ctx.message.text.startsWith("/")) return next();
  const deps = servicesOf(ctx.deps);
  const ref = typeof pending.state.ref === "string" ? pending.state.ref : "";
  // The role may have been revoked meanwhile; the declaration may have been withdrawn or revised.
  const may = await review.reviewable(deps, ctx.account.id, ref, "return");
  if (!may.ok) {
    await closeSession(deps, ctx.account.id);
    await send(ctx, may.message, { keyboard: backHome() });
    return;
  }
  const comment = review.checkComment(ctx.message.text);
  if (!comment.ok) {
    await send(ctx, `❗ ${escapeHtml(comment.error)}\n请重新发送退回 <b>${ref}</b> 的意见：`, { keyboard: cancelReturn() });
    return;
  }
  await openSession(deps, ctx.account.id, REVIEW_COMMENT, { ref, comment: comment.value });
  await confirmReturn(ctx, ref, comment.value);
});
