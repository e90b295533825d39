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
        const quota = subProjectOf(ctx.knowledge, a)?.quota.find((x) => x.unit === q.unit);
        return quota && n.value > quota.value ? { ...n, warning: `${n.value}${q.unit}超过指南全区计划的${quota.value}${q.unit}，请确认。` } : n;
      },
      format: (v: unknown) => `${String(v)}${q.unit}`,
    };
  });
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
      kind: "number",
      when: (a: Answers, ctx: FlowContext) => !!partOf(a, ctx),
      prompt: (a: Answers, ctx: FlowContext) => {
        const d = partOf(a, ctx)!;
        return `参加${d.label}的${d.who}有多少人？请输入正整数。`;
      },
      parse: (raw: string, a: Answers, ctx: FlowContext) => positiveInt(raw, `${partOf(a, ctx)!.who}人数`, "人", 100_000),
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
    const wholeOf = (d: Duration, a: Answers, ctx: FlowContext) => {
      const whole = d.partOf ? durationById(d.partOf, a, ctx) : undefined;
      const planned = d.partOf ? a[`dur:${d.partOf}`] : undefined;
      return whole && typeof planned === "number" ? { whole, planned } : undefined;
    };
    const withinWhole = (d: Duration, n: number, a: Answers, ctx: FlowContext): Parsed<number> => {
      const w = wholeOf(d, a, ctx);
      if (w && n > w.planned) return { ok: false, error: `${d.label}是${w.whole.label}的一部分，不能超过${w.whole.label}的${w.planned}${w.whole.unit}，请重新输入。` };
      return { ok: true, value: n };
    };
    const resets = [...(parts.get(id) ?? [])];
    return {
      id: `dur:${id}`,
      label,
      kind: "number",
      ...(resets.length ? { resets } : {}),
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
        if (!n.ok) return n;
        const within = withinWhole(d, n.value, a, ctx);
        return within.ok ? withWarning(within, durationWarning(d, n.value)) : within;
      },
      check: (v: unknown, a: Answers, ctx: FlowContext) => {
        const d = durationOf(a, ctx)!;
        const within = withinWhole(d, Number(v), a, ctx);
        return within.ok ? withWarning(within, durationWarning(d, Number(v))) : within;
      },
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
    steps: [...projectSteps(), ...quantitySteps(), ...groupSteps(k), ...durationSteps(k, billedDurations)],
  };
}
