/**
 * Renders eligibility verdicts: what was not understood first (said back, and asked), then eligible with every
 * reason and its source, what the recommending unit decides, readings to confirm, near misses and open questions.
 */
import { forRow, restsOnUnit, rolesOf, settles, type Check, type NearMiss, type Verdict } from "../domain/eligibility.js";
import { FIELD_LABELS, type Profile, type ProfileField } from "../domain/profile.js";
import type { Cite, Knowledge } from "../knowledge/schema.js";
import { place } from "./cite.js";
import { escapeHtml } from "./html.js";
import type { Outcome, VerdictMark } from "./outcome.js";

export const RECOMMENDATION_NOTE =
  "ℹ️ 参训教师、校（园）长不能个人报名，而是由所在学校或教育行政部门按名额推荐（遴选）。请向学校或县市教育局咨询，并备好教龄证明、任教学科、职务任职年限、荣誉证书等材料。";

/** Who decides what the guide leaves to the recommending unit. */
export const UNIT_DECIDES = "需由所在单位认定";

const MAX_DETAILED = 4;

/** What the reader could not place or must ask, besides the profile (from nlu's ProfileReading). */
export interface ReadingNotes {
  unplaced?: string[];
  membership?: { term: string; say: string }[];
  postAsks?: string[];
  deputy?: boolean;
  looseYears?: string;
  supposed?: string;
  /** "能参加园长培训吗": the name asked about, shared by the sub-projects the verdicts cover. */
  askedAbout?: string;
  /** "区培能报啥": the plan the verdicts are limited to, by name. */
  onlyPlan?: string;
}

export interface EligibilityAnswer {
  text: string;
  /** Sub-projects worth a 详情 button, best first. */
  detailIds: string[];
  outcome: Outcome;
}

function where(c: Cite): string {
  return `📖${place(c)}`;
}

function planName(k: Knowledge, v: Verdict): string {
  return k.plans.find((p) => p.id === v.subProject.plan)?.name ?? v.subProject.plan;
}

export function describeProfile(k: Knowledge, p: Profile): string {
  const label = (list: { id: string; label: string }[], id: string) => list.find((x) => x.id === id)?.label ?? id;
  const parts: string[] = [];
  if (p.role) parts.push(rolesSaid(k, p));
  if (p.stage) parts.push(p.stage);
  if (p.subjects?.length) parts.push(p.subjects.map((s) => label(k.vocabulary.subjects, s)).join("、"));
  if (p.teachingYears !== undefined) parts.push(`教龄${yearsText(p.teachingYears)}`);
  parts.push(...postYearsSaid(k, p));
  for (const [field, list] of [
    ["positions", k.vocabulary.positions],
    ["honours", k.vocabulary.honours],
    ["projects", k.vocabulary.projects],
  ] as const) {
    for (const t of p[field] ?? []) parts.push(label(list, t));
  }
  return escapeHtml(parts.join(" · ") || "（未提供）");
}

/**
 * Years as said: a half year stands for what is between two whole years ("快5年" is 4.5, "5年多" 5.5), so it is
 * shown as "4年多", not as a figure nobody said.
 */
const yearsText = (years: number) => (years < 1 ? "不满1年" : Number.isInteger(years) ? `${years}年` : `${Math.floor(years)}年多`);
const inPost = (years: number) => `任职${yearsText(years)}`;

/** 任职N年; or, when posts were told apart by years and not all alike, each post's own ("校长/园长任职6年"). */
function postYearsSaid(k: Knowledge, p: Profile): string[] {
  const by = p.postYearsByRole;
  const posts = rolesOf(p).filter((r) => r !== "teacher");
  if (by && posts.some((r) => by[r] !== p.postYears)) return posts.flatMap((r) => (by[r] === undefined ? [] : [`${roleLabel(k, r)}${inPost(by[r])}`]));
  return p.postYears === undefined ? [] : [inPost(p.postYears)];
}

const roleLabel = (k: Knowledge, r: string) => k.vocabulary.roles.find((x) => x.id === r)?.label ?? r;

/** The person's posts as they said them: a deputy's own title (副校长) for the role, not the role's 校长/园长. */
const rolesSaid = (k: Knowledge, p: Profile) => rolesOf(p).map((r, i) => (i === 0 && p.deputy ? p.deputy : roleLabel(k, r))).join("兼");

/** What the person said for a condition's field, shown beside it: their years, stage, or their own post (校长, not the row's 名校长). */
function yoursOf(k: Knowledge, c: Check, p: Profile): string {
  const f = c.condition.field;
  if (f === "teachingYears" || f === "postYears") return p[f] !== undefined ? `（你：${yearsText(p[f])}）` : "";
  if (f === "stage" && p.stage !== undefined) return `（你：${escapeHtml(p.stage)}）`;
  if (f === "role" && p.role !== undefined) return `（你：${escapeHtml(rolesSaid(k, p))}）`;
  return "";
}

function checkLine(k: Knowledge, c: Check, p: Profile, showCite: boolean): string {
  const mark = c.judged ? "◇" : c.status === "pass" ? "✔" : c.status === "fail" ? "✘" : c.status === "disputed" ? "⚖️" : "？";
  const you = yoursOf(k, c, p);
  const judged = c.judged ? `（${escapeHtml(c.judged)}，${UNIT_DECIDES}）` : "";
  return `  ${mark} ${escapeHtml(c.condition.text)}${you}${judged}${showCite ? ` ${where(c.condition.cite)}` : ""}`;
}

/** Condition lines; a citation is printed once for a run of conditions from the same place. */
function checkLines(k: Knowledge, checks: Check[], p: Profile): string[] {
  return checks.map((c, i) => {
    const next = checks[i + 1];
    return checkLine(k, c, p, !next || where(next.condition.cite) !== where(c.condition.cite));
  });
}

export function nearMissText(n: NearMiss, p: Profile): string {
  const what = n.field === "teachingYears" ? "教龄" : "任职年限";
  const have = p[n.field] ?? 0;
  return `要求${escapeHtml(n.condition.text)}，你的${what}为${yearsText(have)}，再有${yearsText(n.yearsShort)}${what}即可。`;
}

function eligibleBlock(k: Knowledge, v: Verdict, p: Profile, index: number): string {
  const sp = v.subProject;
  const head = `${index}. <b>${escapeHtml(sp.name)}</b>（${escapeHtml(planName(k, v))} · ${escapeHtml(v.best.row.label)}）${v.kind === "eligible_priority" ? " ⭐优先推荐" : ""}`;
  const lines = [head, ...checkLines(k, v.best.checks, forRow(v.best.row, p))];
  for (const c of v.best.priorityChecks) {
    if (c.status === "pass") lines.push(`  ⭐ ${escapeHtml(c.condition.text)} ${where(c.condition.cite)}`);
  }
  if (v.kind === "eligible" && v.best.priorityChecks.length) {
    lines.push(`  ☆ 可优先推荐的情形：${escapeHtml(v.best.priorityChecks.map((c) => c.condition.text).join("；"))}`);
  }
  return lines.join("\n");
}

/** Both readings of the disagreement a verdict rests on, and whom to ask. */
function disputedLines(v: Verdict): string[] {
  const d = v.best.checks.find((c) => c.status === "disputed")?.discrepancy;
  if (!d) return [];
  return [
    `• <b>${escapeHtml(v.subProject.name)}</b>：${escapeHtml(d.topic)}说法不一`,
    ...d.readings.map((r) => `  – ${escapeHtml(r.text)} ${where(r.cite)}`),
    `  ➡️ ${escapeHtml(d.note)}`,
  ];
}

/** A 正职 row asked about by a deputy: say what 附件2 asks for. */
function deputyLine(v: Verdict): string | undefined {
  const c = v.best.checks.find((x) => x.status === "fail" && x.condition.field === "positions" && x.condition.anyOf.includes("正职"));
  return c ? `ℹ️ 附件2此行要求<b>正职</b>（${escapeHtml(c.condition.text)}），副校长、副园长、副书记不在此列。${where(c.condition.cite)}` : undefined;
}

/** What was not understood or must be asked, said back before any verdict. */
function noticeLines(notes: ReadingNotes): string[] {
  const out: string[] = [];
  for (const u of notes.unplaced ?? []) {
    out.push(`⚠️ 没有识别“${escapeHtml(u)}”：它不在指南所列的学科、岗位或称号中，下面凡涉及这一点的条件都未作判断。请换个说法（例如任教学科、具体职务），或向推荐单位、项目办确认。`);
  }
  if (notes.supposed) out.push(`ℹ️ 按你说的“${escapeHtml(notes.supposed)}”计算；这是假设，能否参加以推荐时的实际年限为准。`);
  if (notes.looseYears) {
    const y = escapeHtml(notes.looseYears);
    out.push(`⚠️ “${y}”没有算作教龄或任职年限：岗位未识别，不能确定是哪一种。如是教龄，请写“教龄${y}”；如是任职年限，请写“任职${y}”。`);
  }
  for (const m of notes.membership ?? []) out.push(`⚠️ ${escapeHtml(m.say)}。请向县市教育局确认你所在的县市或学校是否在名单内。`);
  for (const a of notes.postAsks ?? []) out.push(`❔ 请说明${escapeHtml(a)}。`);
  return out;
}

const MARK = (v: Verdict): VerdictMark =>
  v.kind === "not_eligible"
    ? "not"
    : v.kind === "needs_info"
      ? "open"
      : restsOnUnit(v.best)
        ? "unit"
        : v.kind === "disputed" || v.best.judged.length
          ? "conditional"
          : "eligible";

/** A row that only the recommending unit can settle: what it decides, and where the guide says so. */
function unitLine(v: Verdict): string {
  const c = v.best.checks.find((x) => x.judged);
  return `• <b>${escapeHtml(v.subProject.name)}</b>：${escapeHtml(v.best.judged.join("、"))}${c ? `（${escapeHtml(c.condition.text)}） ${where(c.condition.cite)}` : ""}`;
}

function needsAsking(notes: ReadingNotes): boolean {
  return !!(notes.unplaced?.length || notes.membership?.length || notes.postAsks?.length || notes.looseYears);
}

/** Facts every answer about a person rests on: while one decides an open row, ask for it. */
const CORE = new Set<ProfileField>(["role", "stage", "subjects", "teachingYears", "postYears"]);
/** What a row the person's own words point to may not leave open without a question (a stage alone may). */
const LEAD_ASKS = new Set<ProfileField>(["role", "subjects", "teachingYears", "postYears", "projects"]);
/** Facts that say which row a person is about (a subject, a post, a list, an honour), as opposed to stage or years. */
const SPECIFIC = new Set<ProfileField>(["subjects", "positions", "projects", "honours"]);

/**
 * Whether a verdict list is a question back rather than an answer. Something is settled when a row passes on
 * what the person said (a subject, stage, years, post: not 数字素养's "学科骨干教师团队" alone). While nothing is:
 * - a row the person's words point to (足球 for the 足球教师 row, 园长 for the 骨干园长 row) that still misses its
 *   years, subject, role or list membership is asked about (a missing stage alone is told, not asked);
 * - with no such row, a core fact missing anywhere is asked (我是老师; 小学老师 教龄4年: no subject);
 * - when all that is left depends on membership of a named list (教研员: 帮扶县, 县域项目县), that is asked.
 */
function asksBack(verdicts: Verdict[]): boolean {
  const settled = verdicts.some((v) => (v.kind === "eligible" || v.kind === "eligible_priority") && v.best.checks.some(settles));
  if (settled) return false;
  const openRows = verdicts.filter((v) => v.kind === "needs_info").flatMap((v) => v.rows.filter((r) => r.kind === "needs_info"));
  if (!openRows.length) return false;
  const leads = openRows.filter((r) => r.checks.some((c) => settles(c) && SPECIFIC.has(c.condition.field)));
  if (leads.length) return leads.some((r) => r.missing.some((f) => LEAD_ASKS.has(f)));
  return openRows.some((r) => r.missing.some((f) => CORE.has(f))) || openRows.every((r) => r.missing.every((f) => f === "projects"));
}

/** The outcome of a verdict list: a question back when something was not understood or nothing is settled yet. */
function listOutcome(verdicts: Verdict[], notes: ReadingNotes): Outcome {
  const open = verdicts.filter((v) => v.kind === "needs_info");
  const asks = [...new Set(open.flatMap((v) => v.missing))];
  const clarify = needsAsking(notes) || asksBack(verdicts);
  return {
    kind: clarify ? "clarify" : "answer",
    topic: "eligibility",
    subProjects: verdicts.map((v) => ({ id: v.subProject.id, rowId: v.best.row.id, verdict: MARK(v) })),
    ...(notes.unplaced?.length ? { unknownTerms: notes.unplaced } : {}),
    ...(clarify ? { asks: [...asks, ...(notes.membership?.length ? ["projects"] : []), ...(notes.postAsks?.length ? ["post"] : [])] } : {}),
  };
}

/** The answer to "what do I qualify for", for a whole profile. */
export function eligibilityAnswer(k: Knowledge, verdicts: Verdict[], p: Profile, notes: ReadingNotes = {}): EligibilityAnswer {
  const fitting = verdicts.filter((v) => v.kind === "eligible" || v.kind === "eligible_priority");
  // a row nothing the person said settles (数字素养's 团队 alone) is not shown as a yes
  const eligible = fitting.filter((v) => !restsOnUnit(v.best));
  const unit = fitting.filter((v) => restsOnUnit(v.best));
  const near = verdicts.filter((v) => v.kind === "not_eligible" && v.nearMiss);
  const disputed = verdicts.filter((v) => v.kind === "disputed");
  const open = verdicts.filter((v) => v.kind === "needs_info");
  const out: string[] = [`<b>资格自测结果</b>\n你的情况：${describeProfile(k, p)}`];
  const notices = noticeLines(notes);
  if (notices.length) out.push(notices.join("\n"));
  if (notes.onlyPlan) out.push(`（按你的问题，只列${escapeHtml(notes.onlyPlan)}的${verdicts.length}个子项目。）`);
  if (notes.askedAbout) {
    const names = verdicts.map((v) => escapeHtml(v.subProject.name)).join("、");
    out.push(`你问的“${escapeHtml(notes.askedAbout)}”可能指${verdicts.length}个子项目：${names}。下面逐一说明：`);
  }

  if (eligible.length) {
    const detailed = eligible.slice(0, MAX_DETAILED).map((v, i) => eligibleBlock(k, v, p, i + 1));
    const rest = eligible.slice(MAX_DETAILED).map((v) => escapeHtml(v.subProject.name));
    const judged = eligible.some((v) => v.best.judged.length);
    out.push(
      `✅ <b>符合条件（${eligible.length}项）</b>${judged ? `\n<i>◇ 标记的条件（骨干身份、业绩、团队成员等）${UNIT_DECIDES}。</i>` : ""}\n${detailed.join("\n\n")}${rest.length ? `\n另有：${rest.join("、")}` : ""}`,
    );
  } else {
    out.push("目前没有找到完全符合条件的子项目。");
  }
  if (unit.length) {
    out.push(`🏫 <b>${UNIT_DECIDES}（${unit.length}项）</b>\n<i>你说的情况不排除以下项目，但能否参加取决于所在单位的认定，不算已符合：</i>\n${unit.map(unitLine).join("\n")}`);
  }
  if (disputed.length) out.push(`⚖️ <b>正文与附件2说法不一，请向推荐单位或项目办确认</b>\n${disputed.flatMap(disputedLines).join("\n")}`);
  if (near.length) {
    const lines = near.map((v) => `• <b>${escapeHtml(v.subProject.name)}</b>：${nearMissText(v.nearMiss!, forRow(v.best.row, p))} ${where(v.nearMiss!.condition.cite)}`);
    out.push(`⏳ <b>差一点</b>\n${lines.join("\n")}`);
  }
  if (open.length) {
    // Grouped by what is missing, so one unanswered question reads once.
    const groups = new Map<string, string[]>();
    for (const v of open) {
      const key = v.missing.map((f) => FIELD_LABELS[f]).join("、");
      groups.set(key, [...(groups.get(key) ?? []), escapeHtml(v.subProject.name)]);
    }
    const lines = [...groups].map(([missing, names]) => `• 还需确认${missing}：${names.join("；")}`);
    out.push(`❔ <b>还需更多信息</b>\n${lines.join("\n")}`);
  }
  const excluded = verdicts.length - fitting.length - near.length - open.length - disputed.length;
  if (excluded > 0) out.push(notes.askedAbout ? `${excluded === verdicts.length ? "这些" : "其余"}子项目的对象或条件与你的情况不符。` : `其余${excluded}个子项目的对象或条件与你的情况不符。`);
  if (notes.deputy) {
    const line = verdicts.map(deputyLine).find(Boolean);
    if (line) out.push(line);
  }
  out.push(RECOMMENDATION_NOTE);
  return { text: out.join("\n\n"), detailIds: [...eligible, ...disputed, ...near, ...unit].map((v) => v.subProject.id), outcome: listOutcome(verdicts, notes) };
}

/** Why one sub-project does or does not fit (for "我能报地级骨干吗"): the verdict on it first. */
export function verdictDetail(k: Knowledge, v: Verdict, p: Profile): string {
  const head = `<b>${escapeHtml(v.subProject.name)}</b>（${escapeHtml(v.best.row.label)}）`;
  const judged = v.best.judged.length ? `；其中${escapeHtml(v.best.judged.join("、"))}${UNIT_DECIDES}` : "";
  const status = restsOnUnit(v.best)
    ? `🏫 ${UNIT_DECIDES}：${escapeHtml(v.best.judged.join("、"))}。你说的情况不排除此项，但不算已符合`
    : v.kind === "eligible_priority"
      ? `✅ 符合基本条件，并属优先推荐情形${judged}`
      : v.kind === "eligible"
        ? `✅ 符合基本条件${judged}`
        : v.kind === "needs_info"
          ? `❔ 还需确认：${v.missing.map((f) => FIELD_LABELS[f]).join("、")}`
          : v.kind === "disputed"
            ? `⚖️ 正文与附件2说法不一，无法直接判断${v.best.missing.length ? `；另需确认：${v.best.missing.map((f) => FIELD_LABELS[f]).join("、")}` : ""}`
            : "✘ 不符合条件";
  const lines = [head, status, ...checkLines(k, v.best.checks, forRow(v.best.row, p))];
  for (const c of v.best.priorityChecks) if (c.status === "pass") lines.push(`  ⭐ 优先推荐：${escapeHtml(c.condition.text)} ${where(c.condition.cite)}`);
  if (v.kind === "disputed") lines.push(...disputedLines(v).slice(1));
  const deputy = v.kind === "not_eligible" ? deputyLine(v) : undefined;
  if (deputy) lines.push(deputy);
  if (v.nearMiss) lines.push(`⏳ ${nearMissText(v.nearMiss, forRow(v.best.row, p))}`);
  return lines.join("\n");
}

const MAX_OTHERS = 3;

/** Other sub-projects the person's own words settle as fitting, when X does not fit or is disputed ("书法老师能报地骨吗": 紧缺领域). */
function othersLine(others: Verdict[]): string | undefined {
  if (!others.length) return undefined;
  const names = others.map((o) => `<b>${escapeHtml(o.subProject.name)}</b>${o.best.judged.length ? `（${escapeHtml(o.best.judged.join("、"))}${UNIT_DECIDES}）` : ""}`);
  return `💡 按你说的情况，以下子项目符合条件：${names.join("；")}。`;
}

/**
 * The answer to "能报X吗": the verdict on X first, then (when X does not fit, or is disputed) the sub-projects that do, the reading
 * notes and the recommendation rule.
 */
export function targetAnswer(k: Knowledge, v: Verdict, p: Profile, notes: ReadingNotes = {}, all: Verdict[] = []): EligibilityAnswer {
  const notices = noticeLines(notes);
  const others =
    v.kind === "not_eligible" || v.kind === "disputed"
      ? all.filter((o) => o.subProject.id !== v.subProject.id && (o.kind === "eligible" || o.kind === "eligible_priority") && !restsOnUnit(o.best)).slice(0, MAX_OTHERS)
      : [];
  const other = othersLine(others);
  const text = [verdictDetail(k, v, p), ...(other ? [other] : []), ...(notices.length ? [notices.join("\n")] : []), RECOMMENDATION_NOTE].join("\n\n");
  const mark = MARK(v);
  const clarify = needsAsking(notes) || v.kind === "needs_info";
  return {
    text,
    detailIds: [v.subProject.id, ...others.map((o) => o.subProject.id)],
    outcome: {
      kind: clarify ? "clarify" : "answer",
      topic: "eligibility",
      subProjects: [{ id: v.subProject.id, rowId: v.best.row.id, verdict: mark }, ...others.map((o) => ({ id: o.subProject.id, rowId: o.best.row.id, verdict: MARK(o) }))],
      ...(notes.unplaced?.length ? { unknownTerms: notes.unplaced } : {}),
      ...(clarify ? { asks: v.missing } : {}),
    },
  };
}
