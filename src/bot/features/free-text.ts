/**
 * Typed Chinese questions: facts, "what can I apply for", budgets and requests. Inside an open flow a
 * question is answered and the flow then continues; anything else is taken as the step's answer.
 */
import { Composer } from "grammy";
import { answerFact, guideSilentOn } from "../../answers/fact-answer.js";
import { budgetAnswer, budgetsAnswer } from "../../answers/budget-answer.js";
import { escapeHtml } from "../../answers/html.js";
import { eligibilityAnswer, targetAnswer } from "../../answers/eligibility-answer.js";
import { NO_FUNDING } from "../../answers/fact-answer.js";
import { notUnderstood, type Outcome } from "../../answers/outcome.js";
import { ASK_OFFICE, numberAnswer, planAnswer, processAnswer, unansweredAnswer, type PlainAnswer } from "../../answers/plan-answer.js";
import { assess, assessSubProject } from "../../domain/eligibility.js";
import { budgetFor } from "../../domain/budget.js";
import { parseIntent } from "../../nlu/intent.js";
import type { Candidate, FactKind, Intent, Topic } from "../../nlu/types.js";
import { currentTopic, rememberTopic } from "../conversation-topic.js";
import type { BotContext } from "../context.js";
import { entry } from "../entries.js";
import { handleFlowText, openStep, repromptFlow, textFitsStep } from "../flow-runner.js";
import { keyboard, send } from "../render.js";
import { menuKeyboard } from "./start.js";
import { startBudget } from "./budget.js";
import { rememberProfile, sendEligibilityAnswer } from "./eligibility.js";

const FACTS: readonly FactKind[] = ["overview", "quota", "schedule", "funding", "audience", "goal", "phases", "implementer", "cycle", "discrepancy"];
const MAX_CANDIDATES = 4;
/** Sub-projects a fact asked next to "能报什么" is answered for. */
const MAX_FACT_FOLLOWS = 2;
/** How a fact kind reads in a question back ("你想问哪个子项目的培训时间？"). */
const FACT_LABELS: Record<FactKind, string> = {
  overview: "情况",
  quota: "培训人数",
  schedule: "培训时间",
  funding: "经费标准",
  audience: "培训对象和条件",
  goal: "培训目标",
  phases: "培训环节",
  implementer: "实施单位",
  cycle: "项目周期",
  discrepancy: "说法不一之处",
};
/** Longer texts are not questions we can answer; they are cut before parsing to bound the work. */
const MAX_QUESTION_CHARS = 300;

/** Words that mark a typed text as a question rather than an answer to a form step. */
const QUESTION = /[？?]|吗|多少|几天|几年|几个|什么|哪些|哪个|哪一|怎么|如何|能否|是否|可以报|能报|适合/;

export function looksLikeQuestion(text: string): boolean {
  return QUESTION.test(text);
}

function candidateButtons(ctx: BotContext, candidates: Candidate[], data: (c: Candidate) => string) {
  const k = ctx.deps.knowledge;
  return candidates.slice(0, MAX_CANDIDATES).map((c) => [{ label: k.subProjects.find((s) => s.id === c.subProjectId)?.name ?? c.subProjectId, data: data(c) }]);
}

function emit(ctx: BotContext, outcome: Outcome): void {
  ctx.deps.onOutcome?.(ctx.account.id, outcome);
}

const detailsButton = (id: string) => keyboard([[{ label: "📄 查看项目详情", data: `p|s|${id}` }]]);

/** Sends a pure answer (text + outcome) and reports the outcome. */
async function sendPlain(ctx: BotContext, a: PlainAnswer, kb?: ReturnType<typeof keyboard>): Promise<void> {
  await send(ctx, a.text, kb ? { keyboard: kb } : {});
  emit(ctx, a.outcome);
}

/**
 * Answers a parsed intent. Returns false when there was nothing to answer.
 * As a side question (inside a flow) it never starts another flow.
 */
async function answerIntent(ctx: BotContext, intent: Intent, sideQuestion = false, topic?: Topic): Promise<boolean> {
  const k = ctx.deps.knowledge;
  switch (intent.kind) {
    case "fact": {
      const top = intent.candidates[0];
      if (!top) return false;
      if (!intent.confident) {
        const rows = candidateButtons(ctx, intent.candidates, (c) => `q|${c.subProjectId}|${intent.fact}`);
        await send(ctx, "你想问的是哪个子项目？", { keyboard: keyboard(rows) });
        emit(ctx, { kind: "candidates", topic: intent.fact, subProjects: intent.candidates.slice(0, MAX_CANDIDATES).map((c) => ({ id: c.subProjectId })) });
        return true;
      }
      const first = answerFact(k, top.subProjectId, intent.fact, { ...(top.rowId ? { rowId: top.rowId } : {}), ...(intent.durationId ? { durationId: intent.durationId } : {}) });
      // "几天 多少人": every fact the message asks, in the order of the rules, one after another
      const text = [first, ...(intent.also ?? []).map((f) => answerFact(k, top.subProjectId, f, top.rowId ? { rowId: top.rowId } : {}))].join("\n\n");
      const noFunding =
        (intent.fact === "funding" && text.includes(NO_FUNDING) && !text.includes("元/")) || (!intent.also?.length && guideSilentOn(k, top.subProjectId, intent.fact));
      await send(ctx, text, { keyboard: detailsButton(top.subProjectId) });
      emit(ctx, { kind: noFunding ? "not-in-guide" : "answer", topic: intent.fact, subProjects: [{ id: top.subProjectId, ...(top.rowId ? { rowId: top.rowId } : {}) }] });
      if (!sideQuestion) await rememberTopic(ctx, { subProjectId: top.subProjectId, fact: intent.fact, ...(top.rowId ? { rowId: top.rowId } : {}) });
      return true;
    }
    case "eligibility": {
      // a supposition ("要是再干两年呢") is answered, not remembered as the person's years
      const actual = intent.supposed?.actual ?? intent.profile;
      rememberProfile(ctx.account.id, actual);
      const all = assess(k, intent.profile);
      const verdicts = intent.among ? all.filter((v) => intent.among!.ids.includes(v.subProject.id)) : intent.plan ? all.filter((v) => v.subProject.plan === intent.plan) : all;
      const targetSp = intent.target && k.subProjects.find((s) => s.id === intent.target!.subProjectId);
      const target = targetSp && assessSubProject(targetSp, intent.profile, k.vocabulary.judged, true);
      const answer = target ? targetAnswer(k, target, intent.profile, intent.notes, all) : eligibilityAnswer(k, verdicts, intent.profile, { ...intent.notes, ...(intent.among ? { askedAbout: intent.among.term } : {}), ...(intent.plan ? { onlyPlan: k.plans.find((p) => p.id === intent.plan)?.name ?? intent.plan } : {}) });
      await sendEligibilityAnswer(ctx, answer, true);
      emit(ctx, answer.outcome);
      // "…能报吗 要去几天": the fact, for X or for what fits (at most two), after the verdict
      if (intent.alsoFact) {
        const fitting = answer.outcome.subProjects.filter((s) => s.verdict === "eligible" || s.verdict === "conditional").map((s) => s.id);
        const about = target ? [target.subProject.id] : fitting.slice(0, MAX_FACT_FOLLOWS);
        if (about.length) await send(ctx, about.map((id) => answerFact(k, id, intent.alsoFact!)).join("\n\n"));
      }
      if (!sideQuestion) {
        // the sub-project answered about, or the first one the answer lists
        const first = target ? target.subProject.id : answer.detailIds[0];
        // a list with several fitting sub-projects: a follow-up that names none must say which
        const fitting = target ? [] : answer.outcome.subProjects.filter((s) => s.verdict === "eligible" || s.verdict === "conditional").map((s) => s.id);
        await rememberTopic(ctx, { profile: actual, ...(first ? { subProjectId: first } : {}), ...(fitting.length > 1 ? { among: fitting } : {}) });
      }
      return true;
    }
    case "budget": {
      const top = intent.candidates[0];
      if (!top) {
        // counts but no sub-project ("三年周期的项目预算100人"): the calculator asks which
        const run = entry("budget");
        if (sideQuestion || !run) return false;
        await run(ctx);
        emit(ctx, { kind: "clarify", topic: "budget", subProjects: [], asks: ["subProject"] });
        return true;
      }
      if (!intent.confident) {
        await send(ctx, "请选择要测算的子项目：", { keyboard: keyboard(candidateButtons(ctx, intent.candidates, (c) => `b|${c.subProjectId}`)) });
        emit(ctx, { kind: "candidates", topic: "budget", subProjects: intent.candidates.slice(0, MAX_CANDIDATES).map((c) => ({ id: c.subProjectId })) });
        return true;
      }
      const sp = k.subProjects.find((s) => s.id === top.subProjectId)!;
      if (intent.quantities.unplacedCounts) {
        // several head-counts and nothing says which is whose: ask, never bill one of them for all
        const counts = intent.quantities.unplacedCounts.map((n) => `${n}人`).join("、");
        await send(ctx, `你给出了几个人数（${escapeHtml(counts)}），没能分清各属于${escapeHtml(sp.name)}的哪一类培训对象。请分别说明，例如“${escapeHtml(sp.rows[0]!.label)}20人”，或发送 /budget 逐步填写。`);
        emit(ctx, { kind: "clarify", topic: "budget", subProjects: [{ id: sp.id }], asks: ["people"] });
        return true;
      }
      const b = budgetFor(sp, top.rowId, intent.quantities);
      if (!b || (b.missing.length && !b.noStandard)) {
        // which row, or a count the standards multiply, is missing: ask for it (never reuse one count for another)
        if (!sideQuestion) await startBudget(ctx, sp.id, b ? intent.quantities.people : undefined);
        else await send(ctx, `测算${escapeHtml(sp.name)}还需要${b ? "人数等数量" : "选择培训对象"}，请发送 /budget 逐步填写。`);
        emit(ctx, { kind: "clarify", topic: "budget", subProjects: [{ id: sp.id }], asks: b ? b.missing : ["row"] });
        return true;
      }
      await send(ctx, budgetAnswer(b), { keyboard: keyboard([[{ label: "🧮 调整天数/人数", data: `b|${sp.id}` }]]) });
      // a reference figure from a blank cell is no budget the guide gives
      const noFigure = b.noStandard !== undefined || b.unstated !== undefined;
      emit(ctx, {
        kind: noFigure ? "not-in-guide" : b.outside?.length ? "clarify" : "answer",
        ...(b.outside?.length && !noFigure ? { asks: ["days"] } : {}),
        topic: "budget",
        subProjects: [{ id: sp.id, rowId: b.row.id }],
        ...(noFigure ? {} : { budget: { perYear: b.perYear, cycle: b.cycle, years: b.years } }),
      });
      if (!sideQuestion) await rememberTopic(ctx, { subProjectId: sp.id, ...(top.rowId ? { rowId: top.rowId } : {}), budget: intent.quantities });
      return true;
    }
    case "budgets": {
      const sps = intent.parts.map((p) => k.subProjects.find((s) => s.id === p.candidate.subProjectId)!);
      const bs = intent.parts.map((p, i) => budgetFor(sps[i]!, p.candidate.rowId, p.quantities));
      const open = sps.filter((_, i) => !bs[i] || bs[i]!.missing.length > 0 || bs[i]!.noStandard);
      if (open.length) {
        // one part lacks a count, a row, or a standard: no sum resting on it
        await send(ctx, `要合计这几项，还需要分别说明：${open.map((s) => escapeHtml(s.name)).join("、")}的培训对象和人数（该项目无经费标准的，无法测算）。也可发送 /budget 逐项测算。`);
        emit(ctx, { kind: "clarify", topic: "budget", subProjects: sps.map((s) => ({ id: s.id })), asks: ["people"] });
        return true;
      }
      const sum = budgetsAnswer(bs as NonNullable<(typeof bs)[number]>[]);
      await send(ctx, sum.text);
      const outside = bs.some((b) => b!.outside?.length);
      // every part a reference figure from a blank cell: the guide gives no sum
      const noFigure = sum.summed.every((b) => b.unstated);
      emit(ctx, {
        kind: noFigure ? "not-in-guide" : outside ? "clarify" : "answer",
        ...(outside && !noFigure ? { asks: ["days"] } : {}),
        topic: "budget",
        subProjects: bs.map((b) => ({ id: b!.subProject.id, rowId: b!.row.id })),
        ...(noFigure ? {} : { budget: { perYear: sum.perYear, cycle: sum.cycle, years: sum.years } }),
      });
      return true;
    }
    case "plan":
      await sendPlain(ctx, planAnswer(k, intent.question));
      return true;
    case "process":
      await sendPlain(ctx, processAnswer(k, intent.subProjectId ?? topic?.subProjectId));
      return true;
    case "unanswered":
      await sendPlain(ctx, unansweredAnswer(k, intent.topic, intent.subProjectId));
      return true;
    case "which": {
      // a fact asked of no sub-project: ask which, and show the list to pick from
      if (sideQuestion) return false;
      await send(ctx, `你想问哪个子项目的${FACT_LABELS[intent.fact]}？请连同项目名称一起发送，例如“县级骨干${FACT_LABELS[intent.fact]}”，或从下面的项目列表中选择：`);
      const list = entry("projects");
      if (list) await list(ctx);
      emit(ctx, { kind: "clarify", topic: intent.fact, subProjects: [], asks: ["subProject"] });
      return true;
    }
    case "number":
      if (sideQuestion) return false;
      await sendPlain(ctx, numberAnswer(intent.text), menuKeyboard());
      return true;
    case "command": {
      const run = entry(intent.command);
      if (!run) return false;
      // the guide gives no deadlines: say so before the ones admins set here
      if (intent.command === "deadlines") await send(ctx, `ℹ️ 申报指南未给出申报截止时间。以下是管理员在本助手中发布的截止日期；${ASK_OFFICE}`);
      await run(ctx);
      const asking = intent.command === "eligibility" || intent.command === "budget";
      emit(ctx, { kind: intent.command === "deadlines" ? "not-in-guide" : asking ? "clarify" : "command", topic: "command", subProjects: [] });
      return true;
    }
    case "unknown":
      return false;
  }
}

export const freeTextFeature = new Composer<BotContext>();

/** A candidate chosen from an unsure answer: the id and fact are checked against the knowledge. */
freeTextFeature.callbackQuery(/^q\|([a-z0-9-]{1,40})\|([a-z]{1,20})$/, async (ctx) => {
  await ctx.answerCallbackQuery();
  const [id, fact] = [ctx.match[1]!, ctx.match[2] as FactKind];
  if (!ctx.deps.knowledge.subProjects.some((s) => s.id === id) || !FACTS.includes(fact)) {
    await send(ctx, "这个按钮已过期，请重新开始。", { keyboard: menuKeyboard() });
    return;
  }
  await send(ctx, answerFact(ctx.deps.knowledge, id, fact), { keyboard: detailsButton(id) });
  emit(ctx, { kind: "answer", topic: fact, subProjects: [{ id }] });
  await rememberTopic(ctx, { subProjectId: id });
});

freeTextFeature.on("message:text", async (ctx) => {
  const text = ctx.message.text;
  if (text.startsWith("/")) {
    await send(ctx, "没有这个命令。发送 /help 查看可用命令。", { keyboard: menuKeyboard() });
    return;
  }
  const open = await openStep(ctx);
  const topic = open ? undefined : await currentTopic(ctx);
  const parse = () => parseIntent(text.slice(0, MAX_QUESTION_CHARS), { knowledge: ctx.deps.knowledge, index: ctx.deps.search, ...(topic ? { topic } : {}) });
  if (open) {
    // A question typed mid-flow, or at a button step any text that is no button, is answered; then the flow asks its step again.
    if (looksLikeQuestion(text) || !(await textFitsStep(ctx, text))) {
      const intent = parse();
      if (intent.kind !== "unknown" && intent.kind !== "command" && (await answerIntent(ctx, intent, true))) {
        await repromptFlow(ctx, "↩️ 继续刚才的步骤：");
        return;
      }
    }
    await handleFlowText(ctx, text);
    return;
  }
  if (await answerIntent(ctx, parse(), false, topic)) return;
  emit(ctx, notUnderstood());
  await send(ctx, `抱歉，没有找到与“${escapeHtml(text.slice(0, 30))}”相关的内容。可以换个说法，或从菜单开始：`, { keyboard: menuKeyboard() });
});

/** Stickers, photos, voice and the like: point to what works. */
freeTextFeature.on("message", (ctx) => send(ctx, "我只能读懂文字消息。请直接打字提问，或从菜单开始：", { keyboard: menuKeyboard() }));
