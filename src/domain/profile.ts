import type { Role, Stage, TagField, YearsField } from "../knowledge/schema.js";

/**
 * What we know about a person asking what they qualify for. Undefined means "not asked yet";
 * an empty list means "asked: none of these".
 */
export interface Profile {
  role?: Role;
  /** Other posts held at the same time ("校长兼书记", "主任也兼培训者"): a role condition passes on any of them. */
  alsoRoles?: Role[];
  /** Years in each post, when several are held and told apart ("书记只干了1年 校长干了7年"). */
  postYearsByRole?: Partial<Record<Role, number>>;
  stage?: Stage;
  subjects?: string[];
  teachingYears?: number;
  postYears?: number;
  honours?: string[];
  positions?: string[];
  projects?: string[];
  /** A deputy's title as said (副校长, 副园长, 副书记): shown for the role; not the 正职 that 附件2's rows ask for. */
  deputy?: string;
  /** Tags the person said they do not hold ("学校不是足球特色学校", "没入选天山英才"): a condition naming only these fails. */
  denied?: Partial<Record<TagField, string[]>>;
}

export type ProfileField = "role" | "stage" | YearsField | TagField;

/** The order in which the guided check asks, and in which missing facts are named. */
export const PROFILE_FIELDS: readonly ProfileField[] = [
  "role",
  "stage",
  "subjects",
  "teachingYears",
  "postYears",
  "positions",
  "honours",
  "projects",
];

export const FIELD_LABELS: Record<ProfileField, string> = {
  role: "身份",
  stage: "学段",
  subjects: "任教学科",
  teachingYears: "教龄",
  postYears: "现岗位任职年限",
  positions: "担任职务",
  honours: "荣誉与称号",
  projects: "所在县市/学校是否属于项目县（校）",
};
