/** Loads knowledge/ from disk and validates it; errors name the file and the path inside it. */
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { PlansFile, SubProject, VocabularyFile, type Knowledge } from "./schema.js";

export const KNOWLEDGE_DIR = fileURLToPath(new URL("../../knowledge", import.meta.url));

export class KnowledgeError extends Error {}

function readYaml<T>(file: string, schema: z.ZodType<T>, root: string): T {
  const name = relative(root, file) || file;
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new KnowledgeError(`${name}: cannot read YAML: ${(e as Error).message}`);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `  ${name} at ${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new KnowledgeError(`knowledge is invalid:\n${issues.join("\n")}`);
  }
  return result.data;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join(dir, f));
}

/** Cross-file checks the per-file schemas cannot express; `fileOf` names each sub-project's file. */
function checkReferences(k: Knowledge, fileOf: (sp: SubProject) => string): void {
  const problems: string[] = [];
  const categories = new Set(k.plans.flatMap((p) => p.categories.map((c) => `${p.id}/${c.id}`)));
  const ids = new Set<string>();
  const tags = {
    subjects: new Set(k.vocabulary.subjects.map((v) => v.id)),
    honours: new Set(k.vocabulary.honours.map((v) => v.id)),
    positions: new Set(k.vocabulary.positions.map((v) => v.id)),
    projects: new Set(k.vocabulary.projects.map((v) => v.id)),
  };
  for (const sp of k.subProjects) {
    const at = `${fileOf(sp)} (${sp.id})`;
    if (ids.has(sp.id)) problems.push(`${at}: duplicate sub-project id`);
    ids.add(sp.id);
    if (!categories.has(`${sp.plan}/${sp.category}`)) problems.push(`${at}: unknown category ${sp.category}`);
    const rowIds = new Set<string>();
    for (const row of sp.rows) {
      if (rowIds.has(row.id)) problems.push(`${at}: duplicate row id ${row.id}`);
      rowIds.add(row.id);
      const schedule = row.schedule ?? sp.schedule;
      const durations = new Set(schedule.map((d) => d.id));
      for (const d of schedule) {
        if (d.partOf && !durations.has(d.partOf)) problems.push(`${at} row ${row.id}: ${d.id}.partOf ${d.partOf} is not in the schedule`);
        if (d.bound === "range" && (d.max === undefined || d.max < d.value)) problems.push(`${at} row ${row.id}: ${d.id} range needs max ≥ value`);
      }
      if ("rates" in row.funding) {
        for (const r of row.funding.rates) {
          const perPerson = r.unit === "元/人/天" || r.unit === "元/人/学时" || r.unit === "元/天";
          if (perPerson && (!r.appliesTo || !durations.has(r.appliesTo))) {
            problems.push(`${at} row ${row.id}: rate ${r.item} must apply to a duration of the schedule`);
          }
          const d = schedule.find((x) => x.id === r.appliesTo);
          if (d && (r.unit === "元/人/学时") !== (d.unit === "学时")) problems.push(`${at} row ${row.id}: rate ${r.item} unit ${r.unit} does not fit ${d.id} in ${d.unit}`);
        }
      }
      for (const c of [...row.conditions, ...row.priority]) {
        if (c.field in tags) {
          for (const t of (c as { anyOf: string[] }).anyOf) {
            if (!tags[c.field as keyof typeof tags].has(t)) problems.push(`${at} row ${row.id}: ${c.field} tag "${t}" is not in vocabulary.yaml`);
          }
        }
      }
    }
  }
  if (problems.length) throw new KnowledgeError(`knowledge is inconsistent:\n  ${problems.join("\n  ")}`);
}

export function loadKnowledge(dir: string = KNOWLEDGE_DIR): Knowledge {
  const { plans } = readYaml(join(dir, "plans.yaml"), PlansFile, dir);
  const vocabulary = readYaml(join(dir, "vocabulary.yaml"), VocabularyFile, dir);
  const files = new Map<SubProject, string>();
  const subProjects = [...yamlFiles(join(dir, "guopei")), ...yamlFiles(join(dir, "qupei"))].map((f) => {
    const sp = readYaml(f, SubProject, dir);
    files.set(sp, relative(dir, f));
    return sp;
  });
  const planOrder = (p: string) => plans.findIndex((x) => x.id === p);
  const categoryOrder = (p: string, c: string) => plans.find((x) => x.id === p)?.categories.findIndex((x) => x.id === c) ?? -1;
  subProjects.sort(
    (a, b) => planOrder(a.plan) - planOrder(b.plan) || categoryOrder(a.plan, a.category) - categoryOrder(b.plan, b.category) || a.order - b.order,
  );
  const knowledge = { plans, subProjects, vocabulary };
  checkReferences(knowledge, (sp) => files.get(sp) ?? sp.id);
  return knowledge;
}
