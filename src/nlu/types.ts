import type { Profile } from "../domain/profile.js";
import type { BudgetQuantities } from "../domain/budget.js";
import type { Plan } from "../knowledge/schema.js";

/** Which fact of a sub-project a question asks for. */
export type FactKind =
  | "overview" // no specific fact: show the card
  | "quota" // 计划培训多少人 / 多少县、校
  | "schedule" // 培训时间: days, hours and their parts
  | "funding" // 经费标准
  | "audience" // 培训对象 / 遴选条件
  | "goal" // 培训目标
  | "phases" // 培训环节
  | "implementer" // 实施单位 / 谁来申报
  | "cycle" // 周期, 新设/设立年份
  | "discrepancy"; // 正文与附件不一致之处

export interface Candidate {
  subProjectId: string;
  /** 0 (best) .. 1, as fuse.js scores; exact name/alias hits are 0. */
  score: number;
  /** The row the question names, if any (e.g. 小学骨干教师, 足球教师). */
  rowId?: string;
}

/** What the reader could not place or must ask, besides the profile. */
export interface ReadingNotes {
  unplaced: string[];
  membership: { term: string; say: string; projects: string[] }[];
  postAsks: string[];
  deputy: boolean;
  /** Years typed after a post the reader could not place ("保育员 5年"). */
  looseYears?: string;
  /** "再干两年": the years supposed, as said. */
  supposed?: string;
}

/** The conversation so far, kept in the user's session: what a follow-up ("那要培训几天") refers to. */
export interface Topic {
  subProjectId?: string;
  rowId?: string;
  /** The quantities of the last budget, so "那3年一共多少" can recompute it. */
  budget?: BudgetQuantities;
  /** The last described profile. */
  profile?: Profile;
  /** The fact last answered (funding: "那2个县呢" is then a budget). */
  fact?: FactKind;
  /** Several sub-projects the last answer presented as fitting: "这个培训几天" then asks which one. */
  among?: string[];
}

/** A question about the plans as a whole. */
export type PlanQuestion =
  | { ask: "categories"; plan?: Plan }
  | { ask: "subprojects"; plan?: Plan }
  /** Planned people summed over a plan's sub-projects (or both plans), or only those of one cycle length. */
  | { ask: "quota"; plan?: Plan; years?: number }
  | { ask: "cycle"; years: number; plan?: Plan }
  | { ask: "established"; year: number; plan?: Plan }
  | { ask: "plans" }
  /** "哪些项目有经费标准" (given) or "…没有经费标准" (not given). */
  | { ask: "funding"; given: boolean }
  | { ask: "list"; plan: Plan }
  | { ask: "compare"; ids: [string, string] }
  /** The planned head-counts of named sub-projects added up ("县骨地骨加起来一共培训多少人"). */
  | { ask: "quotaOf"; ids: string[] }
  /** Which sub-projects an implementer phrase applies to ("哪些项目协同区外院校实施"). */
  | { ask: "implementer"; words: string[] }
  /** The sub-project that plans to train the most people ("国培里培训人数最多的是哪个"). */
  | { ask: "largest"; plan?: Plan; least?: boolean }
  /** Which sub-projects have a schedule part ("有异步学习要求的是哪几个项目"), by a word of its label. */
  | { ask: "schedulePart"; word: string }
  /** Which sub-projects are for a kind of person ("哪些项目面向幼儿园老师", "有哪些项目是给校长的"). */
  | { ask: "audience"; profile: Profile; plan?: Plan }
  /** Which sub-projects a phrase of the audience or a condition belongs to ("哪些项目要求工作业绩突出"). */
  | { ask: "condition"; phrase: string }
  /**
   * One category of a plan ("重点区域帮扶培训包括啥项目", "骨干校园长这一大类四个项目总共培训多少人"): its
   * sub-projects, their total planned head-count when asked, those of one cycle length when asked.
   */
  | { ask: "category"; category: string; total?: boolean; years?: number }
  /**
   * Which sub-projects have a schedule part of this length ("集中培训7天的都有哪几个项目") or a funding rate of this
   * amount ("经费400元一天的项目都有哪些"); `word` narrows to parts or items whose label has it (集中, 异步).
   */
  | { ask: "amount"; what: "duration" | "rate"; value: number; unit: "天" | "学时"; word?: string }
  /** Which sub-projects have a 培训环节 ("有跟踪指导环节的项目有哪些", "哪些项目有返岗实践或者返岗指导"). */
  | { ask: "phase"; words: string[] }
  /** The category that plans to train the most (or fewest) people ("国培里面哪一类计划培训人最多"). */
  /** Each category's planned people summed: the one with the most (or `least`), or, with `each`, all listed. */
  | { ask: "categoryTotals"; plan?: Plan; least?: boolean; each?: boolean }
  /** One fact of every sub-project, as a list ("每个项目集中培训多少天 给我列个表", "区培六个项目各是几年周期"). */
  | { ask: "each"; fact: "schedule" | "cycle"; plan?: Plan; profile?: Profile; years?: number };

/** What a free-text message means. */
export type Intent =
  | {
      kind: "fact";
      fact: FactKind;
      /** Ranked; the first is the answer when `confident`. */
      candidates: Candidate[];
      confident: boolean;
      /** A schedule part the question names (e.g. 影子学习), by duration id. */
      durationId?: string;
      /** The sub-project came from the conversation, not from the message. */
      fromContext?: boolean;
      /** Further facts asked in the same message ("几天 多少人"), answered after `fact`. */
      also?: FactKind[];
    }
  | {
      kind: "eligibility";
      profile: Profile;
      notes: ReadingNotes;
      /** "能报X吗": X, answered first. */
      target?: Candidate;
      /** "能参加园长培训吗": X names several sub-projects; the answer is a verdict on each of them. */
      among?: { term: string; ids: string[] };
      /** A fact asked in the same message ("…能报吗 要去几天"), answered after the verdict for X or what fits. */
      alsoFact?: FactKind;
      /** "区培能报啥": only that plan's sub-projects are assessed. */
      plan?: Plan;
      /** "要是再干两年呢": `profile` is a supposition on top of `actual`, which stays the person's remembered profile. */
      supposed?: { said: string; actual: Profile };
    }
  | { kind: "budget"; candidates: Candidate[]; confident: boolean; quantities: BudgetQuantities; fromContext?: boolean }
  /**
   * Budgets of several sub-projects summed: each named with its own count ("县骨40人 地骨30人 合计"), or one added
   * to the budget just discussed ("再加上县骨20人呢").
   */
  | { kind: "budgets"; parts: { candidate: Candidate; quantities: BudgetQuantities }[] }
  | { kind: "plan"; question: PlanQuestion }
  /** How to take part: teachers are recommended by their unit, institutions declare. */
  | { kind: "process"; subProjectId?: string }
  /** Something the guide does not say (住宿, 证书, 名单…). */
  | { kind: "unanswered"; topic: string; subProjectId?: string }
  /** A fact asked of no sub-project, with nothing discussed before ("培训多少天"): which one? */
  | { kind: "which"; fact: FactKind }
  /** A bare number or date typed outside a form. */
  | { kind: "number"; text: string }
  /** A request to start something: 我要申报, 帮助, 订阅提醒, 截止日期... */
  | { kind: "command"; command: "start" | "help" | "eligibility" | "projects" | "budget" | "declare" | "subscribe" | "deadlines" | "my" }
  | { kind: "unknown" };
