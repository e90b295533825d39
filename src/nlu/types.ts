import type { Profile } from "../domain/profile.js";
import type { BudgetQuantities } from "../domain/budget.js";

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
    }
  | { kind: "eligibility"; profile: Profile }
  | { kind: "budget"; candidates: Candidate[]; confident: boolean; quantities: BudgetQuantities }
  /** A request to start something: 我要申报, 帮助, 订阅提醒, 截止日期... */
  | { kind: "command"; command: "start" | "help" | "eligibility" | "projects" | "budget" | "declare" | "subscribe" | "deadlines" | "my" }
  | { kind: "unknown" };
