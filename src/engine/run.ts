/**
 * Runs a flow: (state, input) → (state', replies, effect). Pure: no Telegram, no store, no clock
 * of its own. Validation failures re-ask the same step with a message that says what to type.
 */
import { escapeHtml } from "../answers/html.js";
import { nonAnswer, nonAnswerMessage } from "../domain/non-answer.js";
import type { Answers, Button, Flow, FlowContext, FlowState, Input, Option, Parsed, Reply, Step, StepResult } from "./types.js";

export const SUMMARY = "summary";
const DONE = "done";

export const NAV = { back: "⬅️ 上一步", skip: "⏭ 跳过", cancel: "✖️ 取消", done: "✔️ 完成", confirm: "✅ 确认提交" } as const;

function applies(step: Step, a: Answers, ctx: FlowContext): boolean {
  return step.when ? step.when(a, ctx) : true;
}

/** The first step that applies and is not answered yet, else the summary (or done). */
export function nextStepId(flow: Flow, a: Answers, ctx: FlowContext): string {
  const step = flow.steps.find((s) => applies(s, a, ctx) && !(s.id in a));
  return step ? step.id : flow.review ? SUMMARY : DONE;
}

/** The step's name for these answers: the question's own term (one source for every renderer). */
export function stepLabel(s: Step, a: Answers, ctx: FlowContext): string {
  if (!s.labelFor) return s.label;
  try {
    return s.labelFor(a, ctx);
  } catch {
    // Answers from an older knowledge (a sub-project since renamed): the generic name still reads.
    return s.label;
  }
}

function stepById(flow: Flow, id: string): Step | undefined {
  return flow.steps.find((s) => s.id === id);
}

/** Answers of steps that no longer apply are dropped, so a summary never shows stale fields. */
function pruneAnswers(flow: Flow, a: Answers, ctx: FlowContext): Answers {
  const kept: Answers = {};
  for (const s of flow.steps) if (s.id in a && applies(s, a, ctx)) kept[s.id] = a[s.id];
  return kept;
}

export function startFlow(flow: Flow, ctx: FlowContext, answers: Answers = {}): StepResult {
  const state: FlowState = { at: nextStepId(flow, answers, ctx), answers, trail: [] };
  return present(flow, state, ctx, []);
}

/** Re-shows where the user is (after a restart, a side question or /resume). */
export function resume(flow: Flow, state: FlowState, ctx: FlowContext, lead: string[] = []): StepResult {
  return present(flow, state, ctx, lead);
}

/** Typed words that mean a navigation button, so a user who types rather than taps is understood. */
const TYPED_NAV: Record<string, Input> = {
  跳过: { type: "skip" },
  上一步: { type: "back" },
  返回: { type: "back" },
  取消: { type: "cancel" },
  完成: { type: "done" },
  确认提交: { type: "confirm" },
  确认: { type: "confirm" },
};

export function step(flow: Flow, state: FlowState, typedOrTapped: Input, ctx: FlowContext): StepResult {
  const input = typedOrTapped.type === "text" ? (TYPED_NAV[typedOrTapped.text.trim()] ?? typedOrTapped) : typedOrTapped;
  if (input.type === "cancel") return { state, replies: [{ text: "已取消。" }], effect: { type: "cancelled", answers: state.answers } };
  if (input.type === "back") return back(flow, state, ctx);
  if (input.type === "edit") return edit(flow, state, input.stepId, ctx);
  if (state.at === SUMMARY) {
    if (input.type === "confirm") return { state, replies: [], effect: { type: "completed", answers: state.answers } };
    return reject(flow, state, ctx, "请点击“修改”更改某一项，或点击“确认提交”。");
  }
  const current = stepById(flow, state.at);
  if (!current) return present(flow, { ...state, at: nextStepId(flow, state.answers, ctx) }, ctx, []);

  if (input.type === "skip") {
    if (!current.optional) return reject(flow, state, ctx, "这一项为必填，不能跳过。");
    return accept(flow, state, current, null, ctx);
  }
  if (input.type === "confirm") return reject(flow, state, ctx, "请先回答当前问题。");
  if (input.type === "text") {
    const refusal = refuseNonAnswer(current, input.text, state.answers, ctx);
    if (refusal === "skip") return accept(flow, state, current, null, ctx);
    if (refusal) return reject(flow, state, ctx, refusal);
  }

  const parsed = interpret(current, state, input, ctx);
  if ("toggled" in parsed) return present(flow, { ...state, ticked: parsed.toggled }, ctx, []);
  if (!parsed.ok) return reject(flow, state, ctx, parsed.error);
  return accept(flow, state, current, parsed.value, ctx, parsed.warning);
}

/** Longer texts at a prose step are content even when they ask something ("能否延期到9月？"). */
const PROSE_QUESTION_MAX = 15;

/**
 * A greeting, question or placeholder typed at a step is never an answer: it gets a message saying
 * what to type (the step then asks again). "无" at an optional step means skip.
 */
function refuseNonAnswer(s: Step, text: string, a: Answers, ctx: FlowContext): string | "skip" | undefined {
  const n = nonAnswer(text);
  if (!n) return undefined;
  if (n.kind === "none" && s.optional) return "skip";
  if (n.kind === "question" && s.prose && n.text.length > PROSE_QUESTION_MAX) return undefined;
  const help = s.help?.(a, ctx) ?? (s.kind === "multi" ? "请点击下方按钮勾选，选好后点“完成”。" : s.kind === "choice" ? "请点击下方按钮选择。" : "");
  return nonAnswerMessage(n, stepLabel(s, a, ctx), help);
}

type Interpreted = Parsed | { toggled: string[] };

/** A multi-choice step's ticks: those being made, else the saved answer (when editing it). */
function tickedOf(state: FlowState, stepId: string): string[] {
  const saved = state.answers[stepId];
  return state.ticked ?? (Array.isArray(saved) ? (saved as string[]) : []);
}

function interpret(s: Step, state: FlowState, input: Input, ctx: FlowContext): Interpreted {
  const a = state.answers;
  const options = s.options?.(a, ctx) ?? [];
  const checked = (value: unknown): Parsed => (s.check ? s.check(value, a, ctx) : { ok: true, value });
  switch (input.type) {
    case "pick": {
      const o = options[input.index];
      if (!o || s.kind === "multi") return { ok: false, error: "这个按钮已过期，请在最新的消息中选择。" };
      return checked(s.kind === "number" ? Number(o.value) : o.value);
    }
    case "toggle": {
      const o = options[input.index];
      if (!o || s.kind !== "multi") return { ok: false, error: "这个按钮已过期，请在最新的消息中选择。" };
      const ticked = new Set(tickedOf(state, s.id));
      if (ticked.has(o.value)) ticked.delete(o.value);
      else ticked.add(o.value);
      return { toggled: options.map((x) => x.value).filter((v) => ticked.has(v)) };
    }
    case "done":
      if (s.kind !== "multi") return { ok: false, error: "这个按钮已过期，请在最新的消息中选择。" };
      return checked(tickedOf(state, s.id));
    case "text": {
      const text = input.text.trim();
      // A button's label typed out (按指南 15天, 同项目负责人（张三）) means that button.
      const typedButton = s.kind !== "choice" && s.kind !== "multi" ? options.find((o) => o.label === text) : undefined;
      if (typedButton) return checked(s.kind === "number" ? Number(typedButton.value) : typedButton.value);
      if (s.parse) return s.parse(text, a, ctx);
      const hit = matchOption(options, text);
      if (hit && s.kind === "choice") return checked(hit.value);
      const hint = s.kind === "multi" ? "请点击下方按钮勾选，选好后点“完成”。" : "请点击下方按钮选择。";
      return { ok: false, error: hint };
    }
    default:
      return { ok: false, error: "请先回答当前问题。" };
  }
}

/**
 * Whether a typed text could be the answer to the state's step: any text at a text step, but at a
 * button step only a button's label typed out (so "我是小学心理老师 教龄4年" there is a new question).
 */
export function couldAnswer(flow: Flow, state: FlowState, text: string, ctx: FlowContext): boolean {
  const s = flow.steps.find((x) => x.id === state.at);
  if (!s || (s.kind !== "choice" && s.kind !== "multi") || s.parse) return true;
  return matchOption(s.options?.(state.answers, ctx) ?? [], text.trim()) !== undefined || nonAnswer(text) !== undefined;
}

/** A typed answer to a choice step: the exact label, or the only label containing it. */
function matchOption(options: Option[], text: string): Option | undefined {
  const exact = options.find((o) => o.label === text || o.value === text);
  if (exact) return exact;
  const partial = text ? options.filter((o) => o.label.includes(text)) : [];
  return partial.length === 1 ? partial[0] : undefined;
}

function accept(flow: Flow, state: FlowState, s: Step, value: unknown, ctx: FlowContext, warning?: string): StepResult {
  let answers: Answers = { ...state.answers, [s.id]: value };
  if (s.resets && state.answers[s.id] !== value) for (const id of s.resets) delete answers[id];
  answers = pruneAnswers(flow, answers, ctx);
  const crossError = crossCheckError(flow, s.id, answers, ctx);
  if (crossError) return reject(flow, state, ctx, crossError);
  const dropped = dropUnfitting(flow, s.id, answers, state.answers, ctx);
  if (dropped.length) answers = pruneAnswers(flow, answers, ctx);
  const trail = [...state.trail.filter((id) => id !== s.id && !dropped.some((d) => d.id === id)), s.id];
  const at = nextStepId(flow, answers, ctx);
  const next: FlowState = { at, answers, trail, ...(state.editing && at !== SUMMARY ? { editing: true } : {}) };
  const lead = warning ? [`⚠️ ${escapeHtml(warning)}`] : [];
  if (dropped.length) lead.push(`🔄 以下内容与新的选择不再相符，需要重新填写：\n${dropped.map((d) => `• ${escapeHtml(d.reason)}`).join("\n")}`);
  if (at === DONE) return { state: next, replies: lead.length ? [{ text: lead.join("\n") }] : [], effect: { type: "completed", answers } };
  return { ...present(flow, next, ctx, lead), effect: { type: "answered", stepId: s.id } };
}

/** The first rule across answers that the new answer to `changed` breaks. */
function crossCheckError(flow: Flow, changed: string, a: Answers, ctx: FlowContext): string | undefined {
  for (const c of flow.crossChecks ?? []) {
    if (!c.fields.includes(changed)) continue;
    const error = c.check(a, ctx);
    if (error) return error;
  }
  return undefined;
}

/**
 * After `changed` was answered, every other saved answer that no longer holds is removed from `a`
 * (in place) so its step is asked again: the step's own fits(), and for choices, values no longer offered.
 */
function dropUnfitting(flow: Flow, changed: string, a: Answers, before: Answers, ctx: FlowContext): { id: string; reason: string }[] {
  if (before[changed] === a[changed]) return [];
  const dropped: { id: string; reason: string }[] = [];
  for (const s of flow.steps) {
    if (s.id === changed || !(s.id in a) || a[s.id] === null) continue;
    const reason = unfitReason(s, a[s.id], a, ctx, before);
    if (!reason) continue;
    delete a[s.id];
    dropped.push({ id: s.id, reason });
  }
  return dropped;
}

function unfitReason(s: Step, value: unknown, a: Answers, ctx: FlowContext, before: Answers): string | undefined {
  return s.fits?.(value, a, ctx, before);
}

/**
 * A fits() for choice and multi steps whose options depend on earlier answers (the subjects of a row):
 * a saved value no longer offered is asked again. Opt-in, because some flows narrow their options as
 * answers come in (资格自测) without the earlier answers becoming wrong.
 */
export function stillOffered(label: string, options: (a: Answers, ctx: FlowContext) => Option[]): NonNullable<Step["fits"]> {
  return (value, a, ctx) => {
    const offered = new Set(options(a, ctx).map((o) => o.value));
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    return values.every((v) => offered.has(String(v))) ? undefined : `${label}：原选择不在新的选项中`;
  };
}

function back(flow: Flow, state: FlowState, ctx: FlowContext): StepResult {
  if (state.editing) return present(flow, { at: nextStepId(flow, state.answers, ctx), answers: state.answers, trail: state.trail }, ctx, []);
  const trail = [...state.trail];
  const previous = trail.pop();
  if (!previous) return reject(flow, state, ctx, "已经是第一步了。");
  const answers = { ...state.answers };
  delete answers[previous];
  return present(flow, { at: previous, answers, trail }, ctx, []);
}

function edit(flow: Flow, state: FlowState, stepId: string, ctx: FlowContext): StepResult {
  const s = stepById(flow, stepId);
  if (!s || !applies(s, state.answers, ctx) || !(stepId in state.answers)) return reject(flow, state, ctx, "这一项现在不能修改。");
  // The old answer stays until a new one is accepted, so cancelling an edit loses nothing.
  const current = formatAnswer(s, state.answers[stepId], state.answers, ctx);
  return present(flow, { at: stepId, answers: state.answers, trail: state.trail, editing: true }, ctx, [`当前：${current}`]);
}

function reject(flow: Flow, state: FlowState, ctx: FlowContext, error: string): StepResult {
  return { ...present(flow, state, ctx, [`❗ ${escapeHtml(error)}`]), rejected: true };
}

/** The message that asks the current step (or shows the summary), with its buttons. */
function present(flow: Flow, state: FlowState, ctx: FlowContext, lead: string[]): StepResult {
  if (state.at === SUMMARY) return { state, replies: [{ text: [...lead, summaryText(flow, state.answers, ctx)].join("\n\n"), buttons: summaryButtons(flow, state.answers, ctx) }] };
  const s = stepById(flow, state.at);
  if (!s) return { state, replies: lead.length ? [{ text: lead.join("\n") }] : [] };
  const options = s.options?.(state.answers, ctx) ?? [];
  const ticked = new Set(tickedOf(state, s.id));
  const choices: Button[] = options.map((o, index) =>
    s.kind === "multi" ? { label: `${ticked.has(o.value) ? "✅" : "⬜"} ${o.label}`, input: { type: "toggle", index } } : { label: o.label, input: { type: "pick", index } },
  );
  const rows = chunk(choices, s.kind === "number" ? 4 : buttonsPerRow(options));
  if (s.kind === "multi") rows.push([{ label: NAV.done, input: { type: "done" } }]);
  const nav: Button[] = [];
  if (state.trail.length > 0 || state.editing) nav.push({ label: NAV.back, input: { type: "back" } });
  if (s.optional) nav.push({ label: NAV.skip, input: { type: "skip" } });
  nav.push({ label: NAV.cancel, input: { type: "cancel" } });
  rows.push(nav);
  const progress = stepProgress(flow, state, ctx);
  return { state, replies: [{ text: [...lead, `${progress}${s.prompt(state.answers, ctx)}`].join("\n\n"), buttons: rows, asks: s.kind }] };
}

function chunk<T>(items: T[], size: number): T[][] {
  const rows: T[][] = [];
  for (let i = 0; i < items.length; i += size) rows.push(items.slice(i, i + size));
  return rows;
}

/** Short labels share a row so a long list still fits a phone screen. */
function buttonsPerRow(options: Option[]): number {
  const longest = Math.max(0, ...options.map((o) => o.label.length));
  return longest <= 4 ? 3 : longest <= 8 ? 2 : 1;
}

function stepProgress(flow: Flow, state: FlowState, ctx: FlowContext): string {
  if (!flow.review) return "";
  const applicable = flow.steps.filter((s) => applies(s, state.answers, ctx) || s.id === state.at);
  const index = applicable.findIndex((s) => s.id === state.at);
  return index < 0 ? "" : `<i>第${index + 1}/${applicable.length}步</i>\n`;
}

export function formatAnswer(s: Step, value: unknown, a: Answers, ctx: FlowContext): string {
  if (value === null || value === undefined) return "（未填）";
  if (s.format) return s.format(value, a, ctx);
  // A typed answer reads as typed, even where a button offered the same value (同项目负责人（张三）).
  if (s.kind === "text" || s.kind === "date") return escapeHtml(String(value));
  const options = s.options?.(a, ctx) ?? [];
  if (Array.isArray(value)) return value.length ? value.map((v) => options.find((o) => o.value === v)?.label ?? String(v)).join("、") : "无";
  return escapeHtml(options.find((o) => o.value === value)?.label ?? String(value));
}

function summaryText(flow: Flow, a: Answers, ctx: FlowContext): string {
  const lines = flow.steps.filter((s) => s.id in a).map((s) => `• ${escapeHtml(stepLabel(s, a, ctx))}：${formatAnswer(s, a[s.id], a, ctx)}`);
  const extra = flow.summaryExtra?.(a, ctx);
  return [`<b>请核对${escapeHtml(flow.title)}</b>`, lines.join("\n"), ...(extra ? [extra] : [])].join("\n\n");
}

function summaryButtons(flow: Flow, a: Answers, ctx: FlowContext): Button[][] {
  const edits = flow.steps.filter((s) => s.id in a && applies(s, a, ctx)).map((s) => ({ label: `✏️ ${stepLabel(s, a, ctx)}`, input: { type: "edit", stepId: s.id } as Input }));
  const rows: Button[][] = [];
  for (let i = 0; i < edits.length; i += 2) rows.push(edits.slice(i, i + 2));
  rows.push([{ label: NAV.confirm, input: { type: "confirm" } }], [{ label: NAV.cancel, input: { type: "cancel" } }]);
  return rows;
}

/** Exposed for transports that render a reply list. */
export function textOf(replies: Reply[]): string {
  return replies.map((r) => r.text).join("\n\n");
}
