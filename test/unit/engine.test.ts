import { describe, expect, it } from "vitest";
import { SUMMARY, couldAnswer, nextStepId, resume, startFlow, step } from "../../src/engine/run.js";
import type { Flow, FlowContext, FlowState, Input, StepResult } from "../../src/engine/types.js";
import { positiveInt } from "../../src/domain/validate.js";
import type { Knowledge } from "../../src/knowledge/schema.js";

const ctx: FlowContext = { knowledge: {} as Knowledge, now: new Date("2026-11-29T00:00:00Z"), timeZone: "Asia/Shanghai" };

/** A small form: a choice, a conditional number, a multi-choice, an optional text, then review. */
const form: Flow = {
  id: "test",
  title: "测试表单",
  review: true,
  steps: [
    {
      id: "kind",
      label: "类型",
      kind: "choice",
      prompt: () => "选择类型",
      options: () => [
        { value: "a", label: "甲" },
        { value: "b", label: "乙" },
      ],
      resets: ["count"],
    },
    { id: "count", label: "人数", kind: "number", when: (a) => a.kind === "a", prompt: () => "多少人？", parse: (raw) => positiveInt(raw, "人数", "人") },
    {
      id: "tags",
      label: "标签",
      kind: "multi",
      prompt: () => "选择标签",
      options: () => [
        { value: "x", label: "X" },
        { value: "y", label: "Y" },
      ],
      check: (v) => (Array.isArray(v) && v.length ? { ok: true, value: v } : { ok: false, error: "至少选一个" }),
    },
    { id: "note", label: "备注", kind: "text", optional: true, prompt: () => "备注？", parse: (raw) => ({ ok: true, value: raw }) },
  ],
};

function run(inputs: Input[], start?: FlowState): StepResult {
  let r = start ? resume(form, start, ctx) : startFlow(form, ctx);
  for (const i of inputs) r = step(form, r.state, i, ctx);
  return r;
}

const labels = (r: StepResult) => r.replies.flatMap((x) => x.buttons ?? []).flat().map((b) => b.label);

describe("couldAnswer: whether typed text may be the open step's answer", () => {
  const at = (id: string): FlowState => ({ at: id, answers: { kind: "a" }, trail: [] });
  it.each([
    ["kind", "甲", true, "a choice's label typed out"],
    ["kind", "你好", true, "a greeting: the step refuses it and says what to type"],
    ["kind", "我是小学心理老师 教龄4年", false, "no label: a new question, not this step's answer"],
    ["tags", "X", true, "a multi-choice label"],
    ["tags", "县骨多少钱", false, "no label at a multi-choice step"],
    ["count", "县骨多少钱", true, "a number step parses any text itself"],
    ["note", "我是小学心理老师", true, "a text step takes any text"],
  ])("at %s, %s → %s (%s)", (id, text, fits) => {
    expect(couldAnswer(form, at(id), text, ctx)).toBe(fits);
  });
});

describe("flow engine", () => {
  it("asks the first step with its choices and a cancel button", () => {
    const r = startFlow(form, ctx);
    expect(r.state.at).toBe("kind");
    expect(labels(r)).toEqual(["甲", "乙", "✖️ 取消"]);
  });

  it("skips steps whose condition does not hold", () => {
    const r = run([{ type: "pick", index: 1 }]);
    expect(r.state.at).toBe("tags");
    expect(r.state.answers).toEqual({ kind: "b" });
  });

  it("re-asks with the validator's Chinese message on bad input, changing nothing", () => {
    const before = run([{ type: "pick", index: 0 }]);
    // "一百" is a number now (one parser for forms and free text); "一百左右" is not an exact count.
    const r = step(form, before.state, { type: "text", text: "一百左右" }, ctx);
    expect(r.rejected).toBe(true);
    expect(r.state).toEqual(before.state);
    expect(r.replies[0]!.text).toContain("人数请输入正整数");
    expect(r.replies[0]!.text).toContain("多少人？");
  });

  it("accepts a typed choice by its label", () => {
    expect(run([{ type: "text", text: "乙" }]).state.answers).toEqual({ kind: "b" });
  });

  it("refuses a pick index that is out of range (stale or forged)", () => {
    const r = run([{ type: "pick", index: 7 }]);
    expect(r.rejected).toBe(true);
    expect(r.state.at).toBe("kind");
  });

  it("toggles multi choices and validates on done", () => {
    let r = run([{ type: "pick", index: 1 }, { type: "done" }]);
    expect(r.rejected).toBe(true);
    expect(r.replies[0]!.text).toContain("至少选一个");
    r = step(form, r.state, { type: "toggle", index: 0 }, ctx);
    r = step(form, r.state, { type: "toggle", index: 1 }, ctx);
    r = step(form, r.state, { type: "toggle", index: 0 }, ctx);
    expect(labels(r)).toContain("✅ Y");
    expect(labels(r)).toContain("⬜ X");
    r = step(form, r.state, { type: "done" }, ctx);
    expect(r.state.answers.tags).toEqual(["y"]);
    expect(r.state.at).toBe("note");
  });

  it("goes back one step and forgets that answer", () => {
    const r = run([{ type: "pick", index: 0 }, { type: "text", text: "20" }, { type: "back" }]);
    expect(r.state.at).toBe("count");
    expect(r.state.answers).toEqual({ kind: "a" });
  });

  it("skips only optional steps", () => {
    const mid = run([{ type: "pick", index: 1 }, { type: "skip" }]);
    expect(mid.rejected).toBe(true);
    const r = run([{ type: "pick", index: 1 }, { type: "toggle", index: 0 }, { type: "done" }, { type: "skip" }]);
    expect(r.state.at).toBe(SUMMARY);
    expect(r.state.answers.note).toBeNull();
  });

  it("shows a summary with an edit button per answer and completes on confirm", () => {
    const r = run([{ type: "pick", index: 0 }, { type: "text", text: "30" }, { type: "toggle", index: 0 }, { type: "done" }, { type: "text", text: "备注文字" }]);
    expect(r.state.at).toBe(SUMMARY);
    expect(r.replies[0]!.text).toContain("人数：30");
    expect(labels(r)).toEqual(expect.arrayContaining(["✏️ 类型", "✏️ 人数", "✏️ 标签", "✏️ 备注", "✅ 确认提交"]));
    const done = step(form, r.state, { type: "confirm" }, ctx);
    expect(done.effect).toEqual({ type: "completed", answers: { kind: "a", count: 30, tags: ["x"], note: "备注文字" } });
  });

  it("edits one answer from the summary and returns to the summary", () => {
    const summary = run([{ type: "pick", index: 0 }, { type: "text", text: "30" }, { type: "toggle", index: 0 }, { type: "done" }, { type: "skip" }]);
    const editing = step(form, summary.state, { type: "edit", stepId: "count" }, ctx);
    expect(editing.state.at).toBe("count");
    expect(editing.replies[0]!.text).toContain("当前：30");
    const back = step(form, editing.state, { type: "text", text: "45" }, ctx);
    expect(back.state.at).toBe(SUMMARY);
    expect(back.state.answers.count).toBe(45);
  });

  it("asks the steps a changed answer newly needs before returning to the summary", () => {
    const summary = run([{ type: "pick", index: 1 }, { type: "toggle", index: 0 }, { type: "done" }, { type: "skip" }]);
    const editing = step(form, summary.state, { type: "edit", stepId: "kind" }, ctx);
    const r = step(form, editing.state, { type: "pick", index: 0 }, ctx);
    expect(r.state.at).toBe("count");
    expect(step(form, r.state, { type: "text", text: "5" }, ctx).state.at).toBe(SUMMARY);
  });

  it("drops answers of steps that no longer apply", () => {
    const r = run([{ type: "pick", index: 0 }, { type: "text", text: "30" }, { type: "toggle", index: 0 }, { type: "done" }, { type: "skip" }]);
    const edit = step(form, r.state, { type: "edit", stepId: "kind" }, ctx);
    const changed = step(form, edit.state, { type: "pick", index: 1 }, ctx);
    expect(changed.state.answers).not.toHaveProperty("count");
    expect(changed.state.at).toBe(SUMMARY);
  });

  it("typed navigation words act like their buttons", () => {
    const r = run([{ type: "pick", index: 1 }, { type: "toggle", index: 0 }, { type: "text", text: "完成" }, { type: "text", text: "跳过" }]);
    expect(r.state.at).toBe(SUMMARY);
    expect(r.state.answers.note).toBeNull();
    expect(step(form, r.state, { type: "text", text: "上一步" }, ctx).state.at).toBe("note");
    expect(step(form, r.state, { type: "text", text: "确认提交" }, ctx).effect?.type).toBe("completed");
  });

  it("cancel ends with the answers so far (a draft can keep them)", () => {
    const r = run([{ type: "pick", index: 0 }, { type: "cancel" }]);
    expect(r.effect).toEqual({ type: "cancelled", answers: { kind: "a" } });
  });

  it("a flow without review completes as soon as the last step is answered", () => {
    const quick: Flow = { ...form, review: false, steps: form.steps.slice(0, 1) };
    const r = step(quick, startFlow(quick, ctx).state, { type: "pick", index: 0 }, ctx);
    expect(r.effect).toEqual({ type: "completed", answers: { kind: "a" } });
    expect(nextStepId(quick, { kind: "a" }, ctx)).toBe("done");
  });

  it("resumes at the saved step with the saved answers", () => {
    const saved = run([{ type: "pick", index: 0 }]).state;
    const restored: FlowState = JSON.parse(JSON.stringify(saved));
    const r = resume(form, restored, ctx, ["欢迎回来"]);
    expect(r.replies[0]!.text).toMatch(/^欢迎回来[\s\S]*多少人？/);
    expect(step(form, r.state, { type: "text", text: "12" }, ctx).state.answers.count).toBe(12);
  });

  it("escapes the text of a validation error", () => {
    const strict: Flow = { ...form, steps: [{ id: "t", label: "t", kind: "text", prompt: () => "?", parse: (raw) => ({ ok: false, error: `bad <${raw}>` }) }] };
    const r = step(strict, startFlow(strict, ctx).state, { type: "text", text: "b&c" }, ctx);
    expect(r.replies[0]!.text).toContain("bad &lt;b&amp;c&gt;");
  });
});
