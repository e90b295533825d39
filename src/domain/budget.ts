/**
 * Budgets from the guide's funding standards, exactly, in whole yuan.
 * Each line is a formula a reader can check: 100人 × 15天 × 400元 = 600,000元.
 */
import type { AudienceRow, Duration, Quota, Rate, SubProject } from "../knowledge/schema.js";
import { assertYuan, groupDigits, yuan } from "./money.js";

export interface BudgetQuantities {
  people?: number;
  /** Head-counts for schedule parts attended by their own group (Duration.who), by duration id. */
  peopleByDuration?: Record<string, number>;
  counties?: number;
  schools?: number;
  /** Days or hours per year by duration id; a missing one takes the guide's figure. */
  amounts?: Record<string, number>;
  /** Years to total over; defaults to the sub-project's cycle. */
  years?: number;
  /** Head-counts by row, when the question names several rows each with its count (统编教材20人 新课标30人). */
  peopleByRow?: Record<string, number>;
  /** Several head-counts that could not be told apart: the calculator asks instead of picking one. */
  unplacedCounts?: number[];
  /** `people` adds up groups of several rows billed alike (园长15人 中学校长25人): the budget names no one row. */
  acrossRows?: boolean;
  /** `people` was counted per county or school (2县 每县30人); it holds while people = places × each. */
  perPlace?: PerPlace;
  /** `people` adds up these counts of groups (足球老师20 书法15); shown while their sum is still `people`. */
  peopleParts?: number[];
}

export interface PerPlace {
  places: number;
  each: number;
  unit: "县" | "校";
}

export interface BudgetLine {
  item: string;
  formula: string;
  amount: number;
  rate: Rate;
  /** What one trainee costs on this line (days × rate), for a line billed per person of the row's one group. */
  perPerson?: number;
}

export interface Budget {
  subProject: SubProject;
  row: AudienceRow;
  /** Every row summed, when the budget covers several (帮扶县 + 帮扶校). */
  rows?: AudienceRow[];
  lines: BudgetLine[];
  perYear: number;
  years: number;
  cycle: number;
  warnings: string[];
  /**
   * The warnings about a planned amount the guide does not set (领航 15天 against 不少于20天, 县骨 20天 against 15天):
   * to confirm, not a settled figure.
   */
  outside?: string[];
  /** Set when the guide gives no funding standard for this row: nothing is computed. */
  noStandard?: string;
  /** Set when the row's rates are a reading of a blank cell (Funding.unstated): computed for reference only. */
  unstated?: string;
  /** No row was named and every row is billed alike: the figures hold for any of them, so none is named. */
  anyRow?: boolean;
  /** Quantities the computation needs but were not given (people, counties, schools). */
  missing: ("people" | "counties" | "schools")[];
  /** How the head-count was made, when per county or school. */
  perPlace?: PerPlace;
  /** How the head-count was made, when it adds up groups (20 + 15 + 15 + 20). */
  peopleParts?: number[];
}

/** The schedule that applies to a row: its own, else the sub-project's. */
export function scheduleOf(sp: SubProject, row: AudienceRow): Duration[] {
  return row.schedule ?? sp.schedule;
}

export function findRow(sp: SubProject, rowId?: string): AudienceRow {
  return sp.rows.find((r) => r.id === rowId) ?? sp.rows[0]!;
}

/** Which quantities a row's rates multiply, so a calculator asks only for those. */
export function quantitiesNeeded(row: AudienceRow): ("people" | "counties" | "schools")[] {
  if (!("rates" in row.funding)) return [];
  const needed = new Set<"people" | "counties" | "schools">();
  for (const r of row.funding.rates) needed.add(r.unit === "万/县/年" ? "counties" : r.unit === "万/校/年" ? "schools" : "people");
  return [...needed];
}

/** The durations a row's rates multiply (the ones worth asking about). */
export function billedDurations(sp: SubProject, row: AudienceRow): Duration[] {
  if (!("rates" in row.funding)) return [];
  const ids = new Set(row.funding.rates.map((r) => r.appliesTo).filter(Boolean));
  return scheduleOf(sp, row).filter((d) => ids.has(d.id));
}

/**
 * The head-count a duration is billed for: its own group's when it has one (自主选学指导团队 and 全员教师 are
 * different people, so one count is never reused for the other), else the row's.
 */
export function peopleFor(d: Duration, q: BudgetQuantities): number | undefined {
  return d.who ? q.peopleByDuration?.[d.id] : q.people;
}

/** The largest head-count given, for quota checks and statistics. */
export function headCount(q: BudgetQuantities): number | undefined {
  const counts = [q.people, ...Object.values(q.peopleByDuration ?? {})].filter((n): n is number => n !== undefined);
  return counts.length ? Math.max(...counts) : undefined;
}

/** "15天", "不少于7天", "7-10天". */
export function describeDuration(d: Duration): string {
  if (d.bound === "range") return `${d.value}-${d.max}${d.unit}`;
  return `${d.bound === "atLeast" ? "不少于" : ""}${d.value}${d.unit}`;
}

/** A warning when a planned amount is not what the guide sets: short of it, another figure than an exact one, outside a range. */
export function durationWarning(d: Duration, planned: number): string | undefined {
  const bounds = describeDuration(d);
  if (planned < d.value) return `${d.label}计划${planned}${d.unit}，少于指南要求的${bounds}`;
  if (d.bound === "exact" && planned !== d.value) return `${d.label}计划${planned}${d.unit}，与指南规定的${bounds}不符`;
  if (d.bound === "range" && d.max !== undefined && planned > d.max) return `${d.label}计划${planned}${d.unit}，超出指南规定的${bounds}`;
  return undefined;
}

function quotaWarning(quota: Quota[], unit: Quota["unit"], planned: number | undefined): string | undefined {
  const q = quota.find((x) => x.unit === unit);
  if (!q || planned === undefined || planned <= q.value) return undefined;
  return `计划${planned}${unit}，超过指南该项目全区计划的${q.value}${unit}`;
}

export function computeBudget(sp: SubProject, rowId: string | undefined, q: BudgetQuantities): Budget {
  const row = findRow(sp, rowId);
  const years = q.years ?? sp.cycle.years;
  // a count per place shown only while the head-count is still what it made ("人数改成50" after it is not)
  const perPlace = q.perPlace && q.people === q.perPlace.places * q.perPlace.each ? { perPlace: q.perPlace } : {};
  const parts = q.peopleParts && q.peopleParts.length > 1 && q.people === q.peopleParts.reduce((a, n) => a + n, 0) ? { peopleParts: q.peopleParts } : {};
  const base: Pick<Budget, "subProject" | "row" | "years" | "warnings" | "missing" | "outside" | "perPlace" | "peopleParts"> = { subProject: sp, row, years, warnings: [], missing: [], ...perPlace, ...parts };
  if (!("rates" in row.funding)) return { ...base, lines: [], perYear: 0, cycle: 0, noStandard: row.funding.none };

  const schedule = scheduleOf(sp, row);
  const lines: BudgetLine[] = [];
  for (const rate of row.funding.rates) {
    const line = lineFor(rate, schedule, q);
    if ("missing" in line) base.missing.push(line.missing);
    else lines.push(line);
  }
  for (const d of billedDurations(sp, row)) {
    const planned = q.amounts?.[d.id];
    const w = planned === undefined ? undefined : durationWarning(d, planned);
    if (w) base.warnings.push(w);
    if (w) (base.outside ??= []).push(w);
  }
  for (const [unit, planned] of [["人", headCount(q)], ["县", q.counties], ["校", q.schools]] as const) {
    const w = quotaWarning(sp.quota, unit, planned);
    if (w) base.warnings.push(w);
  }
  const perYear = assertYuan(lines.reduce((s, l) => s + l.amount, 0));
  const unstated = row.funding.unstated ? { unstated: row.funding.unstated } : {};
  return { ...base, ...unstated, missing: [...new Set(base.missing)], lines, perYear, cycle: assertYuan(perYear * years) };
}

function lineFor(rate: Rate, schedule: Duration[], q: BudgetQuantities): BudgetLine | { missing: "people" | "counties" | "schools" } {
  if (rate.unit === "万/县/年" || rate.unit === "万/校/年") {
    const [count, unit, key] = rate.unit === "万/县/年" ? [q.counties, "县", "counties" as const] : [q.schools, "校", "schools" as const];
    if (count === undefined) return { missing: key };
    const perUnit = rate.amount * 10_000;
    const amount = assertYuan(count * perUnit);
    return { item: rate.item, rate, amount, formula: `${count}${unit} × ${groupDigits(perUnit)}元 = ${yuan(amount)}` };
  }
  const d = schedule.find((x) => x.id === rate.appliesTo)!;
  const people = peopleFor(d, q);
  if (people === undefined) return { missing: "people" };
  const per = q.amounts?.[d.id] ?? d.value;
  const amount = assertYuan(people * per * rate.amount);
  const who = d.who ? `（${d.who}）` : "";
  const line = { item: rate.item, rate, amount, formula: `${people}人${who} × ${per}${d.unit} × ${rate.amount}元 = ${yuan(amount)}` };
  return d.who ? line : { ...line, perPerson: assertYuan(per * rate.amount) };
}

/**
 * The row a budget question means when it names none: the one whose standards the given counts fit
 * (帮扶校 for "2所学校"); undefined when the rows differ and nothing tells them apart.
 */
export function rowForQuantities(sp: SubProject, q: BudgetQuantities): AudienceRow | undefined {
  if (sp.rows.length === 1) return sp.rows[0];
  const given = (["people", "counties", "schools"] as const).filter((k) => q[k] !== undefined);
  const fitting = sp.rows.filter((r) => {
    const needed = quantitiesNeeded(r);
    return needed.length > 0 && needed.every((k) => given.includes(k));
  });
  if (fitting.length === 1) return fitting[0];
  // rows billed alike (same rates, same billed days) give one budget whichever is meant
  return billedAlike(sp) ? sp.rows[0] : undefined;
}

/** Every row of the sub-project has the same rates on the same billed days: one budget whichever row is meant. */
export function billedAlike(sp: SubProject): boolean {
  const keyOf = (r: AudienceRow) =>
    "rates" in r.funding ? JSON.stringify([r.funding.rates.map((x) => [x.amount, x.unit, x.appliesTo]), billedDurations(sp, r).map((d) => [d.id, d.value])]) : "none";
  return new Set(sp.rows.map(keyOf)).size === 1;
}

/**
 * Rows billed per county and per school (一对一精准帮扶 帮扶县 + 帮扶校) given both counts: one budget of
 * both, 1个县 2所学校 = 800,000 + 2 × 200,000. Undefined when the question fits one row only.
 */
export function combinedBudget(sp: SubProject, q: BudgetQuantities): Budget | undefined {
  const rows = sp.rows.filter((r) => {
    const needed = quantitiesNeeded(r);
    return needed.length === 1 && (needed[0] === "counties" || needed[0] === "schools") && q[needed[0]] !== undefined;
  });
  if (rows.length < 2) return undefined;
  return sumOfRows(sp, rows.map((r) => computeBudget(sp, r.id, q)));
}

/**
 * One sub-project, several rows each with its own head-count ("统编教材20人 新课标30人"): each row billed for its
 * own people, then summed.
 */
export function budgetByRow(sp: SubProject, peopleByRow: Record<string, number>, q: BudgetQuantities): Budget | undefined {
  const rows = sp.rows.filter((r) => peopleByRow[r.id] !== undefined);
  if (rows.length < 2) return undefined;
  const { people: _one, ...rest } = q;
  return sumOfRows(sp, rows.map((r) => computeBudget(sp, r.id, { ...rest, people: peopleByRow[r.id]! })));
}

function sumOfRows(sp: SubProject, parts: Budget[]): Budget {
  const perYear = assertYuan(parts.reduce((s, b) => s + b.perYear, 0));
  const years = parts[0]!.years;
  return {
    subProject: sp,
    row: parts[0]!.row,
    rows: parts.map((b) => b.row),
    lines: parts.flatMap((b) => b.lines),
    perYear,
    years,
    cycle: assertYuan(perYear * years),
    warnings: [...new Set(parts.flatMap((b) => b.warnings))],
    ...(parts.some((b) => b.outside?.length) ? { outside: [...new Set(parts.flatMap((b) => b.outside ?? []))] } : {}),
    missing: [...new Set(parts.flatMap((b) => b.missing))],
    ...(parts.some((b) => b.noStandard) ? { noStandard: parts.find((b) => b.noStandard)!.noStandard! } : {}),
    ...(parts.some((b) => b.unstated) ? { unstated: parts.find((b) => b.unstated)!.unstated! } : {}),
  };
}

/**
 * The budget of one sub-project for the given counts, as a budget question means it: per row when counts name rows,
 * 帮扶县 + 帮扶校 together, else the row named or the one the counts fit. Undefined when nothing tells the row.
 */
export function budgetFor(sp: SubProject, rowId: string | undefined, q: BudgetQuantities): Budget | undefined {
  const byRow = q.peopleByRow ? budgetByRow(sp, q.peopleByRow, q) : undefined;
  const combined = byRow ?? combinedBudget(sp, q);
  const row = rowId ? sp.rows.find((r) => r.id === rowId) : rowForQuantities(sp, q);
  if (combined || !row) return combined;
  const b = computeBudget(sp, row.id, q);
  const alike = (!rowId || q.acrossRows) && sp.rows.length > 1 && sp.rows.every((r) => computeBudget(sp, r.id, q).perYear === b.perYear);
  return alike ? { ...b, anyRow: true } : b;
}
