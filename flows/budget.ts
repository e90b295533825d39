/** 预算测算: pick a sub-project and row, give the quantities its standards multiply, get the formulas. */
import { billedDurations, computeBudget, describeDuration, durationWarning, findRow, quantitiesNeeded, type BudgetQuantities } from "../src/domain/budget.js";
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

/** One number step per quantity the chosen row's standards multiply (people, counties or schools). */
export function quantitySteps(): Step[] {
  return (Object.keys(QUANTITY) as (keyof typeof QUANTITY)[]).map((key) => {
    const q = QUANTITY[key];
    return {
      id: key,
      label: q.label,
      kind: "number",
      when: (a: Answers, ctx: FlowContext) => {
        const r = rowOf(ctx.knowledge, a);
        return !!r && quantitiesNeeded(r.row).includes(key);
      },
      prompt: () => q.prompt,
      parse: (raw: string, a: Answers, ctx: FlowContext) => {
        const n = positiveInt(raw, q.label, q.unit, 100_000);
        if (!n.ok) return n;
        const quota = subProjectOf(ctx.knowledge, a)?.quota.find((x) => x.unit === q.unit);
        return quota && n.value > quota.value ? { ...n, warning: `${n.value}${q.unit}超过指南全区计划的${quota.value}${q.unit}，请确认。` } : n;
      },
      format: (v: unknown) => `${String(v)}${q.unit}`,
    };
  });
}

export function budgetQuantities(a: Answers): BudgetQuantities {
  const amounts: Record<string, number> = {};
  for (const [key, v] of Object.entries(a)) if (key.startsWith("dur:") && typeof v === "number") amounts[key.slice(4)] = v;
  const q: BudgetQuantities = { amounts };
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
  return [...labels].map(([id, label]) => {
    const durationOf = (a: Answers, ctx: FlowContext) => {
      const r = rowOf(ctx.knowledge, a);
      return r ? select(r.sp, r.row).find((d) => d.id === id) : undefined;
    };
    return {
      id: `dur:${id}`,
      label,
      kind: "number",
      when: (a: Answers, ctx: FlowContext) => !!durationOf(a, ctx),
      prompt: (a: Answers, ctx: FlowContext) => {
        const d = durationOf(a, ctx)!;
        return `每年${d.label}多少${d.unit}？指南：${describeDuration(d)}。点按钮按指南计，或输入其他数字。`;
      },
      options: (a: Answers, ctx: FlowContext) => {
        const d = durationOf(a, ctx)!;
        return [{ value: String(d.value), label: `按指南 ${d.value}${d.unit}` }];
      },
      parse: (raw: string, a: Answers, ctx: FlowContext) => {
        const d = durationOf(a, ctx)!;
        const n = positiveInt(raw, d.label, d.unit, 1000);
        return n.ok ? withWarning(n, durationWarning(d, n.value)) : n;
      },
      check: (v: unknown, a: Answers, ctx: FlowContext) => withWarning({ ok: true, value: v }, durationWarning(durationOf(a, ctx)!, Number(v))),
      format: (v: unknown, a: Answers, ctx: FlowContext) => `${String(v)}${durationOf(a, ctx)?.unit ?? ""}`,
    } satisfies Step;
  });
}

function withWarning<T>(p: { ok: true; value: T }, warning: string | undefined): Parsed<T> {
  return warning ? { ...p, warning } : p;
}

export function makeBudgetFlow(k: Knowledge): Flow {
  return {
    id: "budget",
    title: "预算测算",
    review: false,
    steps: [...projectSteps(), ...quantitySteps(), ...durationSteps(k, billedDurations)],
  };
}
