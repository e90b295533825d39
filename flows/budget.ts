/** 预算测算: pick a sub-project and row, give the quantities its standards multiply, get the formulas. */
import { billedDurations, computeBudget, describeDuration, durationWarning, findRow, quantitiesNeeded, type BudgetQuantities } from "../src/domain/budget.js";
import { partsOf, splitProblem } from "../src/domain/schedule.js";
import { positiveInt } from "../src/domain/validate.js";
import type { Answers, Flow, FlowContext, Parsed, Step } from "../src/engine/types.js";
import type { AudienceRow, Duration, Knowledge, SubProject } from "../src/knowledge/schema.js";

export function subProjectOf(k: Knowledge, a: Answers): SubProject | undefined {
  return k.subProjects.find((s) => s.id === a.subProject);
}

/** Steps shared with the declaration form: plan → sub-project → audience row. */
export function projectSteps(): Step[] {
  return [
    {
      id: "plan",
      label: "计划",
      kind: "choice",
      prompt: () => "请选择计划：",
      options: (_a, ctx) => ctx.knowledge.plans.map((p) => ({ value: p.id, label: p.name })),
      resets: ["subProject", "row"],
    },
    {
      id: "subProject",
      label: "子项目",
      kind: "choice",
      prompt: () => "请选择子项目：",
      options: (a, ctx) => ctx.knowledge.subProjects.filter((s) => s.plan === a.plan).map((s) => ({ value: s.id, label: s.name })),
      resets: ["row"],
    },
    {
      id: "row",
      label: "培训对象",
      kind: "choice",
      when: (a, ctx) => (subProjectOf(ctx.knowledge, a)?.rows.length ?? 0) > 1,
      prompt: () => "请选择培训对象（附件2中的对象行）：",
      options: (a, ctx) => (subProjectOf(ctx.knowledge, a)?.rows ?? []).map((r) => ({ value: r.id, label: r.label })),
    },
  ];
}

export function rowOf(k: Knowledge, a: Answers) {
  const sp = subProjectOf(k, a);
  return sp ? { sp, row: findRow(sp, typeof a.row === "string" ? a.row : undefined) } : undefined;
}

const QUANTITY = {
  people: { label: "培训人数", unit: "人", prompt: "计划培训多少人？请输入正整数，例如 100。" },
  counties: { label: "帮扶县数", unit: "县", prompt: "帮扶多少个县？请输入正整数，例如 2。" },
  schools: { label: "帮扶校数", unit: "校", prompt: "帮扶多少所学校？请输入正整数，例如 3。" },
} as const;

/**
 * One number step per quantity the chosen row's standards multiply (people, counties or schools).
 * `always` lists quantities asked whatever the standards (a declaration always states its trainees).
 */
export function quantitySteps(always: (keyof typeof QUANTITY)[] = []): Step[] {
  return (Object.keys(QUANTITY) as (keyof typeof QUANTITY)[]).map((key) => {
    const q = QUANTITY[key];
    return {
      id: key,
      label: q.label,
      kind: "number",
      when: (a: Answers, ctx: FlowContext) => {
        const r = rowOf(ctx.knowledge, a);
        if (!r) return false;
        if (always.includes(key)) return true;
        // Where every billed part has its own group, the groups are asked instead (groupSteps).
        return quantitiesNeeded(r.row).includes(key) && (key !== "people" || billedDurations(r.sp, r.row).some((d) => !d.who));
      },
      prompt: () => q.prompt,
      parse: (raw: string, a: Answers, ctx: FlowContext) => {
        const n = positiveInt(raw, q.label, q.unit, 100_000);
        if (!n.ok) return n;
        const over = aboveQuota(subProjectOf(ctx.knowledge, a), q.unit, n.value);
        return over ? { ok: false, error: `${over}请检查后重新输入。` } : n;
      },
      // A new sub-project may plan fewer in the whole region than this figure.
      fits: (v: unknown, a: Answers, ctx: FlowContext) => {
        const over = typeof v === "number" ? aboveQuota(subProjectOf(ctx.knowledge, a), q.unit, v) : undefined;
        return over ? `${q.label}：${over}` : undefined;
      },
      format: (v: unknown) => `${String(v)}${q.unit}`,
    };
  });
}

/**
 * A count above the guide's plan for the whole region (全区计划) cannot be one declaration's: it is
 * refused, not warned about. Returns why, or undefined.
 */
export function aboveQuota(sp: SubProject | undefined, unit: "人" | "县" | "校", n: number): string | undefined {
  const quota = sp?.quota.find((x) => x.unit === unit);
  return quota && n > quota.value ? `${n}${unit}超过了指南中该项目全区计划的${quota.value}${unit}，一份申报不能超过全区总数。` : undefined;
}

/** A head-count step for each schedule part attended by its own group (e.g. 自主选学指导教师团队 and 全员教师). */
export function groupSteps(k: Knowledge): Step[] {
  const parts = new Set<string>();
  for (const sp of k.subProjects) for (const row of sp.rows) for (const d of billedDurations(sp, row)) if (d.who) parts.add(d.id);
  return [...parts].map((id) => {
    const partOf = (a: Answers, ctx: FlowContext) => {
      const r = rowOf(ctx.knowledge, a);
      return r ? billedDurations(r.sp, r.row).find((d) => d.id === id && d.who) : undefined;
    };
    return {
      id: `people:${id}`,
      label: "分组人数",
      labelFor: (a: Answers, ctx: FlowContext) => {
        const who = partOf(a, ctx)?.who;
        return who ? `${who}人数` : "分组人数";
      },
      kind: "number",
      when: (a: Answers, ctx: FlowContext) => !!partOf(a, ctx),
      prompt: (a: Answers, ctx: FlowContext) => {
        const d = partOf(a, ctx)!;
        return `参加${d.label}的${d.who}有多少人？请输入正整数。`;
      },
      parse: (raw: string, a: Answers, ctx: FlowContext) => {
        const n = positiveInt(raw, `${partOf(a, ctx)!.who}人数`, "人", 100_000);
        const over = n.ok ? aboveQuota(subProjectOf(ctx.knowledge, a), "人", n.value) : undefined;
        return over ? { ok: false, error: `${over}请检查后重新输入。` } : n;
      },
      format: (v: unknown, a: Answers, ctx: FlowContext) => `${partOf(a, ctx)?.who ?? ""} ${String(v)}人`,
    } satisfies Step;
  });
}

export function budgetQuantities(a: Answers): BudgetQuantities {
  const amounts: Record<string, number> = {};
  const peopleByDuration: Record<string, number> = {};
  for (const [key, v] of Object.entries(a)) {
    if (typeof v !== "number") continue;
    if (key.startsWith("dur:")) amounts[key.slice(4)] = v;
    if (key.startsWith("people:")) peopleByDuration[key.slice(7)] = v;
  }
  const q: BudgetQuantities = { amounts, peopleByDuration };
  for (const key of ["people", "counties", "schools"] as const) if (typeof a[key] === "number") q[key] = a[key];
  return q;
}

export function budgetOf(k: Knowledge, a: Answers) {
  const r = rowOf(k, a);
  return r ? computeBudget(r.sp, r.row.id, budgetQuantities(a)) : undefined;
}

/**
 * One number step per schedule duration id found in the knowledge; each applies when the chosen row's
 * durations (as `select` picks them) include it. The guide's figure is one tap away.
 */
export function durationSteps(k: Knowledge, select: (sp: SubProject, row: AudienceRow) => Duration[]): Step[] {
  const labels = new Map<string, string>();
  for (const sp of k.subProjects) for (const row of sp.rows) for (const d of select(sp, row)) if (!labels.has(d.id)) labels.set(d.id, d.label);
  // A part (影子学习) is asked after its whole (集中培训) and may not exceed it; changing the whole re-asks its parts.
  const parts = new Map<string, Set<string>>();
  for (const sp of k.subProjects) {
    for (const row of sp.rows) {
      for (const d of select(sp, row)) if (d.partOf) parts.set(d.partOf, (parts.get(d.partOf) ?? new Set()).add(`dur:${d.id}`));
    }
  }
  return [...labels].map(([id, label]) => {
    const durationById = (which: string, a: Answers, ctx: FlowContext) => {
      const r = rowOf(ctx.knowledge, a);
      return r ? select(r.sp, r.row).find((d) => d.id === which) : undefined;
    };
    const durationOf = (a: Answers, ctx: FlowContext) => durationById(id, a, ctx);
    const withinWhole = (d: Duration, n: number, a: Answers, ctx: FlowContext): Parsed<number> => {
      const r = rowOf(ctx.knowledge, a);
      const schedule = r ? select(r.sp, r.row) : [];
      // Changing a whole re-asks its parts (resets), so they are not held against the new figure.
      const planned: Record<string, number> = { ...plannedOf(a), [d.id]: n };
      for (const p of partsOf(schedule, d.id)) delete planned[p.id];
      const problem = splitProblem(schedule, planned);
      return problem ? { ok: false, error: problem } : { ok: true, value: n };
    };
    const resets = [...(parts.get(id) ?? [])];
    return {
      id: `dur:${id}`,
      label,
      labelFor: (a: Answers, ctx: FlowContext) => durationOf(a, ctx)?.label ?? label,
      kind: "number",
      ...(resets.length ? { resets } : {}),
      when: (a: Answers, ctx: FlowContext) => !!durationOf(a, ctx),
      prompt: (a: Answers, ctx: FlowContext) => {
        const d = durationOf(a, ctx)!;
        return `每年${d.label}多少${d.unit}？指南：${describeDuration(d)}。点按钮按指南计，或输入其他数字。`;
      },
      help: (a: Answers, ctx: FlowContext) => {
        const d = durationOf(a, ctx)!;
        return `请输入每年${d.label}的${d.unit === "天" ? "天数" : "学时数"}，例如 ${d.value}（指南：${describeDuration(d)}）。`;
      },
      options: (a: Answers, ctx: FlowContext) => {
        const d = durationOf(a, ctx)!;
        return [{ value: String(d.value), label: `按指南 ${d.value}${d.unit}` }];
      },
      parse: (raw: string, a: Answers, ctx: FlowContext) => {
        const d = durationOf(a, ctx)!;
        const n = positiveInt(raw, d.label, d.unit, 1000);
        if (!n.ok) return n;
        const within = withinWhole(d, n.value, a, ctx);
        return within.ok ? withWarning(within, durationWarning(d, n.value)) : within;
      },
      check: (v: unknown, a: Answers, ctx: FlowContext) => {
        const d = durationOf(a, ctx)!;
        const within = withinWhole(d, Number(v), a, ctx);
        return within.ok ? withWarning(within, durationWarning(d, Number(v))) : within;
      },
      // Days planned for one sub-project's part are not an answer for another's: re-asked unless the guide sets the same.
      fits: (_v: unknown, a: Answers, ctx: FlowContext, before: Answers) => {
        const now = durationOf(a, ctx);
        const then = durationById(id, before, ctx);
        return now && then && sameDuration(now, then) ? undefined : `${now?.label ?? label}：指南对新选项的规定是${now ? describeDuration(now) : "另一种安排"}`;
      },
      format: (v: unknown, a: Answers, ctx: FlowContext) => `${String(v)}${durationOf(a, ctx)?.unit ?? ""}`,
    } satisfies Step;
  });
}

function sameDuration(x: Duration, y: Duration): boolean {
  return x.label === y.label && x.unit === y.unit && x.bound === y.bound && x.value === y.value && x.max === y.max && x.partOf === y.partOf;
}

/** The days and hours planned so far, by duration id. */
export function plannedOf(a: Answers): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, v] of Object.entries(a)) if (key.startsWith("dur:") && typeof v === "number") out[key.slice(4)] = v;
  return out;
}

function withWarning<T>(p: { ok: true; value: T }, warning: string | undefined): Parsed<T> {
  return warning ? { ...p, warning } : p;
}

export function makeBudgetFlow(k: Knowledge): Flow {
  return {
    id: "budget",
    title: "预算测算",
    review: false,
    steps: [...projectSteps(), ...quantitySteps(), ...groupSteps(k), ...durationSteps(k, billedDurations)],
  };
}
