/** Renders eligibility verdicts: eligible first with every reason and its source, then near misses. */
import type { Check, NearMiss, Verdict } from "../domain/eligibility.js";
import { FIELD_LABELS, type Profile } from "../domain/profile.js";
import type { Cite, Knowledge } from "../knowledge/schema.js";
import { place } from "./cite.js";
import { escapeHtml } from "./html.js";

export const RECOMMENDATION_NOTE =
  "ℹ️ 参训教师、校（园）长不能个人报名，而是由所在学校或教育行政部门按名额推荐（遴选）。请向学校或县市教育局咨询，并备好教龄证明、任教学科、职务任职年限、荣誉证书等材料。";

const MAX_DETAILED = 4;

export interface EligibilityAnswer {
  text: string;
  /** Sub-projects worth a 详情 button, best first. */
  detailIds: string[];
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
  if (p.role) parts.push(label(k.vocabulary.roles, p.role));
  if (p.stage) parts.push(p.stage);
  if (p.subjects?.length) parts.push(p.subjects.map((s) => label(k.vocabulary.subjects, s)).join("、"));
  if (p.teachingYears !== undefined) parts.push(`教龄${p.teachingYears}年`);
  if (p.postYears !== undefined) parts.push(`任职${p.postYears}年`);
  for (const [field, list] of [
    ["positions", k.vocabulary.positions],
    ["honours", k.vocabulary.honours],
    ["projects", k.vocabulary.projects],
  ] as const) {
    for (const t of p[field] ?? []) parts.push(label(list, t));
  }
  return escapeHtml(parts.join(" · ") || "（未提供）");
}

function checkLine(c: Check, p: Profile, showCite: boolean): string {
  const mark = c.status === "pass" ? "✔" : c.status === "fail" ? "✘" : "？";
  const yours = c.condition.field === "teachingYears" || c.condition.field === "postYears" ? p[c.condition.field] : undefined;
  const you = yours !== undefined ? `（你：${yours}年）` : "";
  return `  ${mark} ${escapeHtml(c.condition.text)}${you}${showCite ? ` ${where(c.condition.cite)}` : ""}`;
}

/** Condition lines; a citation is printed once for a run of conditions from the same place. */
function checkLines(checks: Check[], p: Profile): string[] {
  return checks.map((c, i) => {
    const next = checks[i + 1];
    return checkLine(c, p, !next || where(next.condition.cite) !== where(c.condition.cite));
  });
}

export function nearMissText(n: NearMiss, p: Profile): string {
  const what = n.field === "teachingYears" ? "教龄" : "任职年限";
  const have = p[n.field] ?? 0;
  return `要求${escapeHtml(n.condition.text)}，你的${what}为${have}年，再有${n.yearsShort}年${what}即可。`;
}

function eligibleBlock(k: Knowledge, v: Verdict, p: Profile, index: number): string {
  const sp = v.subProject;
  const head = `${index}. <b>${escapeHtml(sp.name)}</b>（${escapeHtml(planName(k, v))} · ${escapeHtml(v.best.row.label)}）${v.kind === "eligible_priority" ? " ⭐优先推荐" : ""}`;
  const lines = [head, ...checkLines(v.best.checks, p)];
  for (const c of v.best.priorityChecks) {
    if (c.status === "pass") lines.push(`  ⭐ ${escapeHtml(c.condition.text)} ${where(c.condition.cite)}`);
  }
  if (v.kind === "eligible" && v.best.priorityChecks.length) {
    lines.push(`  ☆ 可优先推荐的情形：${escapeHtml(v.best.priorityChecks.map((c) => c.condition.text).join("；"))}`);
  }
  return lines.join("\n");
}

/** The answer to "what do I qualify for", for a whole profile. */
export function eligibilityAnswer(k: Knowledge, verdicts: Verdict[], p: Profile): EligibilityAnswer {
  const eligible = verdicts.filter((v) => v.kind === "eligible" || v.kind === "eligible_priority");
  const near = verdicts.filter((v) => v.kind === "not_eligible" && v.nearMiss);
  const open = verdicts.filter((v) => v.kind === "needs_info");
  const out: string[] = [`<b>资格自测结果</b>\n你的情况：${describeProfile(k, p)}`];

  if (eligible.length) {
    const detailed = eligible.slice(0, MAX_DETAILED).map((v, i) => eligibleBlock(k, v, p, i + 1));
    const rest = eligible.slice(MAX_DETAILED).map((v) => escapeHtml(v.subProject.name));
    out.push(`✅ <b>符合条件（${eligible.length}项）</b>\n${detailed.join("\n\n")}${rest.length ? `\n另有：${rest.join("、")}` : ""}`);
  } else {
    out.push("目前没有找到完全符合条件的子项目。");
  }
  if (near.length) {
    const lines = near.map((v) => `• <b>${escapeHtml(v.subProject.name)}</b>：${nearMissText(v.nearMiss!, p)} ${where(v.nearMiss!.condition.cite)}`);
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
  const excluded = verdicts.length - eligible.length - near.length - open.length;
  if (excluded > 0) out.push(`其余${excluded}个子项目的对象或条件与你的情况不符。`);
  out.push(RECOMMENDATION_NOTE);
  return { text: out.join("\n\n"), detailIds: [...eligible, ...near].map((v) => v.subProject.id) };
}

/** Why one sub-project does or does not fit (for "我能报地级骨干吗"). */
export function verdictDetail(v: Verdict, p: Profile): string {
  const head = `<b>${escapeHtml(v.subProject.name)}</b>（${escapeHtml(v.best.row.label)}）`;
  const status =
    v.kind === "eligible_priority"
      ? "✅ 符合条件，并属优先推荐情形"
      : v.kind === "eligible"
        ? "✅ 符合条件"
        : v.kind === "needs_info"
          ? `❔ 还需确认：${v.missing.map((f) => FIELD_LABELS[f]).join("、")}`
          : "✘ 不符合条件";
  const lines = [head, status, ...checkLines(v.best.checks, p)];
  if (v.nearMiss) lines.push(`⏳ ${nearMissText(v.nearMiss, p)}`);
  return lines.join("\n");
}
