/**
 * Rules across the planned days of a declaration, pure: a split (区内 + 区外) against its whole
 * (集中研修), and the training dates against the days declared. Worked cases: test/unit/schedule.test.ts.
 */
import type { Duration } from "../knowledge/schema.js";

/** Planned days or hours per schedule part, by duration id. */
export type Planned = Record<string, number | undefined>;

/** The parts the guide counts inside a whole (影子学习 inside 集中培训; 区内 and 区外 inside 集中研修). */
export function partsOf(schedule: Duration[], wholeId: string): Duration[] {
  return schedule.filter((d) => d.partOf === wholeId);
}

/**
 * The guide splits the whole into these parts completely when there are two or more, each exact, and
 * their figures add up to the whole's (集中研修15天，其中区内研修5天，区外研修10天). Then the plan's
 * parts must add up to its whole too; otherwise they may only fit inside it.
 */
export function splitsCompletely(whole: Duration, parts: Duration[]): boolean {
  return parts.length >= 2 && whole.bound === "exact" && parts.every((p) => p.bound === "exact") && parts.reduce((s, p) => s + p.value, 0) === whole.value;
}

/** Why the planned parts of a whole do not fit it, or undefined. Checks only what is planned so far. */
export function splitProblem(schedule: Duration[], planned: Planned): string | undefined {
  for (const whole of schedule) {
    const parts = partsOf(schedule, whole.id);
    const total = planned[whole.id];
    if (!parts.length || total === undefined) continue;
    const given = parts.filter((p) => planned[p.id] !== undefined);
    const sum = given.reduce((s, p) => s + planned[p.id]!, 0);
    const terms = given.map((p) => `${p.label}${planned[p.id]}${p.unit}`).join(" + ");
    if (given.length === 1 && sum > total) return `${given[0]!.label}是${whole.label}的一部分，不能超过${whole.label}的${total}${whole.unit}，请重新输入。`;
    if (sum > total) return `${terms} = ${sum}${whole.unit}，超过了${whole.label}的${total}${whole.unit}，请重新输入。`;
    if (splitsCompletely(whole, parts) && given.length === parts.length && sum !== total) {
      return `${terms} = ${sum}${whole.unit}，与${whole.label}的${total}${whole.unit}不一致（指南：${whole.label}由${parts.map((p) => p.label).join("和")}组成），请重新输入。`;
    }
  }
  return undefined;
}

/** Calendar days from start to end, both counted (2025-03-01 to 2025-03-15 is 15 days). */
export function daysInclusive(start: string, end: string): number {
  return Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000) + 1;
}

/** Planned days that take calendar time: the parts in 天 not counted inside another part. */
export function plannedDays(schedule: Duration[], planned: Planned): { days: number; terms: string[] } {
  let days = 0;
  const terms: string[] = [];
  for (const d of schedule) {
    const n = planned[d.id];
    if (d.unit !== "天" || d.partOf || n === undefined) continue;
    days += n;
    terms.push(`${d.label}${n}天`);
  }
  return { days, terms };
}

/** Why the dates cannot hold the days declared, saying what to change; undefined when they can. */
export function dateRangeProblem(schedule: Duration[], planned: Planned, start: string, end: string): string | undefined {
  const { days, terms } = plannedDays(schedule, planned);
  const span = daysInclusive(start, end);
  if (days <= span) return undefined;
  return `培训时间${start}至${end}共${span}天，放不下申报的${terms.join(" + ")}${terms.length > 1 ? `（共${days}天）` : ""}。请调整日期，或先在汇总中修改天数。`;
}
