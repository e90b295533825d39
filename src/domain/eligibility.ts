/**
 * Who qualifies for what, and why. Every condition of every audience row is checked against the
 * profile and yields pass, fail or unknown with its citation, so an answer can always show its reasons.
 */
import type { AudienceRow, Condition, Discrepancy, Knowledge, Role, SubProject, Vocabulary } from "../knowledge/schema.js";
import { PROFILE_FIELDS, type Profile, type ProfileField } from "./profile.js";

/** disputed: fails on a condition the guide's prose and tables disagree about (both readings are shown). */
export type CheckStatus = "pass" | "fail" | "unknown" | "disputed";

export interface Check {
  condition: Condition;
  status: CheckStatus;
  /** A passing condition whose key part the recommending unit decides (骨干, 工作业绩突出, 团队): what it decides. */
  judged?: string;
  /** The disagreement a disputed check rests on. */
  discrepancy?: Discrepancy;
  /**
   * The person did not say it; it passes only as the unit's to decide (名师名校长 for a plain 校长 asking about 领航):
   * the row then rests on the unit, it is not a yes.
   */
  unstated?: boolean;
}

/**
 * eligible_priority: eligible and meets a 优先推荐 condition. disputed: would fail only on conditions where
 * prose and table disagree — neither a yes nor a no.
 */
export type VerdictKind = "eligible_priority" | "eligible" | "needs_info" | "disputed" | "not_eligible";

/** What assessing needs besides the profile: the unit-decided words, and the sub-project's discrepancies. */
export interface AssessContext {
  judged?: Vocabulary["judged"];
  discrepancies?: Discrepancy[];
  /**
   * An unknown designation the unit confers (名师名校长) counts as the unit's to decide: only when the person asks
   * about that one sub-project ("高中书记能参加领航吗"); in a list it stays an open question, so 领航 is not
   * offered to every teacher.
   */
  judgeUnknown?: boolean;
}

export interface RowVerdict {
  row: AudienceRow;
  kind: VerdictKind;
  checks: Check[];
  priorityChecks: Check[];
  /** Profile fields whose answer would settle an unknown hard condition. */
  missing: ProfileField[];
  /** How many more years would make this row pass, when that is all it lacks. */
  nearMiss?: NearMiss;
  /** What the recommending unit decides for this row (from its passing conditions). */
  judged: string[];
}

export interface NearMiss {
  field: "teachingYears" | "postYears";
  yearsShort: number;
  condition: Condition;
}

export interface Verdict {
  subProject: SubProject;
  kind: VerdictKind;
  /** The row that decides the verdict (the best one for this profile). */
  best: RowVerdict;
  rows: RowVerdict[];
  missing: ProfileField[];
  nearMiss?: NearMiss;
}

/** A near miss is worth telling when the person is at most this many years short. */
const NEAR_MISS_YEARS = 3;

const RANK: Record<VerdictKind, number> = { eligible_priority: 0, eligible: 1, needs_info: 2, disputed: 3, not_eligible: 4 };

/** Every post the person holds: the main one and those held with it (兼). */
export const rolesOf = (p: Profile): Role[] => (p.role === undefined ? [] : [p.role, ...(p.alsoRoles ?? [])]);

export function checkCondition(c: Condition, p: Profile): CheckStatus {
  switch (c.field) {
    case "role":
      return p.role === undefined ? "unknown" : rolesOf(p).some((r) => c.oneOf.includes(r)) ? "pass" : "fail";
    case "stage":
      return p.stage === undefined ? "unknown" : c.oneOf.includes(p.stage) ? "pass" : "fail";
    case "teachingYears":
    case "postYears": {
      const v = p[c.field];
      if (v === undefined) return "unknown";
      return (c.min === undefined || v >= c.min) && (c.max === undefined || v <= c.max) ? "pass" : "fail";
    }
    case "subjects":
    case "honours":
    case "positions":
    case "projects": {
      const v = p[c.field];
      if (v?.some((t) => c.anyOf.includes(t))) return "pass";
      // denied ("不是足球特色学校") is known, though nothing else was said
      if (c.anyOf.every((t) => p.denied?.[c.field]?.includes(t))) return "fail";
      return v === undefined ? "unknown" : "fail";
    }
  }
}

/** A near miss only when everything else is known to pass: no "再有1年" resting on an unknown subject. */
function nearMissOf(checks: Check[], p: Profile): NearMiss | undefined {
  if (checks.some((c) => c.status === "unknown" || c.status === "disputed")) return undefined;
  const failed = checks.filter((c) => c.status === "fail");
  const only = failed[0];
  if (failed.length !== 1 || !only) return undefined;
  const c = only.condition;
  if ((c.field !== "teachingYears" && c.field !== "postYears") || c.min === undefined) return undefined;
  const have = p[c.field];
  if (have === undefined || have >= c.min) return undefined;
  const yearsShort = c.min - have;
  return yearsShort <= NEAR_MISS_YEARS ? { field: c.field, yearsShort, condition: c } : undefined;
}

/** What a deputy (副校长) meeting a plain 校长 condition is told: the guide does not say whether a 副职 counts, so the unit decides. */
export const DEPUTY_JUDGED = "副职是否算在内";

/** The person stated one of these posts (师训科, 学校管理团队), which settles what the unit would otherwise decide. */
const statedPost = (p: Profile, tags: string[]) => tags.some((t) => p.positions?.includes(t));

function checkOf(condition: Condition, p: Profile, row: AudienceRow, ctx: AssessContext): Check {
  let status = checkCondition(condition, p);
  // other honours told (天山英才, 学科名师) do not say a designation the unit confers (名师名校长) is lacking: only
  // "none" does. It stays open in a list, and is the unit's to decide when asked about (below).
  if (status === "fail" && condition.field === "honours" && (p.honours?.length ?? 0) > 0) {
    const conferred = ctx.judged?.some((x) => condition.anyOf.some((t) => t.includes(x.term)));
    if (conferred) status = "unknown";
  }
  if (status === "fail") {
    const d = ctx.discrepancies?.find((x) => x.affects.some((a) => a.field === condition.field && (!a.rows || a.rows.includes(row.id))));
    if (d) return { condition, status: "disputed", discrepancy: d };
  }
  // a condition that says for which roles the unit decides it: those are the unit's, the others settle by role
  if (condition.field === "role" && condition.judged && status === "pass") {
    const j = condition.judged;
    // judged only when every post the person holds that fits the condition is one the unit decides for
    const fitting = rolesOf(p).filter((r) => condition.oneOf.includes(r));
    return fitting.every((r) => j.roles.includes(r)) && !statedPost(p, j.settledBy) ? { condition, status, judged: j.say } : { condition, status };
  }
  // a 副校长 against "校长": met only through the deputy post, which the guide neither includes nor excludes
  if (condition.field === "role" && status === "pass" && p.deputy && p.role && !condition.text.includes("副")) {
    const through = rolesOf(p).filter((r) => condition.oneOf.includes(r));
    if (through.length === 1 && through[0] === p.role) return { condition, status, judged: DEPUTY_JUDGED };
  }
  // what the recommending unit decides (骨干, 名师名校长…) is neither ticked nor asked: it is said to be the unit's
  if (status === "pass" || (ctx.judgeUnknown && status === "unknown" && condition.field === "honours")) {
    const j = ctx.judged?.find((x) =>
      status === "pass" ? condition.text.includes(x.term) : condition.field === "honours" && condition.anyOf.some((t) => t.includes(x.term)),
    );
    if (j && !statedPost(p, j.settledBy)) return { condition, status: "pass", judged: j.say, ...(status === "unknown" ? { unstated: true } : {}) };
  }
  return { condition, status };
}

/** A passing check that rests on something the person said, not on the unit's judgement of a role (骨干, 团队). */
export const settles = (c: Check): boolean => c.status === "pass" && !(c.judged && c.condition.field === "role");

/**
 * An eligible row that rests on what the recommending unit decides and the person did not say: nothing they said
 * settles it (数字素养 for a teacher: whether they are in a 学科骨干教师团队), or one of its conditions is a
 * designation they never claimed (a plain 校长 against 领航's 名校长). Either way it is not a yes.
 */
export const restsOnUnit = (v: RowVerdict): boolean =>
  (v.kind === "eligible" || v.kind === "eligible_priority") && v.judged.length > 0 && (!v.checks.some(settles) || v.checks.some((c) => c.unstated));

/**
 * The profile as one row sees it: with several posts told apart by years, the row counts the years of the post it
 * is for (the longest, when it is for more than one of them), and none when only another post's years were told.
 */
export function forRow(row: AudienceRow, p: Profile): Profile {
  if (!p.postYearsByRole) return p;
  const role = row.conditions.find((c) => c.field === "role");
  const held = rolesOf(p).filter((r) => !role || (role.field === "role" && role.oneOf.includes(r)));
  const years = held.map((r) => p.postYearsByRole![r]).filter((y): y is number => y !== undefined);
  if (years.length) return { ...p, postYears: Math.max(...years) };
  // years were told post by post and not for this row's post: unknown here, not the other post's years
  const { postYears: _otherPosts, ...rest } = p;
  return rest;
}

export function assessRow(row: AudienceRow, person: Profile, ctx: AssessContext = {}): RowVerdict {
  const p = forRow(row, person);
  const checks = row.conditions.map((condition) => checkOf(condition, p, row, ctx));
  const priorityChecks = row.priority.map((condition) => ({ condition, status: checkCondition(condition, p) }));
  const missing = [...new Set(checks.filter((c) => c.status === "unknown").map((c) => c.condition.field))];
  let kind: VerdictKind;
  if (checks.some((c) => c.status === "fail")) kind = "not_eligible";
  else if (checks.some((c) => c.status === "disputed")) kind = "disputed";
  else if (missing.length > 0) kind = "needs_info";
  else kind = priorityChecks.some((c) => c.status === "pass") ? "eligible_priority" : "eligible";
  const nearMiss = kind === "not_eligible" ? nearMissOf(checks, p) : undefined;
  const judged = [...new Set(checks.flatMap((c) => (c.judged ? [c.judged] : [])))];
  return { row, kind, checks, priorityChecks, missing: sortFields(missing), judged, ...(nearMiss ? { nearMiss } : {}) };
}

function failures(v: RowVerdict): number {
  return v.checks.filter((c) => c.status === "fail").length;
}

/** Best row first: by verdict, then a near miss before a plain failure, then fewer failures. */
function compareRows(a: RowVerdict, b: RowVerdict): number {
  return RANK[a.kind] - RANK[b.kind] || Number(restsOnUnit(a)) - Number(restsOnUnit(b)) || Number(!a.nearMiss) - Number(!b.nearMiss) || failures(a) - failures(b);
}

function sortFields(fields: Iterable<ProfileField>): ProfileField[] {
  const set = new Set(fields);
  return PROFILE_FIELDS.filter((f) => set.has(f));
}

export function assessSubProject(sp: SubProject, p: Profile, judged?: Vocabulary["judged"], judgeUnknown = false): Verdict {
  const rows = sp.rows.map((r) => assessRow(r, p, { discrepancies: sp.discrepancies, judgeUnknown, ...(judged ? { judged } : {}) }));
  const best = [...rows].sort(compareRows)[0]!;
  const missing = best.kind === "needs_info" ? sortFields(rows.filter((r) => r.kind === "needs_info").flatMap((r) => r.missing)) : [];
  return { subProject: sp, kind: best.kind, best, rows, missing, ...(best.nearMiss ? { nearMiss: best.nearMiss } : {}) };
}

/** One verdict per sub-project, best first, in guide order within a verdict. */
export function assess(k: Knowledge, p: Profile): Verdict[] {
  const verdicts = k.subProjects.map((sp) => assessSubProject(sp, p, k.vocabulary.judged));
  return verdicts.map((v, i) => ({ v, i })).sort((a, b) => RANK[a.v.kind] - RANK[b.v.kind] || a.i - b.i).map((x) => x.v);
}

/**
 * The profile fields still worth asking: unknown, and named by a hard or priority condition of a row
 * that has not already failed. Asking anything else could not change an answer.
 */
export function relevantFields(k: Knowledge, p: Profile): ProfileField[] {
  const fields = new Set<ProfileField>();
  for (const sp of k.subProjects) {
    for (const row of sp.rows) {
      const v = assessRow(row, p);
      if (v.kind === "not_eligible") continue;
      for (const c of [...v.checks, ...v.priorityChecks]) if (c.status === "unknown") fields.add(c.condition.field);
    }
  }
  return sortFields(fields);
}
