/**
 * The desk's HTML: plain server-rendered pages (no script needed), escaped everywhere; Telegram HTML
 * from the shared answer renderers goes through the same allow-list as the chat page.
 */
import type { Knowledge } from "../../knowledge/schema.js";
import type { DeadlineRecord, DeclarationRecord, DeclarationStatus, Page } from "../../store/types.js";
import { csrfField, layout } from "../chat-page.js";
import { escapeHtml, renderTelegramHtml } from "../telegram-html.js";
import { PAGE_SIZE, queryString, type DeskQuery } from "./filters.js";

import { STATUS_TEXT } from "../../export/declarations.js";

export { STATUS_TEXT };
const PLAN_TEXT = { guopei: "国培计划", qupei: "区培计划" } as const;

export interface StaffView {
  userId: number;
  name: string;
  csrf: string;
  admin: boolean;
}

function nav(staff: StaffView, active: string): string {
  const link = (href: string, label: string, key: string) => `<a href="${href}"${key === active ? ' aria-current="page"' : ""}>${label}</a>`;
  return `<header class="top"><strong>协调员工作台</strong><nav>${link("/desk", "申报列表", "list")}${link("/desk/charts", "统计图", "charts")}${link("/desk/deadlines", "截止日期", "deadlines")}</nav>
<form method="post" action="/desk/logout" class="logout">${csrfField(staff.csrf)}<span>${escapeHtml(staff.name)}</span><button type="submit">退出</button></form></header>`;
}

export function deskLayout(staff: StaffView, active: string, title: string, main: string): string {
  return layout({ title: `${title} · 协调员工作台`, css: "desk.css", body: `${nav(staff, active)}<main class="desk">${main}</main>` });
}

const fmtYuan = (n: number) => `${n.toLocaleString("en-US")}元`;

/** One formatter per zone: building an Intl.DateTimeFormat costs ~80 µs, and a table page shows 100 times. */
const clocks = new Map<string, Intl.DateTimeFormat>();

export function localTime(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  let clock = clocks.get(timeZone);
  if (!clock) clocks.set(timeZone, (clock = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" })));
  const p: Record<string, string> = {};
  for (const x of clock.formatToParts(d)) p[x.type] = x.value;
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

export interface TableView {
  query: DeskQuery;
  page: Page<DeclarationRecord>;
  /** Declarations per status for the rest of the filter (the tabs). */
  statusCounts: Record<DeclarationStatus, number>;
  knowledge: Knowledge;
  timeZone: string;
}

export function tablePage(staff: StaffView, v: TableView): string {
  const { query: q, knowledge: k } = v;
  const subName = (id: string) => k.subProjects.find((s) => s.id === id)?.name ?? id;
  const option = (value: string, label: string, selected: boolean) => `<option value="${escapeHtml(value)}"${selected ? " selected" : ""}>${escapeHtml(label)}</option>`;
  const subOptions = k.subProjects.filter((s) => !q.plan || s.plan === q.plan).map((s) => option(s.id, `${PLAN_TEXT[s.plan]} · ${s.name}`, s.id === q.sub));
  const all = Object.values(v.statusCounts).reduce((a, b) => a + b, 0);
  const tabs = [`<a href="/desk${queryString(q, { status: undefined, page: undefined })}"${q.status ? "" : ' aria-current="true"'}>全部 <b>${all}</b></a>`]
    .concat(
      (Object.keys(STATUS_TEXT) as DeclarationStatus[]).map(
        (s) => `<a href="/desk${queryString(q, { status: s, page: undefined })}"${q.status === s ? ' aria-current="true"' : ""}>${STATUS_TEXT[s]} <b>${v.statusCounts[s]}</b></a>`,
      ),
    )
    .join("");
  const sortLink = (by: DeskQuery["sort"]["by"], label: string) => {
    const on = q.sort.by === by;
    const dir = on && q.sort.dir === "desc" ? "asc" : "desc";
    return `<a href="/desk${queryString(q, { sort: by, dir, page: undefined })}">${label}${on ? (q.sort.dir === "desc" ? " ▼" : " ▲") : ""}</a>`;
  };
  const rows = v.page.items
    .map((d) => {
      const institution = typeof d.answers.institution === "string" ? d.answers.institution : "";
      const people = typeof d.answers.people === "number" ? `${d.answers.people}` : "";
      return `<tr><td><a href="/desk/d/${encodeURIComponent(d.ref)}">${escapeHtml(d.ref)}</a></td><td><span class="st st-${d.status}">${STATUS_TEXT[d.status]}</span></td><td>${escapeHtml(institution)}</td><td>${escapeHtml(subName(d.subProjectId))}</td><td class="num">${people}</td><td class="num">${fmtYuan(d.budget.perYear)}</td><td>${localTime(d.submittedAt, v.timeZone)}</td><td>${localTime(d.updatedAt, v.timeZone)}</td></tr>`;
    })
    .join("\n");
  const pages = Math.max(1, Math.ceil(v.page.total / PAGE_SIZE));
  const pager = `<nav class="pager" aria-label="分页">${q.page > 1 ? `<a href="/desk${queryString(q, { page: String(q.page - 1) })}">‹ 上一页</a>` : ""}<span>第 ${q.page} / ${pages} 页，共 ${v.page.total} 条</span>${q.page < pages ? `<a href="/desk${queryString(q, { page: String(q.page + 1) })}">下一页 ›</a>` : ""}</nav>`;
  const exportQs = queryString(q, { page: undefined });
  const main = `<h1>申报列表</h1>
<form class="filters" method="get" action="/desk">
<label>计划<select name="plan"><option value="">全部</option>${option("guopei", "国培计划", q.plan === "guopei")}${option("qupei", "区培计划", q.plan === "qupei")}</select></label>
<label>子项目<select name="sub"><option value="">全部</option>${subOptions.join("")}</select></label>
<label>状态<select name="status"><option value="">全部</option>${(Object.keys(STATUS_TEXT) as DeclarationStatus[]).map((s) => option(s, STATUS_TEXT[s], q.status === s)).join("")}</select></label>
<label>单位/编号<input name="q" value="${escapeHtml(q.q ?? "")}" maxlength="60" placeholder="如：师范大学"></label>
<label>提交自<input type="date" name="from" value="${q.from ?? ""}"></label>
<label>至<input type="date" name="to" value="${q.to ?? ""}"></label>
<button type="submit">筛选</button> <a href="/desk">清除</a>
</form>
<p class="tabs">${tabs}</p>
<p class="exports">导出当前筛选：<a href="/desk/export.csv${exportQs}">CSV</a> · <a href="/desk/export.xlsx${exportQs}">Excel</a></p>
<div class="scroll"><table class="list"><thead><tr><th>${sortLink("ref", "编号")}</th><th>状态</th><th>申报单位</th><th>子项目</th><th class="num">人数</th><th class="num">每年预算</th><th>${sortLink("submittedAt", "提交时间")}</th><th>${sortLink("updatedAt", "更新时间")}</th></tr></thead>
<tbody>${rows || `<tr><td colspan="8">没有符合条件的申报。</td></tr>`}</tbody></table></div>
${pager}`;
  return deskLayout(staff, "list", "申报列表", main);
}

export interface DetailView {
  declaration: DeclarationRecord;
  /** Telegram HTML from the shared renderers. */
  card: string;
  budget: string;
  citations: string[];
  audit: { at: string; actor: string; action: string; detail?: string }[];
  canApprove: boolean;
  canReturn: boolean;
  /** Why review is not offered (own declaration, state). */
  reviewNote?: string;
  flash?: string;
  timeZone: string;
}

export function detailPage(staff: StaffView, v: DetailView): string {
  const d = v.declaration;
  const ref = encodeURIComponent(d.ref);
  const review: string[] = [];
  if (v.canApprove)
    review.push(`<form method="post" action="/desk/d/${ref}/review">${csrfField(staff.csrf)}<input type="hidden" name="action" value="approve"><button type="submit" class="approve">✅ 通过</button></form>`);
  if (v.canReturn)
    review.push(
      `<form method="post" action="/desk/d/${ref}/review" class="return">${csrfField(staff.csrf)}<input type="hidden" name="action" value="return"><label for="comment">退回意见（必填）</label><textarea id="comment" name="comment" rows="3" maxlength="500" required></textarea><button type="submit">↩️ 退回</button></form>`,
    );
  const audit = v.audit.length
    ? `<table class="audit"><thead><tr><th>时间</th><th>操作人</th><th>操作</th><th>说明</th></tr></thead><tbody>${v.audit
        .map((a) => `<tr><td>${localTime(a.at, v.timeZone)}</td><td>${escapeHtml(a.actor)}</td><td>${escapeHtml(a.action)}</td><td>${escapeHtml(a.detail ?? "")}</td></tr>`)
        .join("")}</tbody></table>`
    : "<p>暂无记录。</p>";
  const main = `<p><a href="/desk">‹ 返回列表</a></p>
${v.flash ? `<p class="flash" role="status">${escapeHtml(v.flash)}</p>` : ""}
<h1>申报 ${escapeHtml(d.ref)} <span class="st st-${d.status}">${STATUS_TEXT[d.status]}</span></h1>
<section class="card"><h2>申报信息与记录</h2><div class="tg">${renderTelegramHtml(v.card)}</div></section>
<section class="card"><h2>预算测算（公式与标准）</h2><div class="tg">${renderTelegramHtml(v.budget)}</div></section>
<section class="card"><h2>指南出处</h2><ul class="cites">${v.citations.map((c) => `<li>${renderTelegramHtml(c)}</li>`).join("")}</ul></section>
<section class="card"><h2>审核</h2>${review.length ? review.join("") : `<p>${escapeHtml(v.reviewNote ?? "当前状态不可审核。")}</p>`}</section>
<section class="card"><h2>操作日志</h2>${audit}</section>`;
  return deskLayout(staff, "list", `申报 ${d.ref}`, main);
}

export function confirmPage(staff: StaffView, d: DeclarationRecord, action: "approve" | "return", comment: string, applicantChannel: string): string {
  const ref = encodeURIComponent(d.ref);
  const what = action === "approve" ? "通过" : "退回";
  const main = `<h1>确认${what}申报 ${escapeHtml(d.ref)}？</h1>
<p>确认后，申请人将在其使用的渠道（${escapeHtml(applicantChannel)}）收到通知。</p>
${action === "return" ? `<p><b>退回意见：</b></p><blockquote>${escapeHtml(comment)}</blockquote>` : ""}
<form method="post" action="/desk/d/${ref}/review">${csrfField(staff.csrf)}<input type="hidden" name="action" value="${action}"><input type="hidden" name="comment" value="${escapeHtml(comment)}"><input type="hidden" name="confirm" value="1">
<button type="submit" class="${action === "approve" ? "approve" : ""}">确认${what}</button> <a href="/desk/d/${ref}">取消</a></form>`;
  return deskLayout(staff, "list", `确认${what}`, main);
}

export function chartsPage(staff: StaffView, qs: string, svgs: { sub: string; plan: string; time: string }): string {
  const main = `<h1>统计图</h1><p>按当前筛选统计（<a href="/desk${qs}">返回列表</a>）。不含已撤回的申报。</p>
<figure class="chart">${svgs.plan}</figure>
<figure class="chart">${svgs.sub}</figure>
<figure class="chart">${svgs.time}</figure>
<p>图片：<a href="/desk/charts/plan.svg${qs}">计划</a> · <a href="/desk/charts/subprojects.svg${qs}">子项目</a> · <a href="/desk/charts/timeline.svg${qs}">按日</a></p>`;
  return deskLayout(staff, "charts", "统计图", main);
}

export function deadlinesPage(staff: StaffView, list: { deadline: DeadlineRecord; scope: string; daysLeft?: number }[], k: Knowledge, offsets: readonly number[], message?: string): string {
  const rows = list
    .map(
      ({ deadline: d, scope, daysLeft }) =>
        `<tr><td>${escapeHtml(d.date)}</td><td>${escapeHtml(d.title)}</td><td>${escapeHtml(scope)}</td><td>${daysLeft === undefined ? "已过" : `还有 ${daysLeft} 天`}</td><td>${
          staff.admin
            ? `<form method="post" action="/desk/deadlines/${encodeURIComponent(d.id)}/delete">${csrfField(staff.csrf)}<button type="submit">删除</button></form>`
            : ""
        }</td></tr>`,
    )
    .join("");
  const scopes = [`<option value="all">全部项目</option>`, `<option value="plan:guopei">国培计划</option>`, `<option value="plan:qupei">区培计划</option>`]
    .concat(k.subProjects.map((s) => `<option value="sub:${escapeHtml(s.id)}">${escapeHtml(`${PLAN_TEXT[s.plan]} · ${s.name}`)}</option>`))
    .join("");
  const add = staff.admin
    ? `<form method="post" action="/desk/deadlines" class="filters">${csrfField(staff.csrf)}<label>日期<input type="date" name="date" required></label><label>名称<input name="title" maxlength="60" required placeholder="如：国培申报截止"></label><label>范围<select name="scope">${scopes}</select></label><button type="submit">添加</button></form><p>提醒照常自动发送：截止前 ${offsets.map((n) => (n === 0 ? "当天" : `${n} 天`)).join("、")}。</p>`
    : "<p>只有管理员可以添加或删除截止日期。</p>";
  const main = `<h1>截止日期</h1>${message ? `<p class="flash" role="status">${escapeHtml(message)}</p>` : ""}
<table class="list"><thead><tr><th>日期</th><th>名称</th><th>范围</th><th>剩余</th><th></th></tr></thead><tbody>${rows || `<tr><td colspan="5">尚未设置截止日期（指南未规定，由管理员设置）。</td></tr>`}</tbody></table>
${add}`;
  return deskLayout(staff, "deadlines", "截止日期", main);
}
