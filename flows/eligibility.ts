/**
 * 资格自测: a guided check that asks only what the answer still depends on.
 * Each question applies while some sub-project's verdict hinges on it (see relevantFields).
 */
import { checkCondition, relevantFields } from "../src/domain/eligibility.js";
import type { Profile, ProfileField } from "../src/domain/profile.js";
import { wholeYears } from "../src/domain/validate.js";
import type { Answers, Flow, FlowContext, Option, Step } from "../src/engine/types.js";
import type { Knowledge, TagField, VocabularyEntry } from "../src/knowledge/schema.js";

export const NONE = "none";

export function profileOf(a: Answers): Profile {
  const p: Profile = {};
  if (typeof a.role === "string") p.role = a.role as Profile["role"];
  if (typeof a.stage === "string") p.stage = a.stage as Profile["stage"];
  if (typeof a.subjects === "string") p.subjects = a.subjects === NONE ? [] : [a.subjects];
  for (const f of ["teachingYears", "postYears"] as const) if (typeof a[f] === "number") p[f] = a[f];
  for (const f of ["honours", "positions", "projects"] as const) if (Array.isArray(a[f])) p[f] = a[f] as string[];
  return p;
}

/** Asked while answered, or while the verdict of some sub-project still depends on it. */
const asked = (field: ProfileField) => (a: Answers, ctx: FlowContext) => field in a || relevantFields(ctx.knowledge, profileOf(a)).includes(field);

/** Tags of a field that a still-open row names, so a teacher is not shown principals' options. */
function tagsInPlay(k: Knowledge, a: Answers, field: TagField): Set<string> {
  const p = profileOf(a);
  const tags = new Set<string>();
  for (const sp of k.subProjects) {
    for (const row of sp.rows) {
      const open = row.conditions.every((c) => c.field === field || checkCondition(c, p) !== "fail");
      if (!open) continue;
      for (const c of [...row.conditions, ...row.priority]) if (c.field === field) for (const t of c.anyOf) tags.add(t);
    }
  }
  return tags;
}

function tagOptions(k: Knowledge, a: Answers, field: TagField, entries: VocabularyEntry[]): Option[] {
  const inPlay = tagsInPlay(k, a, field);
  return entries.filter((e) => inPlay.has(e.id)).map((e) => ({ value: e.id, label: e.label }));
}

const YEAR_PICKS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "15", "20"].map((v) => ({ value: v, label: `${v}年` }));

function yearsStep(id: "teachingYears" | "postYears", label: string, prompt: string): Step {
  return {
    id,
    label,
    kind: "number",
    when: asked(id),
    prompt: () => prompt,
    options: () => YEAR_PICKS,
    parse: (raw) => wholeYears(raw, label),
    format: (v) => `${String(v)}年`,
  };
}

function multiStep(id: "honours" | "positions" | "projects", label: string, prompt: string, entries: (k: Knowledge) => VocabularyEntry[]): Step {
  return {
    id,
    label,
    kind: "multi",
    when: asked(id),
    prompt: () => `${prompt}\n<i>可多选，选好后点“完成”；都没有就直接点“完成”。</i>`,
    options: (a, ctx) => tagOptions(ctx.knowledge, a, id, entries(ctx.knowledge)),
  };
}

export const eligibilityFlow: Flow = {
  id: "eligibility",
  title: "资格自测",
  review: false,
  steps: [
    {
      id: "role",
      label: "身份",
      kind: "choice",
      when: asked("role"),
      prompt: () => "<b>资格自测</b>\n你的身份是？",
      options: (_a, ctx) => ctx.knowledge.vocabulary.roles.map((r) => ({ value: r.id, label: r.label })),
    },
    {
      id: "stage",
      label: "学段",
      kind: "choice",
      when: asked("stage"),
      prompt: () => "你所在的学段是？",
      options: (_a, ctx) => ctx.knowledge.vocabulary.stages.map((s) => ({ value: s.id, label: s.label })),
    },
    {
      id: "subjects",
      label: "任教学科",
      kind: "choice",
      when: asked("subjects"),
      prompt: () => "你主要任教的学科是？",
      options: (a, ctx) => [...tagOptions(ctx.knowledge, a, "subjects", ctx.knowledge.vocabulary.subjects), { value: NONE, label: "其他学科" }],
    },
    yearsStep("teachingYears", "教龄", "你的教龄是几年？点选或直接输入数字，例如 4。"),
    yearsStep("postYears", "任职年限", "你在现任校（园）长或书记岗位上工作了几年？点选或直接输入数字。"),
    multiStep("positions", "担任职务", "你是否担任以下职务？", (k) => k.vocabulary.positions),
    multiStep("honours", "荣誉与称号", "你是否有以下荣誉或经历？（影响“优先推荐”）", (k) => k.vocabulary.honours),
    multiStep("projects", "所在项目县/校", "你所在的县市或学校是否属于以下项目县（校）？", (k) => k.vocabulary.projects),
  ],
};
