/**
 * 申报: the declaration form an institution contact fills in, step by step, with a summary,
 * edit links and the budget before 确认提交. Only the fields the chosen sub-project needs are asked.
 */
import { budgetAnswer } from "../src/answers/budget-answer.js";
import { belowGuideLines } from "../src/answers/declaration-answer.js";
import { INFERRED_MARK, place } from "../src/answers/cite.js";
import { escapeHtml } from "../src/answers/html.js";
import { scheduleOf } from "../src/domain/budget.js";
import { implementerOf, partnerExamples, partnerMismatch, partnerRule } from "../src/domain/implementer.js";
import { dateRangeProblem } from "../src/domain/schedule.js";
import { email, futureDate, institutionName, institutionTypeProblem, mobile, partnerList, personName, requiredText } from "../src/domain/validate.js";
import { stepLabel, stillOffered } from "../src/engine/run.js";
import type { Answers, Flow, FlowContext, Option, Step } from "../src/engine/types.js";
import type { Knowledge } from "../src/knowledge/schema.js";
import { budgetOf, durationSteps, groupSteps, plannedOf, projectSteps, quantitySteps, rowOf } from "./budget.js";

function rowSubjects(a: Answers, ctx: FlowContext): string[] {
  const r = rowOf(ctx.knowledge, a);
  const c = r?.row.conditions.find((x) => x.field === "subjects");
  return c && "anyOf" in c ? c.anyOf : [];
}

function subjectOptions(a: Answers, ctx: FlowContext): Option[] {
  return rowSubjects(a, ctx).map((s) => ({ value: s, label: ctx.knowledge.vocabulary.subjects.find((v) => v.id === s)?.label ?? s }));
}

function cycleYearOptions(a: Answers, ctx: FlowContext): Option[] {
  return Array.from({ length: rowOf(ctx.knowledge, a)?.sp.cycle.years ?? 1 }, (_, i) => ({ value: String(i + 1), label: `第${i + 1}年` }));
}

function implementerFor(a: Answers, ctx: FlowContext) {
  const r = rowOf(ctx.knowledge, a);
  return r ? implementerOf(r.sp, r.row) : undefined;
}

function implementerText(a: Answers, ctx: FlowContext): string {
  const own = implementerFor(a, ctx);
  return own ? `指南要求：${escapeHtml(own.text)}${own.carried && !own.cite.inferred ? INFERRED_MARK : ""}（📖${place(own.cite)}）\n` : "";
}

/** The partners the chosen row must name (协同…实施), from the one rule in src/domain/implementer.ts. */
function partnersFor(a: Answers, ctx: FlowContext) {
  return partnerRule(implementerFor(a, ctx));
}

/** The first partner that does not fit the row's rule, as a reason. */
function partnerProblem(names: string[], a: Answers, ctx: FlowContext): string | undefined {
  const rule = partnersFor(a, ctx);
  if (!rule) return undefined;
  for (const n of names) {
    const why = partnerMismatch(n, rule);
    if (why) return why;
  }
  return undefined;
}

const text = (id: string, label: string, prompt: string, parse: Step["parse"], more: Partial<Step> = {}): Step => ({
  id,
  label,
  kind: "text",
  prompt: () => prompt,
  parse,
  ...more,
});

/** The planned days, from the answers, against the row's schedule (for the date check). */
function dateCheck(a: Answers, ctx: FlowContext): string | undefined {
  const r = rowOf(ctx.knowledge, a);
  if (!r || typeof a.start !== "string" || typeof a.end !== "string") return undefined;
  return dateRangeProblem(scheduleOf(r.sp, r.row), plannedOf(a), a.start, a.end);
}

export function makeDeclarationFlow(k: Knowledge): Flow {
  return {
    id: "declaration",
    title: "申报信息",
    review: true,
    steps: [
      text("institution", "申报单位", "<b>项目申报</b>\n请输入牵头申报单位全称，例如 新疆师范大学。", (raw) => institutionName(raw), {
        help: () => "请填写牵头申报的高等院校或教师培训机构的全称（不要用简称），例如 新疆师范大学、乌鲁木齐市教师发展中心。",
      }),
      {
        id: "institutionType",
        label: "单位类型",
        kind: "choice",
        prompt: () => "申报单位类型？（指南：由高等院校、教师培训机构牵头申报）",
        options: () => [
          { value: "高等院校", label: "高等院校" },
          { value: "教师培训机构", label: "教师培训机构" },
        ],
        check: (v, a) => {
          const why = typeof a.institution === "string" ? institutionTypeProblem(a.institution, String(v)) : undefined;
          return why ? { ok: false, error: why } : { ok: true, value: v };
        },
        // A renamed applicant may no longer be of the type chosen: asked again.
        fits: (v, a) => {
          const why = typeof a.institution === "string" ? institutionTypeProblem(a.institution, String(v)) : undefined;
          return why ? `单位类型：${why}` : undefined;
        },
      },
      ...projectSteps(),
      {
        id: "subjects",
        label: "学科",
        kind: "multi",
        when: (a, ctx) => rowSubjects(a, ctx).length > 0,
        prompt: () => "本次申报覆盖哪些学科？",
        options: subjectOptions,
        fits: stillOffered("学科", subjectOptions),
        check: (v) => (Array.isArray(v) && v.length > 0 ? { ok: true, value: v } : { ok: false, error: "请至少勾选一个学科，再点“完成”。" }),
      },
      {
        id: "partners",
        label: "协同单位",
        kind: "text",
        when: (a, ctx) => !!partnersFor(a, ctx),
        prompt: (a, ctx) => `${implementerText(a, ctx)}请输入协同实施的${escapeHtml(partnersFor(a, ctx)!.phrase)}全称，多个用“、”分隔。`,
        help: (a, ctx) => {
          const rule = partnersFor(a, ctx)!;
          return `请填写与申报单位协同实施的${rule.phrase}的全称，多个用“、”分隔，例如 ${partnerExamples(rule)}。`;
        },
        parse: (raw, a, ctx) =>
          partnerList(raw, "协同单位", (name) => partnerProblem([name], a, ctx), typeof a.institution === "string" ? a.institution : undefined),
        // Partner schools chosen for one sub-project may not fit another's (优质中学 vs 幼儿园).
        fits: (v, a, ctx) => {
          const why = Array.isArray(v) ? partnerProblem(v as string[], a, ctx) : undefined;
          return why ? `协同单位：${why}` : undefined;
        },
        format: (v) => escapeHtml((v as string[]).join("、")),
      },
      text("lead", "项目负责人", "请输入项目负责人姓名。", (raw) => personName(raw, "负责人姓名"), {
        help: () => "请填写项目负责人的姓名全名，例如 张三。",
      }),
      {
        ...text("contact", "联系人", "请输入联系人姓名；与负责人是同一人可点下方按钮。", (raw) => personName(raw, "联系人姓名"), {
          help: () => "请填写联系人的姓名全名，例如 李四；联系人就是项目负责人的话，点“同项目负责人”按钮。",
        }),
        options: (a) => (typeof a.lead === "string" ? [{ value: a.lead, label: `同项目负责人（${a.lead}）` }] : []),
      },
      text("phone", "手机号", "请输入联系人手机号（11位）。", (raw) => mobile(raw), { help: () => "请填写联系人的11位手机号，例如 13912345678。" }),
      text("email", "邮箱", "请输入联系邮箱。", (raw) => email(raw), { help: () => "请填写联系邮箱，例如 name@example.edu.cn。" }),
      // A declaration always states its planned trainees, even where the standard is per county or school.
      ...quantitySteps(["people"]),
      ...groupSteps(k),
      ...durationSteps(k, scheduleOf),
      {
        id: "cycleYear",
        label: "周期年度",
        kind: "choice",
        when: (a, ctx) => (rowOf(ctx.knowledge, a)?.sp.cycle.years ?? 1) > 1,
        prompt: (a, ctx) => `本次申报为${rowOf(ctx.knowledge, a)!.sp.cycle.years}年周期中的第几年？`,
        options: cycleYearOptions,
        fits: stillOffered("周期年度", cycleYearOptions),
      },
      {
        ...text("start", "开始日期", "培训开始日期？例如 2025-03-01。", (raw, _a, ctx) => futureDate(raw, ctx.now, ctx.timeZone), {
          help: () => "请按“年-月-日”填写培训开始日期，例如 2025-03-01。",
        }),
        resets: ["end"],
      },
      text(
        "end",
        "结束日期",
        "培训结束日期？例如 2025-03-15。",
        (raw, a, ctx) => futureDate(raw, ctx.now, ctx.timeZone, typeof a.start === "string" ? { date: a.start, label: "开始日期" } : undefined),
        { help: () => "请按“年-月-日”填写培训结束日期，例如 2025-03-15。" },
      ),
      text("note", "备注", "有需要补充说明的吗？没有可点“跳过”。", (raw) => requiredText(raw, "备注", 1, 500), { optional: true, prose: true }),
    ],
    crossChecks: [
      // The dates must hold the days declared; checked whichever of them is answered last.
      { fields: ["start", "end", ...new Set(k.subProjects.flatMap((sp) => [...sp.schedule, ...sp.rows.flatMap((r) => r.schedule ?? [])].map((d) => `dur:${d.id}`)))], check: dateCheck },
    ],
    summaryExtra: (a, ctx) => {
      const b = budgetOf(ctx.knowledge, a);
      // The applicant sees every figure the reviewer will see flagged; the budget already names the billed ones.
      const flags = belowGuideLines(a, ctx).filter((l) => !b?.warnings.some((w) => l.includes(escapeHtml(w))));
      return [b ? budgetAnswer(b) : "", flags.length ? `<b>与指南要求不符</b>\n${flags.join("\n")}` : ""].filter(Boolean).join("\n\n");
    },
  };
}

/** Fields still unanswered in a draft, by the question's own term (for reminders and /my). */
export function missingFields(flow: Flow, a: Answers, ctx: FlowContext): string[] {
  return flow.steps.filter((s) => (s.when ? s.when(a, ctx) : true) && !(s.id in a) && !s.optional).map((s) => stepLabel(s, a, ctx));
}
