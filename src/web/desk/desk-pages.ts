/**
 * The desk's pages behind the login: the table (filters, sort, paging and counts from the store's
 * queries via the review service), a declaration in full with review, exports of the current filter,
 * charts and deadlines. Each handler starts from the staff session re-checked on the server, and
 * every change goes through a service (which checks the role again and writes the audit trail).
 */
import type { Context, Hono } from "hono";
import { budgetOf, aboveQuota } from "../../../flows/budget.js";
import { budgetAnswer } from "../../answers/budget-answer.js";
import { place } from "../../answers/cite.js";
import { declarationCard } from "../../answers/declaration-answer.js";
import { servicesOf } from "../../bot/context.js";
import { declarationFlow, noticeButton } from "../../bot/declarations.js";
import { keyboard } from "../../bot/render.js";
import { todayIn } from "../../domain/time.js";
import { reminderService } from "../../reminders/scheduler.js";
import { readFile } from "node:fs/promises";
import { exportFileName } from "../../export/declarations.js";
import { exportInChild } from "../../export/export-in-child.js";
import { access, audit as auditService, deadlines as deadlineService, declarations as declarationService, review } from "../../services/index.js";
import * as statsService from "../../services/stats.js";
import type { Notice } from "../../services/index.js";
import type { DeadlineScope, DeclarationStatus } from "../../store/types.js";
import { checkCsrf, type WebEnv } from "../server.js";
import { isWebUser } from "../web-users.js";
import { declarationCharts } from "../../charts/declaration-charts.js";
import { PAGE_SIZE, parseDeskQuery, queryString, toFilter, type DeskQuery } from "./filters.js";
import { chartsPage, confirmPage, deadlinesPage, detailPage, STATUS_TEXT, tablePage, type StaffView } from "./pages.js";
import type { DeskDeps, StaffSession } from "./routes.js";

const REF = /^[A-Z]{2}\d{4}-\d{4,6}$/;

export function mountDeskPages(app: Hono<WebEnv>, d: DeskDeps, staffOf: (c: Context) => Promise<StaffSession | undefined>): void {
  const { deps } = d;
  const sdeps = servicesOf(deps);
  const k = deps.knowledge;
  const tz = deps.config.TZ;

  /** The signed-in staff member as the pages show them, or a redirect to the login. */
  const view = async (c: Context): Promise<(StaffView & { session: StaffSession }) | undefined> => {
    const s = await staffOf(c);
    if (!s) return undefined;
    const names = await access.userNames(sdeps, [s.userId]);
    c.header("Cache-Control", "no-store");
    return { userId: s.userId, name: names(s.userId), csrf: s.csrf, admin: access.isAdmin(sdeps, s.userId), session: s };
  };
  const toLogin = (c: Context) => c.redirect("/desk/login", 303);
  const query = (c: Context): DeskQuery => parseDeskQuery(c.req.query(), k);

  app.get("/desk", async (c) => {
    const staff = await view(c);
    if (!staff) return toLogin(c);
    const q = query(c);
    const listed = await review.listDeclarations(sdeps, staff.userId, toFilter(q, tz), { limit: PAGE_SIZE, offset: (q.page - 1) * PAGE_SIZE }, q.sort);
    const groups = await review.declarationGroups(sdeps, staff.userId, toFilter(q, tz, "status"), { by: ["status"] });
    if (!listed.ok || !groups.ok) return toLogin(c);
    const statusCounts = { submitted: 0, approved: 0, returned: 0, withdrawn: 0 } as Record<DeclarationStatus, number>;
    for (const r of groups.rows) if (r.status) statusCounts[r.status] += r.count;
    return c.html(tablePage(staff, { query: q, page: listed.page, statusCounts, knowledge: k, timeZone: tz }));
  });

  const detail = async (c: Context, staff: StaffView, ref: string, flash?: string) => {
    const seen = await declarationService.viewDeclaration(sdeps, staff.userId, ref);
    if (!seen) return c.html(`<p>没有这份申报，或无权查看。<a href="/desk">返回列表</a></p>`, 404);
    const dcl = seen.declaration;
    const flow = declarationFlow(k);
    const fctx = { knowledge: k, now: deps.now(), timeZone: tz };
    const trail = await auditService.declarationTrail(sdeps, staff.userId, dcl.ref);
    const audit = trail.ok ? trail.trail : { items: [], total: 0 };
    const names = await access.userNames(sdeps, [dcl.ownerId, ...dcl.history.map((h) => h.by), ...audit.items.map((a) => a.actor)]);
    const card = declarationCard(flow, dcl, fctx, { whoName: names });
    const budget = budgetOf(k, dcl.answers);
    const sp = k.subProjects.find((s) => s.id === dcl.subProjectId);
    const over = typeof dcl.answers.people === "number" ? aboveQuota(sp, "人", dcl.answers.people) : undefined;
    const budgetText = (budget ? budgetAnswer(budget) : "预算：无法测算（缺少子项目或培训对象）") + (over ? `\n⚠️ ${escapeText(over)}` : "");
    const citations = sp
      ? [
          `培训对象：${place(sp.audience.cite)}`,
          ...sp.quota.map((q) => `计划名额 ${q.value}${q.unit}：${place(q.cite)}`),
          `培训周期：${place(sp.cycle.cite)}`,
          ...(sp.schedule ?? []).map((s) => `${escapeText(s.label)}：${place(s.cite)}`),
        ]
      : [];
    const canApprove = seen.allowed.includes("approve");
    const canReturn = seen.allowed.includes("return");
    const reviewNote = dcl.ownerId === staff.userId ? "这是您本人提交的申报，不能由您审核。" : `当前状态“${STATUS_TEXT[dcl.status]}”不可审核。`;
    return c.html(
      detailPage(staff, {
        declaration: dcl,
        card,
        budget: budgetText,
        citations,
        audit: audit.items.map((a) => ({ at: a.at, actor: names(a.actor), action: a.action, ...(a.detail ? { detail: JSON.stringify(a.detail) } : {}) })),
        canApprove,
        canReturn,
        reviewNote,
        ...(flash ? { flash } : {}),
        timeZone: tz,
      }),
    );
  };

  app.get("/desk/d/:ref", async (c) => {
    const staff = await view(c);
    if (!staff) return toLogin(c);
    const done = c.req.query("done");
    const flash = done === "approved" ? "已通过，申请人已收到通知。" : done === "returned" ? "已退回，申请人已收到通知。" : undefined;
    return detail(c, staff, c.req.param("ref"), flash);
  });

  app.post("/desk/d/:ref/review", async (c) => {
    const staff = await view(c);
    if (!staff) return toLogin(c);
    if (!(await checkCsrf(c, d.signer, staff.session.value))) return c.text("请求无效（页面已过期），请刷新页面。", 403);
    const ref = c.req.param("ref");
    if (!REF.test(ref)) return c.text("没有这份申报。", 404);
    const form = await c.req.parseBody();
    const action = form.action === "approve" ? "approve" : form.action === "return" ? "return" : undefined;
    if (!action) return c.text("无效的操作。", 400);
    const comment = typeof form.comment === "string" ? form.comment.trim() : "";
    if (form.confirm !== "1") {
      // First the confirmation (a notice will go to another person), with the comment checked already.
      if (action === "return") {
        const checked = review.checkComment(comment);
        if (!checked.ok) return detail(c, staff, ref, checked.error);
      }
      const ok = await review.reviewable(sdeps, staff.userId, ref, action);
      if (!ok.ok) return detail(c, staff, ref, plainOf(ok.message));
      return c.html(confirmPage(staff, ok.declaration, action, comment, isWebUser(ok.declaration.ownerId) ? "网页版" : "Telegram"));
    }
    const outcome = await review.decideReview(sdeps, staff.userId, ref, action, comment);
    if (!outcome.ok) return detail(c, staff, ref, plainOf(outcome.message));
    await deliver(d, outcome.notify);
    return c.redirect(`/desk/d/${encodeURIComponent(ref)}?done=${action === "approve" ? "approved" : "returned"}`, 303);
  });

  const exportOf = (ext: "csv" | "xlsx") => async (c: Context) => {
    const staff = await view(c);
    if (!staff) return toLogin(c);
    const q = query(c);
    const now = deps.now();
    const rows = await statsService.exportRows(sdeps, staff.userId, toFilter(q, tz), q.sort);
    if (!rows.ok) return toLogin(c);
    // The same child-process export as /export (rows and exceljs stay out of the bot's heap); it makes
    // both files, and the one asked for is read before the child's folder is removed.
    let body: Buffer | undefined;
    for await (const file of exportInChild({ declarations: rows.declarations, ownerNames: rows.ownerNames, timeZone: tz, now })) {
      if (file.kind === ext) body = await readFile(file.path);
    }
    if (!body) return c.text("导出失败，请重试。", 500);
    const name = exportFileName(now, tz, ext);
    return c.body(new Uint8Array(body), 200, {
      "Content-Type": ext === "csv" ? "text/csv; charset=utf-8" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "Content-Disposition": `attachment; filename="${name}"`,
    });
  };
  app.get("/desk/export.csv", exportOf("csv"));
  app.get("/desk/export.xlsx", exportOf("xlsx"));

  /** The three charts for a filter (withdrawn declarations left out: they plan no trainees). */
  const charts = async (userId: number, q: DeskQuery) => {
    const filter = { ...toFilter(q, tz), ...(q.status ? {} : { status: ["submitted", "approved", "returned"] as DeclarationStatus[] }) };
    const bySub = await review.declarationGroups(sdeps, userId, filter, { by: ["subProjectId"] });
    const byDay = await review.declarationGroups(sdeps, userId, toFilter(q, tz), { by: ["day", "status"], timeZone: tz });
    if (!bySub.ok || !byDay.ok) return undefined;
    return declarationCharts(deps.knowledge, bySub.rows, byDay.rows);
  };

  app.get("/desk/charts", async (c) => {
    const staff = await view(c);
    if (!staff) return toLogin(c);
    const q = query(c);
    const svgs = await charts(staff.userId, q);
    if (!svgs) return toLogin(c);
    return c.html(chartsPage(staff, queryString(q, { page: undefined }), svgs));
  });

  app.get("/desk/charts/:name{(plan|subprojects|timeline)\\.svg}", async (c) => {
    const staff = await view(c);
    if (!staff) return toLogin(c);
    const svgs = await charts(staff.userId, query(c));
    if (!svgs) return toLogin(c);
    const name = c.req.param("name");
    const svg = name === "plan.svg" ? svgs.plan : name === "subprojects.svg" ? svgs.sub : svgs.time;
    return c.body(svg, 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
  });

  const deadlinesView = async (c: Context, staff: StaffView, message?: string, status: 200 | 400 = 200) => {
    const listed = await deadlineService.listDeadlines(sdeps, staff.userId);
    if (!listed.ok) return toLogin(c);
    const scopeText = (s: DeadlineScope) =>
      s.kind === "all" ? "全部项目" : s.kind === "plan" ? (s.plan === "guopei" ? "国培计划" : "区培计划") : (k.subProjects.find((x) => x.id === s.subProjectId)?.name ?? s.subProjectId);
    const list = listed.deadlines.map((x) => ({ ...x, scope: scopeText(x.deadline.scope) }));
    return c.html(deadlinesPage(staff, list, k, deps.config.REMINDER_OFFSETS, message), status);
  };

  app.get("/desk/deadlines", async (c) => {
    const staff = await view(c);
    if (!staff) return toLogin(c);
    return deadlinesView(c, staff);
  });

  app.post("/desk/deadlines", async (c) => {
    const staff = await view(c);
    if (!staff) return toLogin(c);
    if (!(await checkCsrf(c, d.signer, staff.session.value))) return c.text("请求无效（页面已过期），请刷新页面。", 403);
    const form = await c.req.parseBody();
    const date = typeof form.date === "string" ? form.date : "";
    const title = typeof form.title === "string" ? form.title.trim().slice(0, 60) : "";
    const scope = parseScope(typeof form.scope === "string" ? form.scope : "", k);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) return deadlinesView(c, staff, "请填写有效的日期，例如 2026-12-31。", 400);
    if (date < todayIn(deps.now(), tz)) return deadlinesView(c, staff, "截止日期不能早于今天。", 400);
    if (!title) return deadlinesView(c, staff, "请填写截止日期的名称。", 400);
    if (!scope) return deadlinesView(c, staff, "请选择适用范围。", 400);
    const added = await deadlineService.addDeadline(sdeps, staff.userId, { date, title, scope });
    if (!added.ok) return deadlinesView(c, staff, plainOf(added.message), 400);
    // As /deadline does in chat: reminders already due for it go out now, the rest on schedule.
    const reminders = reminderService();
    if (reminders) deps.background(() => reminders.trigger("deadline added on the desk"), "reminders after a desk deadline");
    return deadlinesView(c, staff, `已添加：${date} ${title}。已到期的提醒现在发送，其余按计划发送。`);
  });

  app.post("/desk/deadlines/:id/delete", async (c) => {
    const staff = await view(c);
    if (!staff) return toLogin(c);
    if (!(await checkCsrf(c, d.signer, staff.session.value))) return c.text("请求无效（页面已过期），请刷新页面。", 403);
    const removed = await deadlineService.removeDeadline(sdeps, staff.userId, c.req.param("id"));
    return deadlinesView(c, staff, removed.ok ? `已删除：${removed.deadline.date} ${removed.deadline.title}。` : plainOf(removed.message), removed.ok ? 200 : 400);
  });
}

/** Delivers a service's notices through the bot's API: the web route puts them on a visitor's page. */
async function deliver(d: DeskDeps, notices: readonly Notice[]): Promise<void> {
  const sdeps = servicesOf(d.deps);
  for (const n of notices) {
    const chatId = await access.noticeChat(sdeps, n);
    const markup = n.link ? keyboard([[noticeButton(n.link)]]) : undefined;
    try {
      await d.api.sendMessage(chatId, n.text, { parse_mode: "HTML", link_preview_options: { is_disabled: true }, ...(markup ? { reply_markup: markup } : {}) });
    } catch (err) {
      d.logger.warn({ err, userId: n.userId }, "could not notify user");
    }
  }
}

function parseScope(raw: string, k: DeskDeps["deps"]["knowledge"]): DeadlineScope | undefined {
  if (raw === "all") return { kind: "all" };
  if (raw === "plan:guopei" || raw === "plan:qupei") return { kind: "plan", plan: raw.slice(5) as "guopei" | "qupei" };
  const sub = raw.startsWith("sub:") ? raw.slice(4) : "";
  return sub && k.subProjects.some((s) => s.id === sub) ? { kind: "subProject", subProjectId: sub } : undefined;
}

/** Service messages are Telegram HTML; the pages escape what they show, so tags are dropped first. */
function plainOf(html: string): string {
  return html.replace(/<[^>]+>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
}

function escapeText(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
