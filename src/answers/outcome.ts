/**
 * What an answer did, next to its HTML: enough to tell, without reading the text, whether the bot
 * answered, asked back, offered candidates or said the guide has nothing — and which sub-projects it
 * presented with which verdict, and which budget it computed. The evaluation harness classifies on
 * this; the bot can log it (questions not understood, unknown terms) without scraping messages.
 */
import type { FactKind } from "../nlu/types.js";

export type OutcomeKind =
  /** A direct answer (a fact, a verdict list, a budget, a plan-level figure, a process answer). */
  | "answer"
  /** A question back: an unknown term said back, a missing count, a list membership to confirm, a bare number. */
  | "clarify"
  /** Several sub-projects offered as buttons. */
  | "candidates"
  /** The guide does not say; the answer says so and points to the programme office. */
  | "not-in-guide"
  /** Nothing understood ("没有找到…", the menu). */
  | "not-understood"
  /** A menu request (帮助, 我要申报 …) started its feature. */
  | "command";

/**
 * eligible: every condition known to pass; conditional: passes except what the recommending unit decides, or
 * rests on a reading to confirm (prose vs table); unit: nothing the person said settles it, only the recommending
 * unit's judgement (数字素养's 团队 membership alone): not a yes; open: still depends on something not yet known;
 * not: fails.
 */
export type VerdictMark = "eligible" | "conditional" | "unit" | "open" | "not";

export interface PresentedSubProject {
  id: string;
  rowId?: string;
  verdict?: VerdictMark;
}

export interface Outcome {
  kind: OutcomeKind;
  /** What the answer is about: a fact kind, eligibility, budget, plan, process, compare, … */
  topic?: FactKind | "eligibility" | "budget" | "plan" | "process" | "compare" | "number" | "command";
  subProjects: PresentedSubProject[];
  /** Budget totals in whole yuan, when one was computed. */
  budget?: { perYear: number; cycle: number; years: number };
  /** Terms the reader could not place, said back to the user. */
  unknownTerms?: string[];
  /** What the answer asks the user for (profile fields, counts, list membership). */
  asks?: string[];
}

export const notUnderstood = (): Outcome => ({ kind: "not-understood", subProjects: [] });
