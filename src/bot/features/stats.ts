/** /stats (coordinators and admins): declarations per sub-project against the guide's planned quota. */
import { Composer, InputFile } from "grammy";
import { SUB_PROJECT_CHART_TITLE, subProjectChart } from "../../charts/declaration-charts.js";
import { svgToPng } from "../../charts/png.js";
import { review } from "../../services/index.js";
import { formatInstant } from "../../answers/declaration-answer.js";
import { escapeHtml } from "../../answers/html.js";
import type { SubProjectStats } from "../../domain/stats.js";
import { statistics } from "../../services/stats.js";
import { groupDigits } from "../../domain/money.js";
import { servicesOf, type BotContext } from "../context.js";
import { showRefusal } from "../declarations.js";
import { send } from "../render.js";

function percent(part: number, whole: number): string {
  const p = (part / whole) * 100;
  return `${p >= 10 || p === 0 ? Math.round(p) : p.toFixed(1)}%`;
}

function statsLine(s: SubProjectStats): string {
  const total = s.submitted + s.approved + s.returned;
  const people = s.quota ? `${groupDigits(s.plannedPeople)}/${groupDigits(s.quota.value)}人（${percent(s.plannedPeople, s.quota.value)}）` : `${groupDigits(s.plannedPeople)}人（指南未给人数）`;
  const drafts = s.drafts ? ` · 草稿${s.drafts}` : "";
  return `• <b>${escapeHtml(s.name)}</b>\n  申报${total}（待审${s.submitted} 通过${s.approved} 退回${s.returned}）· 计划培训 ${people}${drafts}`;
}

export async function sendStats(ctx: BotContext): Promise<void> {
  const out = await statistics(servicesOf(ctx.deps), ctx.account.id);
  if (!out.ok) return showRefusal(ctx, out);
  const { rows: stats, withdrawn } = out;
  const active = stats.filter((s) => s.submitted + s.approved + s.returned + s.drafts > 0);
  const sum = (f: (s: SubProjectStats) => number) => stats.reduce((n, s) => n + f(s), 0);
  const head = [
    `<b>申报统计</b>（截至 ${formatInstant(ctx.deps.now().toISOString(), ctx.deps.config.TZ)}）`,
    `有效申报 ${sum((s) => s.submitted + s.approved + s.returned)} 份：待审核 ${sum((s) => s.submitted)} · 已通过 ${sum((s) => s.approved)} · 已退回 ${sum((s) => s.returned)}${withdrawn ? `（另有撤回 ${withdrawn}）` : ""}`,
    `未提交草稿 ${sum((s) => s.drafts)} 份`,
  ];
  const rest = stats.length - active.length;
  const lines = active.map(statsLine);
  const tail = active.length ? (rest ? [`其余 ${rest} 个子项目暂无申报或草稿。`] : []) : ["暂无任何子项目的申报或草稿。"];
  await send(ctx, [...head, "", ...lines, ...(lines.length ? [""] : []), ...tail, "人数占比 = 有效申报的计划培训人数 ÷ 指南全区计划人数。"].join("\n"));
  await sendChart(ctx);
}

/** The desk's sub-project chart as a photo (skipped where no CJK font is installed to draw it). */
async function sendChart(ctx: BotContext): Promise<void> {
  const groups = await review.declarationGroups(servicesOf(ctx.deps), ctx.account.id, { status: ["submitted", "approved", "returned"] }, { by: ["subProjectId"] });
  if (!groups.ok) return;
  try {
    const png = await svgToPng(subProjectChart(ctx.deps.knowledge, groups.rows));
    if (png) await ctx.replyWithPhoto(new InputFile(png, "stats.png"), { caption: SUB_PROJECT_CHART_TITLE });
  } catch (err) {
    // The chart is extra: the figures were sent above, so a failed picture does not fail /stats.
    ctx.log.warn({ err }, "stats chart not sent");
  }
}

export const statsFeature = new Composer<BotContext>();
statsFeature.command("stats", sendStats);
