/**
 * The shape of knowledge/: every fact is data with a citation into the guide.
 * Schemas are strict: an unknown key, a missing citation or a bad unit fails loading.
 */
import { z } from "zod";

const nonEmpty = z.string().trim().min(1);
const wholeNumber = z.number().int().nonnegative();

/**
 * Where a fact stands in the guide.
 * `where` starts with 正文 (the prose) or 附件2 (the two tables); `quote` is the guide's own text,
 * verbatim up to white space, and holds every figure of the fact it cites.
 */
export const Cite = z.strictObject({
  where: z.string().regex(/^(正文|附件2)/, "where must start with 正文 or 附件2"),
  quote: nonEmpty,
  /** The table cell was blank (merged); the value is carried from the filled cell above in the same block. */
  inferred: z.literal(true).optional(),
  /** How we read an ambiguous text, said to users next to the fact. */
  note: nonEmpty.optional(),
});
export type Cite = z.infer<typeof Cite>;

export const CitedText = z.strictObject({ text: nonEmpty, cite: Cite });
export type CitedText = z.infer<typeof CitedText>;

// ---- the profile vocabulary that conditions speak in ----

export const Role = z.enum([
  "teacher", // 教师
  "principal", // 校长 / 园长
  "party_secretary", // 党组织书记
  "trainer", // 培训者（专兼职）
  "researcher", // 教研员
  "education_admin", // 教育行政部门管理人员
  "training_institution_head", // 教师培训机构负责人 / 项目负责人
]);
export type Role = z.infer<typeof Role>;

export const Stage = z.enum(["幼儿园", "小学", "初中", "高中"]);
export type Stage = z.infer<typeof Stage>;

/** Numeric profile fields; a condition bounds them with min and/or max (inclusive). */
export const YearsField = z.enum(["teachingYears", "postYears"]);
export type YearsField = z.infer<typeof YearsField>;

/** Set-valued profile fields; a condition needs any one of the listed tags (tags come from vocabulary.yaml). */
export const TagField = z.enum(["subjects", "honours", "positions", "projects"]);
export type TagField = z.infer<typeof TagField>;

const conditionBase = { text: nonEmpty, cite: Cite };
export const Condition = z.discriminatedUnion("field", [
  z.strictObject({
    field: z.literal("role"),
    oneOf: z.array(Role).min(1),
    /**
     * For these roles the condition is the recommending unit's to decide (数字素养: whether a teacher is in a
     * 学科骨干教师团队, a principal in the 学校管理团队), said as `say`; other roles in oneOf settle it by their role.
     */
    judged: z.strictObject({ roles: z.array(Role).min(1), say: nonEmpty, settledBy: z.array(nonEmpty).default([]) }).optional(),
    ...conditionBase,
  }),
  z.strictObject({ field: z.literal("stage"), oneOf: z.array(Stage).min(1), ...conditionBase }),
  z
    .strictObject({ field: YearsField, min: wholeNumber.optional(), max: wholeNumber.optional(), ...conditionBase })
    .refine((c) => c.min !== undefined || c.max !== undefined, "a years condition needs min or max"),
  z.strictObject({ field: TagField, anyOf: z.array(nonEmpty).min(1), ...conditionBase }),
]);
export type Condition = z.infer<typeof Condition>;

// ---- schedule and money ----

export const TimeUnit = z.enum(["天", "学时"]);
export type TimeUnit = z.infer<typeof TimeUnit>;

/** One part of the yearly schedule, e.g. 集中培训15天, 其中影子学习不少于7天, 异步在线50学时. */
export const Duration = z.strictObject({
  /** Stable id, referenced by funding rates (appliesTo) and by partOf. */
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  /** The guide's wording, e.g. 影子学习. */
  label: nonEmpty,
  unit: TimeUnit,
  /** exact: "15天"; atLeast: "不少于7天"; range: "7-10天" (value..max). */
  bound: z.enum(["exact", "atLeast", "range"]),
  value: wholeNumber,
  max: wholeNumber.optional(),
  /** This part is counted inside another duration (影子学习 inside 集中培训). */
  partOf: z.string().optional(),
  /** Who attends this part when not everyone of the row does (自主选学指导教师团队 vs 全员教师): budgets count them apart. */
  who: nonEmpty.optional(),
  cite: Cite,
});
export type Duration = z.infer<typeof Duration>;

/**
 * Funding units as the guide writes them. 元/天 appears once (顶岗支教 集中培训400元/天) and is read
 * as per person per day; 万/县/年 and 万/校/年 are ten-thousands of yuan per county or school per year.
 */
export const RateUnit = z.enum(["元/人/天", "元/人/学时", "元/天", "万/县/年", "万/校/年"]);
export type RateUnit = z.infer<typeof RateUnit>;

export const Rate = z.strictObject({
  /** The guide's name for the item, e.g. 集中培训, 异步在线培训, 跟岗实践. */
  item: nonEmpty,
  amount: z.number().int().positive(),
  unit: RateUnit,
  /** The schedule duration (by id) whose days or hours this rate multiplies; absent for per-county/school rates. */
  appliesTo: z.string().optional(),
  cite: Cite,
});
export type Rate = z.infer<typeof Rate>;

/**
 * zod reports a failed union as a bare "Invalid input" at the union's path; name the branch the data
 * meant (by its key) and the path inside it instead, e.g. "rates.0.unit: Invalid option: …".
 */
function fundingError(iss: { input?: unknown; errors?: { path: PropertyKey[]; message: string }[][] }): string {
  const input = iss.input;
  const branch = input !== null && typeof input === "object" ? ("rates" in input ? 0 : "none" in input ? 1 : -1) : -1;
  const issues = branch >= 0 ? iss.errors?.[branch] : undefined;
  if (!issues?.length) return "funding needs either rates (a list of rates) or none (why the guide gives no standard)";
  return issues.map((i) => `${i.path.map(String).join(".") || "(funding)"}: ${i.message}`).join("; ");
}

export const Funding = z.union(
  [
    z.strictObject({
      rates: z.array(Rate).min(1),
      /**
       * The row's own cell is blank though its block starts anew beside it (its 实施单位 is written again): the rates
       * are a reading of the merged cell above, not a figure the guide gives. Said first, and a budget from them is
       * for reference only.
       */
      unstated: nonEmpty.optional(),
    }),
    /** The guide gives no standard: say so, never invent one. */
    z.strictObject({ none: nonEmpty }),
  ],
  { error: (iss) => fundingError(iss as Parameters<typeof fundingError>[0]) },
);
export type Funding = z.infer<typeof Funding>;

export const Quota = z.strictObject({
  value: z.number().int().positive(),
  unit: z.enum(["人", "县", "校"]),
  cite: Cite,
});
export type Quota = z.infer<typeof Quota>;

export const CitedList = z.strictObject({ items: z.array(nonEmpty).min(1), cite: Cite });
export type CitedList = z.infer<typeof CitedList>;

/**
 * An audience row: one line of an 附件2 table (or, for sub-projects the tables omit, the prose).
 * Table facts that differ per row (days, funding, implementers) live here.
 */
export const AudienceRow = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  label: nonEmpty,
  source: z.enum(["table", "prose"]),
  audience: CitedText,
  /** Every hard condition must hold. */
  conditions: z.array(Condition),
  /** Any of these makes the candidate 优先推荐; none is required. */
  priority: z.array(Condition).default([]),
  /** Overrides the sub-project schedule where the row gives its own. */
  schedule: z.array(Duration).optional(),
  /** Other time facts of the row that are no billed duration (顶岗置换一学期): shown with the schedule. */
  scheduleNotes: z.array(CitedText).default([]),
  phases: CitedList.optional(),
  implementer: CitedText.optional(),
  funding: Funding,
});
export type AudienceRow = z.infer<typeof AudienceRow>;

export const Discrepancy = z.strictObject({
  topic: nonEmpty,
  readings: z.array(CitedText).min(2),
  /**
   * Eligibility conditions the disagreement bears on (by field, optionally only some rows): a profile failing
   * such a condition is not told 不符 but shown both readings and whom to ask.
   */
  affects: z.array(z.strictObject({ field: z.enum(["role", "stage", "subjects", "teachingYears", "postYears", "honours", "positions", "projects"]), rows: z.array(nonEmpty).optional() })).default([]),
  /** What the bot does about it. */
  note: nonEmpty,
});
export type Discrepancy = z.infer<typeof Discrepancy>;

export const Plan = z.enum(["guopei", "qupei"]);
export type Plan = z.infer<typeof Plan>;

export const SubProject = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  plan: Plan,
  category: z.string(),
  /** Order within its category, as in the guide. */
  order: z.number().int().positive(),
  /** The prose name. */
  name: nonEmpty,
  /** The 附件2 name where it differs. */
  tableName: nonEmpty.optional(),
  /** 简称 and phrasings people use, for search. */
  aliases: z.array(nonEmpty).default([]),
  established: z.strictObject({ year: z.union([z.literal(2023), z.literal(2024)]), label: nonEmpty, cite: Cite }),
  cycle: z.strictObject({ years: z.number().int().positive(), kind: z.enum(["周期性", "短期"]), cite: Cite }),
  audience: CitedText,
  quota: z.array(Quota),
  schedule: z.array(Duration).min(1),
  goal: CitedText,
  phases: CitedList.optional(),
  rows: z.array(AudienceRow).min(1),
  discrepancies: z.array(Discrepancy).default([]),
});
export type SubProject = z.infer<typeof SubProject>;

export const Category = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  /** Numbering in the guide, e.g. （一）. */
  no: nonEmpty,
  name: nonEmpty,
  aliases: z.array(nonEmpty).default([]),
  cite: Cite,
});
export type Category = z.infer<typeof Category>;

export const PlanInfo = z.strictObject({
  id: Plan,
  name: nonEmpty,
  /** Prefix of declaration reference numbers, e.g. GP → GP2024-0001. */
  refPrefix: z.string().regex(/^[A-Z]{2}$/),
  intro: CitedText,
  categories: z.array(Category).min(1),
});
export type PlanInfo = z.infer<typeof PlanInfo>;

export const PlansFile = z.strictObject({ plans: z.array(PlanInfo).length(2) });

/** A tag with its display label and the words people type for it. */
export const VocabularyEntry = z.strictObject({
  id: nonEmpty,
  label: nonEmpty,
  synonyms: z.array(nonEmpty).default([]),
});
export type VocabularyEntry = z.infer<typeof VocabularyEntry>;

/** A regular expression written as a string in YAML, compiled once at load; a bad one fails the load. */
const Pattern = z.string().transform((source, ctx) => {
  try {
    return new RegExp(source);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: `not a regular expression: ${String(error)}` });
    return z.NEVER;
  }
});

export const VocabularyFile = z.strictObject({
  roles: z.array(VocabularyEntry.extend({ id: Role })),
  stages: z.array(VocabularyEntry.extend({ id: Stage })),
  /** stages: where the guide's lists name the subject (科学 only for 小学): at another stage it is said back, not placed. */
  subjects: z.array(VocabularyEntry.extend({ stages: z.array(Stage).optional() })),
  honours: z.array(VocabularyEntry),
  positions: z.array(VocabularyEntry),
  projects: z.array(VocabularyEntry),
  /** Abbreviations and common typos → the guide's words, applied to a message before it is read (县骨, 教领). */
  rewrites: z.array(z.strictObject({ from: nonEmpty, to: nonEmpty, notBefore: z.array(nonEmpty).default([]) })).default([]),
  /** Words in a condition that the recommending unit decides (骨干, 工作业绩突出, 团队): never ticked from a profile. */
  /** settledBy: position tags that settle it when the person states them (师训科 for 教师培训工作部门). */
  judged: z.array(z.strictObject({ term: nonEmpty, say: nonEmpty, settledBy: z.array(nonEmpty).default([]) })).default([]),
  /** Place words that do not make membership of a named list (南疆 is not the 项目县 list): said back and asked. */
  membership: z.array(z.strictObject({ terms: z.array(nonEmpty).min(1), projects: z.array(nonEmpty).min(1), say: nonEmpty })).default([]),
  /** Workplaces that give a role but not the post (在教育局上班): the role is taken, the post is asked unless a settling word is said. */
  workplaces: z.array(z.strictObject({ term: nonEmpty, role: Role, ask: nonEmpty, settledBy: z.array(nonEmpty).default([]) })).default([]),
  /** Schools and stages no sub-project of the guide is for (中职, 中专, 高职): said back, never dropped. */
  outside: z.array(nonEmpty).default([]),
  /** Words of a self-description that carry no profile content; anything else a reader cannot place is said back. */
  fillers: z.array(nonEmpty).default([]),
  /** Questions the guide does not answer (住宿, 证书, 网址…): the bot says so and points to the programme office. */
  unanswered: z
    .array(
      z.strictObject({
        words: z.array(nonEmpty).min(1),
        /** Regular expressions over the question with its spaces removed, for phrasings no word list covers ("导师都是谁"). */
        patterns: z.array(Pattern).default([]),
        topic: nonEmpty,
        /** Phrases that contain a word but ask something the guide answers (什么时候开始的 = when it was set up). */
        except: z.array(nonEmpty).default([]),
        /** A schedule part whose name holds this (在线) answers the question for a sub-project that has one. */
        unlessScheduleHas: nonEmpty.optional(),
      }),
    )
    .default([]),
});
export type Vocabulary = z.infer<typeof VocabularyFile>;

export interface Knowledge {
  plans: PlanInfo[];
  subProjects: SubProject[];
  vocabulary: Vocabulary;
}
