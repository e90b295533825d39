/**
 * Simulated users for the benchmarks: each walks journeys the way people do in season — asks
 * questions in Chinese, runs the guided checks (资格自测, 预算测算) by tapping buttons, and fills in a
 * whole declaration (/declare … 确认提交) — deciding each next update from what the bot last showed
 * (the buttons' callback data and the prompt), so the updates are real, valid steps of real flows.
 */
import { readFileSync } from "node:fs";
import type { Update } from "grammy/types";
import { parse } from "yaml";
import { buttonsOf, type InlineButton } from "./fake-api-client.js";

/** What a simulated user needs from a Bot API emulator: what the bot showed, and a way to act. */
export interface Driver {
  outputs(chatId: number): Shown[];
  textUpdate(userId: number, text: string): Update;
  callbackUpdate(userId: number, data: string, messageId: number): Update;
}

export interface Shown {
  seq: number;
  messageId: number;
  text: string;
  buttons: InlineButton[][];
}

export type Category = "free-text" | "guided" | "declaration";
export type Journey = "questions" | "eligibility" | "budget" | "declaration";

export interface Action {
  update: Update;
  category: Category;
  journey: Journey;
}

/** Every phrasing people use in the test tables (free-text.yaml `text`, search-phrasings.yaml `q`). */
export function loadPhrasings(root = new URL("../test/cases/", import.meta.url)): string[] {
  const out: string[] = [];
  for (const [file, field] of [
    ["free-text.yaml", "text"],
    ["search-phrasings.yaml", "q"],
  ] as const) {
    const rows = parse(readFileSync(new URL(file, root), "utf8")) as Record<string, unknown>[];
    for (const r of rows) if (typeof r[field] === "string") out.push(r[field]);
  }
  return out;
}

/** Journey weights chosen so that free text, guided taps and declaration steps each make about a third of the updates. */
export const JOURNEY_WEIGHTS: [Journey, number][] = [
  ["questions", 0.45],
  ["eligibility", 0.15],
  ["budget", 0.15],
  ["declaration", 0.25],
];

const QUESTIONS_PER_JOURNEY = 3;
/** The same prompt this many times in a row: the walker gives up on the journey (counted as stuck). */
const MAX_SAME_PROMPT = 3;

export interface UserStats {
  journeysDone: Record<Journey, number>;
  submitted: number;
  stuck: number;
}

export class SimUser {
  readonly id: number;
  readonly #api: Driver;
  readonly #r: () => number;
  readonly #phrasings: string[];
  readonly stats: UserStats;
  readonly institution: string;
  #journey: Journey | undefined;
  #left = 0;
  #seen = 0;
  #lastPrompt = "";
  #samePrompt = 0;
  #started = false;
  /** References the bot gave this user for submitted declarations. */
  readonly refs: string[] = [];

  readonly #weights: [Journey, number][];

  /** `weights` picks the journeys (default JOURNEY_WEIGHTS); e.g. [["declaration", 1]] only declares. */
  constructor(id: number, api: Driver, r: () => number, phrasings: string[], stats?: UserStats, weights: [Journey, number][] = JOURNEY_WEIGHTS) {
    this.id = id;
    this.#api = api;
    this.#r = r;
    this.#phrasings = phrasings;
    this.#weights = weights;
    this.stats = stats ?? { journeysDone: { questions: 0, eligibility: 0, budget: 0, declaration: 0 }, submitted: 0, stuck: 0 };
    this.institution = `新疆测试师范学院${id.toString(36).toUpperCase()}分院`;
  }

  /** The journey under way, if any. */
  get journey(): Journey | undefined {
    return this.#journey;
  }

  /** What the user does next, given what the bot has shown since the last action. */
  next(): Action {
    const fresh = this.#api.outputs(this.id).filter((o) => o.seq > this.#seen);
    this.#seen = this.#api.outputs(this.id).at(-1)?.seq ?? this.#seen;
    for (let guard = 0; guard < 3; guard++) {
      if (!this.#journey) this.#begin();
      const action = this.#step(fresh);
      if (action) return action;
      this.#finish();
      fresh.length = 0;
    }
    return this.#text("/start", "free-text");
  }

  #begin(): void {
    const total = this.#weights.reduce((sum, [, w]) => sum + w, 0);
    let x = this.#r() * total;
    this.#journey = this.#weights.find(([, w]) => (x -= w) < 0)?.[0] ?? this.#weights[0]![0];
    this.#left = QUESTIONS_PER_JOURNEY;
    this.#started = false;
    this.#samePrompt = 0;
    this.#lastPrompt = "";
  }

  #finish(): void {
    if (this.#journey) this.stats.journeysDone[this.#journey]++;
    this.#journey = undefined;
  }

  #text(text: string, category: Category): Action {
    return { update: this.#api.textUpdate(this.id, text), category, journey: this.#journey ?? "questions" };
  }

  #tap(o: Shown, data: string, category: Category): Action {
    return { update: this.#api.callbackUpdate(this.id, data, o.messageId), category, journey: this.#journey ?? "questions" };
  }

  #step(fresh: Shown[]): Action | undefined {
    const journey = this.#journey!;
    if (journey === "questions") {
      if (!this.#started) {
        this.#started = true;
        return this.#text("/start", "free-text");
      }
      if (this.#left-- <= 0) return undefined;
      return this.#text(this.#phrasings[Math.floor(this.#r() * this.#phrasings.length)]!, "free-text");
    }
    const category: Category = journey === "declaration" ? "declaration" : "guided";
    if (!this.#started) {
      this.#started = true;
      return this.#text(`/${journey === "eligibility" ? "eligibility" : journey === "budget" ? "budget" : "declare"}`, category);
    }
    for (const o of fresh) {
      const ref = /申报编号：(\S+?)(?:\s|$)/.exec(o.text)?.[1];
      if (ref) {
        this.refs.push(ref);
        this.stats.submitted++;
        return undefined;
      }
    }
    // The newest message that carries flow buttons (f|nonce|…) is the step being asked.
    const last = fresh.at(-1);
    const flowMsg = [...fresh].reverse().find((o) => buttonsOf(o).some((b) => b.callback_data.startsWith("f|")));
    if (!flowMsg) {
      // /declare with drafts left: start a new one.
      const fresh1 = buttonsOf(last).find((b) => b.callback_data === "dc|new");
      if (journey === "declaration" && fresh1 && last) return this.#tap(last, fresh1.callback_data, category);
      return undefined; // the flow ended (result shown)
    }
    if (flowMsg.text === this.#lastPrompt) {
      if (++this.#samePrompt >= MAX_SAME_PROMPT) {
        this.stats.stuck++;
        const cancel = buttonsOf(flowMsg).find((b) => b.callback_data.endsWith("|c"));
        return cancel ? this.#tap(flowMsg, cancel.callback_data, category) : this.#text("/cancel", category);
      }
    } else {
      this.#samePrompt = 0;
      this.#lastPrompt = flowMsg.text;
    }
    const buttons = buttonsOf(flowMsg).filter((b) => b.callback_data.startsWith("f|"));
    const code = (b: { callback_data: string }) => b.callback_data.split("|")[2] ?? "";
    const confirm = buttons.find((b) => code(b) === "k");
    if (confirm) return this.#tap(flowMsg, confirm.callback_data, category);
    const toggles = buttons.filter((b) => /^t\d+$/.test(code(b)));
    if (toggles.length) {
      const done = buttons.find((b) => code(b) === "d")!;
      if (journey !== "declaration" || toggles.some((b) => b.text.startsWith("✅"))) return this.#tap(flowMsg, done.callback_data, category);
      return this.#tap(flowMsg, toggles[Math.floor(this.#r() * toggles.length)]!.callback_data, category);
    }
    const picks = buttons.filter((b) => /^p\d+$/.test(code(b)));
    if (picks.length) return this.#tap(flowMsg, picks[Math.floor(this.#r() * picks.length)]!.callback_data, category);
    const skip = buttons.find((b) => code(b) === "s");
    if (skip) return this.#tap(flowMsg, skip.callback_data, category);
    return this.#text(this.#answer(flowMsg.text), category);
  }

  /** A valid answer to a typed step, by its prompt. */
  #answer(prompt: string): string {
    const year = new Date().getFullYear() + 2;
    const rules: [RegExp, () => string][] = [
      [/牵头申报单位/, () => this.institution],
      // Partners of the kind the row's 协同 phrase names (the form refuses others).
      [/协同实施的.*(高等院校|教师培训机构)/, () => "北京师范大学、华东师范大学"],
      [/协同实施的.*教育行政部门/, () => "和田县教育局"],
      [/协同实施的.*中小学/, () => "乌鲁木齐市第一小学、昌吉州实验小学"],
      [/协同实施的.*中学/, () => "乌鲁木齐市第一中学、昌吉州第二中学"],
      [/协同实施的.*幼儿园/, () => "昌吉州第一幼儿园"],
      [/协同实施/, () => "乌鲁木齐市第一小学、昌吉州实验小学"],
      [/项目负责人姓名/, () => "张三"],
      [/联系人姓名/, () => "李四"],
      [/手机号/, () => `139${String(this.id % 1e8).padStart(8, "0")}`],
      [/邮箱/, () => `u${this.id}@xjnu.edu.cn`],
      [/开始日期/, () => `${year}-09-01`],
      // A year later: the dates must hold every day declared, and typed day counts go up to 119.
      [/结束日期/, () => `${year + 1}-08-31`],
      [/多少个县/, () => "2"],
      [/多少所学校/, () => "3"],
    ];
    return rules.find(([re]) => re.test(prompt))?.[1]() ?? String(20 + Math.floor(this.#r() * 100));
  }
}
