/**
 * 申报: the declaration form an institution contact fills in, step by step, with a summary,
 * edit links and the budget before 确认提交. Only the fields the chosen sub-project needs are asked.
 */
import { budgetAnswer } from "../src/answers/budget-answer.js";
import { place } from "../src/answers/cite.js";
import { escapeHtml } from "../src/answers/html.js";
import { scheduleOf } from "../src/domain/budget.js";
import { email, futureDate, mobile, nameList, personName, requiredText } from "../src/domain/validate.js";
import type { Answers, Flow, FlowContext, Step } from "../src/engine/types.js";
import type { Knowledge } from "../src/knowledge/schema.js";
import { budgetOf, durationSteps, groupSteps, projectSteps, quantitySteps, rowOf } from "./budget.js";

function rowSubjects(a: Answers, ctx: FlowContext): string[] {
  const r = rowOf(ctx.knowledge, a);
  const c = r?.row.conditions.find((x) => x.field === "subjects");
  return c && "anyOf" in c ? c.anyOf : [];
}

function implementerOf(a: Answers, ctx: FlowContext) {
  const r = rowOf(ctx.knowledge, a);
  return r?.row.implementer ?? r?.sp.rows.find((x) => x.implementer)?.implementer;
}

function implementerText(a: Answers, ctx: FlowContext): string {
  const own = implementerOf(a, ctx);
  return own ? `指南要求：${escapeHtml(own.text)}（📖${place(own.cite)}）\n` : "";
}

/** Partner institutions are asked (and required) where the guide says the project is run 协同 with others. */
function needsPartners(a: Answers, ctx: FlowContext): boolean {
  return implementerOf(a, ctx)?.text.includes("协同") ?? false;
}

const text = (id: string, label: string, prompt: string, parse: Step["parse"], optional = false): Step => ({
  id,
  label,
  kind: "text",
  prompt: () => prompt,
  parse,
  ...(optional ? { optional } : {}),
});

export function makeDeclarationFlow(k: Knowledge): Flow {
  return {
    id: "declaration",
    title: "申报信息",
    review: true,
    steps: [
      text("institution", "申报单位", "<b>项目申报</b>\n请输入牵头申报单位全称，例如 新疆师范大学。", (raw) => requiredText(raw, "单位名称", 2, 50)),
      {
        id: "institutionType",
        label: "单位类型",
        kind: "choice",
        prompt: () => "申报单位类型？（指南：由高等院校、教师培训机构牵头申报）",
        options: () => [
          { value: "高等院校", label: "高等院校" },
          { value: "教师培训机构", label: "教师培训机构" },
        ],
      },
      ...projectSteps(),
      {
        id: "subjects",
        label: "学科",
        kind: "multi",
        when: (a, ctx) => rowSubjects(a, ctx).length > 0,
        prompt: () => "本次申报覆盖哪些学科？",
        options: (a, ctx) => rowSubjects(a, ctx).map((s) => ({ value: s, label: ctx.knowledge.vocabulary.subjects.find((v) => v.id === s)?.label ?? s })),
        check: (v) => (Array.isArray(v) && v.length > 0 ? { ok: true, value: v } : { ok: false, error: "请至少勾选一个学科，再点“完成”。" }),
      },
      {
        id: "partners",
        label: "协同单位",
        kind: "text",
        when: needsPartners,
        prompt: (a, ctx) => `${implementerText(a, ctx)}请输入协同实施的学校或机构，多个用“、”分隔。`,
        parse: (raw) => nameList(raw, "协同单位"),
        format: (v) => escapeHtml((v as string[]).join("、")),
      },
      text("lead", "项目负责人", "请输入项目负责人姓名。", (raw) => personName(raw, "负责人姓名")),
      text("contact", "联系人", "请输入联系人姓名。", (raw) => personName(raw, "联系人姓名")),
      text("phone", "手机号", "请输入联系人手机号（11位）。", (raw) => mobile(raw)),
      text("email", "邮箱", "请输入联系邮箱。", (raw) => email(raw)),
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
        options: (a, ctx) => Array.from({ length: rowOf(ctx.knowledge, a)?.sp.cycle.years ?? 1 }, (_, i) => ({ value: String(i + 1), label: `第${i + 1}年` })),
      },
      {
        ...text("start", "开始日期", "培训开始日期？例如 2025-03-01。", (raw, _a, ctx) => futureDate(raw, ctx.now, ctx.timeZone)),
        resets: ["end"],
      },
      text("end", "结束日期", "培训结束日期？例如 2025-03-15。", (raw, a, ctx) =>
        futureDate(raw, ctx.now, ctx.timeZone, typeof a.start === "string" ? { date: a.start, label: "开始日期" } : undefined),
      ),
      text("note", "备注", "有需要补充说明的吗？没有可点“跳过”。", (raw) => requiredText(raw, "备注", 1, 500), true),
    ],
    summaryExtra: (a, ctx) => {
      const b = budgetOf(ctx.knowledge, a);
      return b ? budgetAnswer(b) : "";
    },
  };
}

/** Fields still unanswered in a draft, by label (for reminders and /my). */
export function missingFields(flow: Flow, a: Answers, ctx: FlowContext): string[] {
  return flow.steps.filter((s) => (s.when ? s.when(a, ctx) : true) && !(s.id in a) && !s.optional).map((s) => s.label);
}
