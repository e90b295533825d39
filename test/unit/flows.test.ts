/** The eligibility and budget flows, driven through the engine alone (no Telegram, no console). */
import { describe, expect, it } from "vitest";
import { makeBudgetFlow, budgetOf } from "../../flows/budget.js";
import { eligibilityFlow, profileOf } from "../../flows/eligibility.js";
import { startFlow, step } from "../../src/engine/run.js";
import type { Flow, FlowContext, StepResult } from "../../src/engine/types.js";
import { loadKnowledge } from "../../src/knowledge/load.js";

const knowledge = loadKnowledge();
const ctx: FlowContext = { knowledge, now: new Date("2026-11-29T01:00:00Z"), timeZone: "Asia/Shanghai" };

/** Answers by label: taps the button whose label contains `choice`, or types the text. */
function answer(flow: Flow, r: StepResult, choice: string): StepResult {
  const buttons = r.replies.flatMap((x) => x.buttons ?? []).flat();
  const button = buttons.find((b) => b.label === choice) ?? buttons.find((b) => b.label.includes(choice));
  return step(flow, r.state, button ? button.input : { type: "text", text: choice }, ctx);
}

function walk(flow: Flow, choices: string[]): { result: StepResult; asked: string[] } {
  let result = startFlow(flow, ctx);
  const asked = [result.state.at];
  for (const c of choices) {
    result = answer(flow, result, c);
    asked.push(result.state.at);
  }
  return { result, asked };
}

describe("eligibility flow", () => {
  it("asks a primary maths teacher only what the verdicts depend on", () => {
    const { result, asked } = walk(eligibilityFlow, ["教师", "小学", "数学", "4", "完成", "完成", "完成"]);
    expect(asked.slice(0, -1)).toEqual(["role", "stage", "subjects", "teachingYears", "positions", "honours", "projects"]);
    expect(result.effect?.type).toBe("completed");
    expect(profileOf(result.state.answers)).toEqual({ role: "teacher", stage: "小学", subjects: ["数学"], teachingYears: 4, positions: [], honours: [], projects: [] });
  });

  it("never asks a party secretary for subjects or teaching years", () => {
    const { asked } = walk(eligibilityFlow, ["党组织书记", "小学", "4"]);
    expect(asked).not.toContain("subjects");
    expect(asked).not.toContain("teachingYears");
    expect(asked).toContain("postYears");
  });

  it("offers only the honours still in play", () => {
    const { result } = walk(eligibilityFlow, ["教师", "小学", "数学", "4", "完成"]);
    const labels = result.replies.flatMap((x) => x.buttons ?? []).flat().map((b) => b.label);
    expect(labels.some((l) => l.includes("县级学科名师工作室成员"))).toBe(true);
    expect(labels.some((l) => l.includes("地区级及以上优秀教师"))).toBe(false);
  });
});

describe("budget flow", () => {
  const flow = makeBudgetFlow(knowledge);

  it("computes 县级骨干 for 100 people at the guide's days and hours", () => {
    const { result } = walk(flow, ["国培计划", "县级骨干教师学科育人能力提升研修", "小学骨干教师", "100", "按指南", "按指南"]);
    expect(result.effect?.type).toBe("completed");
    const b = budgetOf(knowledge, result.state.answers)!;
    expect([b.perYear, b.cycle]).toEqual([630_000, 1_890_000]);
  });

  it("asks counties, not people, for the 一对一 county row", () => {
    const { asked, result } = walk(flow, ["国培计划", "“一对一”精准帮扶培训", "帮扶县", "2"]);
    expect(asked).toContain("counties");
    expect(asked).not.toContain("people");
    expect(budgetOf(knowledge, result.state.answers)!.perYear).toBe(1_600_000);
  });

  it("asks both head-counts for 自主学习试点", () => {
    const { asked, result } = walk(flow, ["国培计划", "自主学习模式试点研修", "30", "2000", "按指南", "按指南"]);
    expect(asked).toEqual(expect.arrayContaining(["people:concentrated", "people:workshop"]));
    expect(asked).not.toContain("people");
    expect(budgetOf(knowledge, result.state.answers)!.perYear).toBe(1_560_000);
  });

  it("warns, but accepts, fewer days than the guide sets", () => {
    const { result } = walk(flow, ["国培计划", "县级骨干教师学科育人能力提升研修", "小学骨干教师", "100", "12"]);
    expect(result.replies[0]!.text).toContain("少于指南要求的15天");
    expect(result.state.answers["dur:concentrated"]).toBe(12);
  });
});
