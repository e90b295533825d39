/**
 * The declaration charts, from the review service's group counts: declared trainees against the
 * guide's planned places (per sub-project, per plan) and declarations per day by status. The desk
 * shows them as SVG; /stats sends the sub-project chart as a PNG.
 */
import type { Knowledge } from "../knowledge/schema.js";
import { STATUS_TEXT } from "../export/declarations.js";
import type { DeclarationStatus } from "../store/types.js";
import { barChart, timeChart, type DayColumn } from "./charts.js";

/** Declared trainees against planned places (per sub-project, per plan) and declarations per day by status. */
export function declarationCharts(
  k: Knowledge,
  bySub: { subProjectId?: string; people: number; count: number }[],
  byDay: { day?: string; status?: DeclarationStatus; count: number }[],
): { sub: string; plan: string; time: string } {
  const people = new Map(bySub.map((r) => [r.subProjectId, r.people]));
  const planRows = (["guopei", "qupei"] as const).map((plan) => {
    const subs = k.subProjects.filter((s) => s.plan === plan);
    const value = subs.reduce((n, s) => n + (people.get(s.id) ?? 0), 0);
    const target = subs.reduce((n, s) => n + (s.quota.find((q) => q.unit === "人")?.value ?? 0), 0);
    return { label: plan === "guopei" ? "国培计划" : "区培计划", value, ...(target ? { target } : {}) };
  });
  const days = new Map<string, DayColumn>();
  for (const r of byDay) {
    if (!r.day || !r.status) continue;
    const col = days.get(r.day) ?? { day: r.day, counts: {} };
    col.counts[r.status] = (col.counts[r.status] ?? 0) + r.count;
    days.set(r.day, col);
  }
  const columns = [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
  return {
    sub: subProjectChart(k, bySub),
    plan: barChart("国培、区培：已申报培训人数 / 计划名额（仅计指南给出人数的子项目）", planRows),
    time: timeChart("每日提交的申报（按当前状态）", columns, STATUS_TEXT),
  };
}

export const SUB_PROJECT_CHART_TITLE = "各子项目：已申报培训人数 / 指南计划名额";

/** Declared trainees per sub-project against its planned places (the desk's chart and /stats's PNG). */
export function subProjectChart(k: Knowledge, bySub: { subProjectId?: string; people: number }[]): string {
  const people = new Map(bySub.map((r) => [r.subProjectId, r.people]));
  const subRows = k.subProjects
    .filter((s) => people.has(s.id) || s.quota.some((q) => q.unit === "人"))
    .map((s) => {
      const quota = s.quota.find((q) => q.unit === "人");
      return { label: s.name, value: people.get(s.id) ?? 0, ...(quota ? { target: quota.value } : {}) };
    });
  return barChart(SUB_PROJECT_CHART_TITLE, subRows);
}
