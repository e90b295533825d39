/**
 * /review (coordinators and admins): counts by status, lists by status or by sub-project (paged),
 * one declaration in full, then approve it or return it with a comment. The comment is asked as the
 * next text message (kept in the user's session, so it survives a restart); it may not be empty.
 * Each change goes into the declaration's history and the audit log and is sent to the applicant.
 */
import { randomBytes } from "node:crypto";
import { Composer } from "grammy";
import { STATUS_LABEL, declarationCard, declarationLine, subProjectName } from "../../answers/declaration-answer.js";
import { escapeHtml } from "../../answers/html.js";
import { allowedEvents, decide } from "../../domain/lifecycle.js";
import { requiredText } from "../../domain/validate.js";
import type { DeclarationFilter, DeclarationRecord, DeclarationStatus, SessionRecord } from "../../store/types.js";
import { isCoordinator, type BotContext } from "../context.js";
import { DENIED, REF, actorsOf, declarationFlow, governingDeadline, notifyUser, requireCoordinator, userNames } from "../declarations.js";
import { flowContext } from "../flow-runner.js";
import { keyboard, send } from "../render.js";

const PAGE = 8;
/** The session "flow" id of a pending return comment. */
export const REVIEW_COMMENT = "review-comment";
const STATUSES: DeclarationStatus[] = ["submitted", "returned", "approved", "withdrawn"];

type Rows = { label: string; data: string }[][];

function short(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function pageOf(arg: string | undefined): number {
  return /^\d{1,4}$/.test(arg ?? "") ? Number(arg) : 0;
}

async function home(ctx: BotContext, edit: boolean): Promise<void> {
  const byStatus = await ctx.deps.store.declarations.aggregate({}, { by: ["status"] });
  const count = (s: DeclarationStatus) => byStatus.find((r) => r.status === s)?.count ?? 0;
  const total = byStatus.reduce((n, r) => n + r.count, 0);
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
  const lines = STATUSES.map((s) => `${STATUS_LABEL[s]}：${count(s)}`);
  await send(ctx, [`<b>申报审核</b>（共 ${total} 份）`, ...lines, "", "请选择要查看的列表："].join("\n"), { keyboard: keyboard(rows), edit });
}

/** A paged list of declarations (oldest submission first) with an open button each; one page is fetched. */
async function list(ctx: BotContext, title: string, filter: DeclarationFilter, page: number, pageData: (p: number) => string, back: string): Promise<void> {
  const fctx = flowContext(ctx);
  const declarations = ctx.deps.store.declarations;
  let { items: slice, total } = await declarations.find(filter, { limit: PAGE, offset: page * PAGE });
  if (!total) {
    await send(ctx, `${title}\n暂无申报。`, { keyboard: keyboard([[{ label: "⬅️ 返回", data: back }]]), edit: true });
    return;
  }
  const pages = Math.ceil(total / PAGE);
  const p = Math.min(page, pages - 1);
  if (p !== page) ({ items: slice, total } = await declarations.find(filter, { limit: PAGE, offset: p * PAGE }));
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
  const counts = new Map<string, number>();
  for (const r of await ctx.deps.store.declarations.aggregate({}, { by: ["subProjectId"] })) counts.set(r.subProjectId!, r.count);
  const fctx = flowContext(ctx);
  const ids = fctx.knowledge.subProjects.map((s) => s.id).filter((id) => counts.has(id));
  if (!ids.length) {
    await send(ctx, "<b>按子项目</b>\n暂无申报。", { keyboard: keyboard([[{ label: "⬅️ 返回", data: "rv|h" }]]), edit: true });
    return;
  }
  const pages = Math.ceil(ids.length / PAGE);
  const p = Math.min(page, pages - 1);
  const rows: Rows = ids.slice(p * PAGE, (p + 1) * PAGE).map((id) => [{ label: `${short(subProjectName(fctx, id), 22)} (${counts.get(id)})`, data: `rv|p|${id}|0` }]);
  const nav = [];
  if (p > 0) nav.push({ label: "⬅️ 上一页", data: `rv|ps|${p - 1}` });
  if (p < pages - 1) nav.push({ label: "下一页 ➡️", data: `rv|ps|${p + 1}` });
  if (nav.length) rows.push(nav);
  rows.push([{ label: "⬅️ 返回", data: "rv|h" }]);
  await send(ctx, `<b>按子项目</b>（${ids.length} 个子项目有申报${pages > 1 ? `，第${p + 1}/${pages}页` : ""}）`, { keyboard: keyboard(rows), edit: true });
}

async function open(ctx: BotContext, d: DeclarationRecord): Promise<void> {
  const fctx = flowContext(ctx);
  const rows: Rows = [];
  const actions = [];
  const allowed = allowedEvents({ state: d.status, actor: await actorsOf(ctx, d), deadlinePassed: (await governingDeadline(ctx, d)).passed });
  if (allowed.includes("approve")) actions.push({ label: "✅ 通过", data: `rv|a|${d.ref}` });
  if (allowed.includes("return")) actions.push({ label: "↩️ 退回（需填写意见）", data: `rv|r|${d.ref}` });
  if (actions.length) rows.push(actions);
  rows.push([{ label: "⬅️ 返回审核", data: "rv|h" }]);
  const whoName = await userNames(ctx, [d.ownerId, ...d.history.map((h) => h.by)]);
  const extra = [`申报人：${escapeHtml(whoName(d.ownerId))}`];
  await send(ctx, declarationCard(declarationFlow(ctx.deps.knowledge), d, fctx, { extra, whoName }), { keyboard: keyboard(rows) });
}

/**
 * Stores a status change in the declaration and the audit log (one unit of work), and tells the
 * applicant. The record is re-read and checked inside the transaction, so two reviewers acting at
 * once cannot both change it; returns undefined if its status no longer allows the change.
 */
async function changeStatus(ctx: BotContext, ref: string, status: "approved" | "returned", comment?: string): Promise<DeclarationRecord | undefined> {
  const now = ctx.deps.now().toISOString();
  const by = ctx.account.id;
  const updated = await ctx.deps.store.transaction(async (tx) => {
    const d = await tx.declarations.get(ref);
    if (!d) return undefined;
    const event = status === "approved" ? "approve" : "return";
    const deadlinePassed = (await governingDeadline(ctx, d)).passed;
    if (!decide(event, { state: d.status, actor: await actorsOf(ctx, d), deadlinePassed, ...(comment ? { comment } : {}) }).ok) return undefined;
    const updated: DeclarationRecord = {
      ...d,
      status,
      updatedAt: now,
      history: [...d.history, { at: now, by, action: status, ...(comment ? { comment } : {}) }],
    };
    await tx.declarations.put(updated);
    await tx.audit.append({ at: now, actor: by, action: `declaration.${status}`, target: d.ref, ...(comment ? { detail: { comment } } : {}) });
    return updated;
  });
  if (!updated) return undefined;
  const d = updated;
  const name = escapeHtml(subProjectName(flowContext(ctx), d.subProjectId));
  const text =
    status === "approved"
      ? `🎉 您的申报 <b>${d.ref}</b>（${name}）已审核通过。`
      : `↩️ 您的申报 <b>${d.ref}</b>（${name}）被退回。\n<b>意见</b>：${escapeHtml(comment ?? "")}\n\n请发送 /my 查看，按意见修改后重新提交。`;
  await notifyUser(ctx, d.ownerId, text, keyboard([[{ label: "📋 查看申报", data: `my|v|${d.ref}` }]]));
  return updated;
}

async function statusChanged(ctx: BotContext, ref: string): Promise<void> {
  const d = await ctx.deps.store.declarations.get(ref);
  await send(ctx, d ? `${d.ref} 的状态已变为“${STATUS_LABEL[d.status]}”，未作更改。` : DENIED, { keyboard: keyboard([[{ label: "⬅️ 返回审核", data: "rv|h" }]]) });
}

async function pendingComment(ctx: BotContext): Promise<SessionRecord | undefined> {
  const s = await ctx.deps.store.sessions.get(ctx.account.id);
  return s?.flow === REVIEW_COMMENT ? s : undefined;
}

export async function showReview(ctx: BotContext): Promise<void> {
  if (await requireCoordinator(ctx)) await home(ctx, false);
}

export const reviewFeature = new Composer<BotContext>();
reviewFeature.command("review", showReview);

reviewFeature.callbackQuery(/^rv\|/, async (ctx) => {
  // The role is checked from the tapping user's id on every tap: a forged button does nothing.
  if (!(await requireCoordinator(ctx))) return;
  const [, kind, a, b] = ctx.callbackQuery.data.split("|");
  const store = ctx.deps.store;
  const declaration = () => (a && REF.test(a) ? store.declarations.get(a) : Promise.resolve(undefined));
  switch (kind) {
    case "h":
      await ctx.answerCallbackQuery();
      return home(ctx, true);
    case "s": {
      const status = STATUSES.find((s) => s === a);
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
    case "o": {
      const d = await declaration();
      if (!d) break;
      await ctx.answerCallbackQuery();
      return open(ctx, d);
    }
    case "a": {
      const d = await declaration();
      if (!d) break;
      await ctx.answerCallbackQuery();
      const approved = await changeStatus(ctx, d.ref, "approved");
      if (!approved) return statusChanged(ctx, d.ref);
      return send(ctx, `✅ 已通过 <b>${d.ref}</b>，已通知申报人。`, { keyboard: keyboard([[{ label: "⬅️ 返回审核", data: "rv|h" }]]) });
    }
    case "r": {
      const d = await declaration();
      if (!d) break;
      if (!allowedEvents({ state: d.status, actor: await actorsOf(ctx, d), deadlinePassed: (await governingDeadline(ctx, d)).passed }).includes("return")) {
        await ctx.answerCallbackQuery();
        return statusChanged(ctx, d.ref);
      }
      await ctx.answerCallbackQuery();
      const now = ctx.deps.now().toISOString();
      await store.sessions.put({ userId: ctx.account.id, flow: REVIEW_COMMENT, nonce: randomBytes(4).toString("base64url"), state: { ref: d.ref }, updatedAt: now });
      return send(ctx, `请发送退回 <b>${d.ref}</b> 的意见（必填，会原样转告申报人）：`, { keyboard: keyboard([[{ label: "✖️ 取消退回", data: "rv|rc" }]]) });
    }
    case "rc": {
      await ctx.answerCallbackQuery();
      if (await pendingComment(ctx)) await store.sessions.delete(ctx.account.id);
      return send(ctx, "已取消退回。", { keyboard: keyboard([[{ label: "⬅️ 返回审核", data: "rv|h" }]]), edit: true });
    }
  }
  await ctx.answerCallbackQuery({ text: DENIED });
});

/** The comment of a pending return: the next text message that is not a command. */
reviewFeature.on("message:text", async (ctx, next) => {
  const pending = await pendingComment(ctx);
  if (!pending || ctx.message.text.startsWith("/")) return next();
  const store = ctx.deps.store;
  const ref = typeof pending.state.ref === "string" ? pending.state.ref : "";
  const d = await store.declarations.get(ref);
  // The role may have been revoked meanwhile; the declaration may have been withdrawn or revised.
  if (!(await isCoordinator(ctx.deps, ctx.account.id)) || !d) {
    await store.sessions.delete(ctx.account.id);
    await send(ctx, DENIED);
    return;
  }
  const comment = requiredText(ctx.message.text, "退回意见", 2, 500);
  if (!comment.ok) {
    await send(ctx, `❗ ${escapeHtml(comment.error)}\n请重新发送退回 <b>${d.ref}</b> 的意见：`, { keyboard: keyboard([[{ label: "✖️ 取消退回", data: "rv|rc" }]]) });
    return;
  }
  await store.sessions.delete(ctx.account.id);
  if (!(await changeStatus(ctx, d.ref, "returned", comment.value))) return statusChanged(ctx, d.ref);
  await send(ctx, `↩️ 已退回 <b>${d.ref}</b>，意见已转告申报人：\n${escapeHtml(comment.value)}`, { keyboard: keyboard([[{ label: "⬅️ 返回审核", data: "rv|h" }]]) });
});
