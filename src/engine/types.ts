/** The vocabulary of the flow engine: flows are data, the engine runs them, transports render them. */
import type { Knowledge } from "../knowledge/schema.js";

export type Answers = Record<string, unknown>;

/** What the engine and the flows may use: no I/O, the clock is passed in. */
export interface FlowContext {
  knowledge: Knowledge;
  now: Date;
  /** IANA time zone for dates, e.g. Asia/Shanghai. */
  timeZone: string;
}

export interface Option {
  value: string;
  label: string;
}

import type { Parsed } from "../domain/parsed.js";
export type { Parsed };

export type StepKind = "choice" | "multi" | "number" | "text" | "date";

export interface Step {
  id: string;
  /** Short name for the summary and the edit buttons. */
  label: string;
  /**
   * The name where it depends on the answers (名校访学 for 领航, 名校观摩 for 地级骨干): the question's own
   * term. Every renderer reads it through stepLabel(), so the summary, the card and the export agree.
   */
  labelFor?(a: Answers, ctx: FlowContext): string;
  /** What to type, with an example: said when a greeting, question or placeholder is typed instead. */
  help?(a: Answers, ctx: FlowContext): string;
  /** Free prose (a note): a question typed here may be the content itself, so only short ones are refused. */
  prose?: boolean;
  kind: StepKind;
  prompt(a: Answers, ctx: FlowContext): string;
  /** Choices for choice/multi steps; quick-pick values for number steps. */
  options?(a: Answers, ctx: FlowContext): Option[];
  /** Validates typed input (number/text/date; also typed choices). The error says what to type. */
  parse?(raw: string, a: Answers, ctx: FlowContext): Parsed;
  /** A choice/multi/number value picked by button; may warn (e.g. above quota). */
  check?(value: unknown, a: Answers, ctx: FlowContext): Parsed;
  optional?: boolean;
  /** The step applies only when this holds (e.g. subjects only for rows that list subjects). */
  when?(a: Answers, ctx: FlowContext): boolean;
  /** Answers that no longer hold when this one changes. */
  resets?: string[];
  /** How the answer reads in the summary. */
  format?(value: unknown, a: Answers, ctx: FlowContext): string;
  /**
   * After another answer changed (`before` → `a`), does this saved answer still hold? A reason if not:
   * the answer is dropped and the step asked again (a partner school that does not fit the new
   * sub-project, days of a different part). Choice and multi steps also drop values no longer offered.
   */
  fits?(value: unknown, a: Answers, ctx: FlowContext, before: Answers): string | undefined;
}

/** A rule across answers (the dates against the days declared): checked whenever one of its fields is answered. */
export interface CrossCheck {
  fields: string[];
  /** Why these answers cannot stand together, saying what to change; undefined when they can. */
  check(a: Answers, ctx: FlowContext): string | undefined;
}

export interface Flow {
  id: string;
  title: string;
  steps: Step[];
  /** Show a check-your-answers summary with 修改 and 确认提交 before completing. */
  review: boolean;
  /** Extra lines under the summary (e.g. the budget). */
  summaryExtra?(a: Answers, ctx: FlowContext): string;
  /** Rules across answers; the answer that would break one is refused and its step asked again. */
  crossChecks?: CrossCheck[];
}

export interface FlowState {
  /** The step being asked, or "summary". */
  at: string;
  answers: Answers;
  /** Steps answered, in order, for 上一步. */
  trail: string[];
  /** A multi-choice step's ticks before 完成. */
  ticked?: string[];
  /** Set while changing one answer from the summary. */
  editing?: boolean;
}

export type Input =
  | { type: "text"; text: string }
  | { type: "pick"; index: number }
  | { type: "toggle"; index: number }
  | { type: "done" }
  | { type: "back" }
  | { type: "skip" }
  | { type: "cancel" }
  | { type: "edit"; stepId: string }
  | { type: "confirm" };

export interface Button {
  label: string;
  /** The engine input this button sends, serialised by the transport. */
  input: Input;
}

export interface Reply {
  /** Telegram HTML (escaped). */
  text: string;
  buttons?: Button[][];
  /** The kind of step this message asks: a transport reads a typed number at a number step as the answer. */
  asks?: StepKind;
}

export type Effect = { type: "completed"; answers: Answers } | { type: "cancelled"; answers: Answers } | { type: "answered"; stepId: string };

export interface StepResult {
  state: FlowState;
  replies: Reply[];
  effect?: Effect;
  /** The input was not accepted (bad value, stale choice): nothing changed. */
  rejected?: boolean;
}
