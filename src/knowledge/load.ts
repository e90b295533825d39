/** Loads knowledge/ from disk and validates it; errors name the file and the path inside it. */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { ROOT } from "../paths.js";
import type { z } from "zod";
import { PlansFile, SubProject, VocabularyFile, type Knowledge } from "./schema.js";

export const KNOWLEDGE_DIR = join(ROOT, "knowledge");

export class KnowledgeError extends Error {}

/**
 * Parsing the YAML took about 300 ms of every start-up (the JSON of the same is read in 3 ms), so
 * the parse of each file of knowledge/ is kept between runs, keyed by the file's content hash:
 * an edited file is parsed again, and validation always runs on what is used. Only for
 * KNOWLEDGE_DIR; a cache that cannot be read or written is simply not used.
 */
export const KNOWLEDGE_PARSE_CACHE = join(ROOT, "node_modules/.cache/guopei-assistant/knowledge-yaml.json");

interface ParseCache {
  entries: Record<string, { sha1: string; data: unknown }>;
  used: Record<string, { sha1: string; data: unknown }>;
  changed: boolean;
}

function openParseCache(): ParseCache {
  let entries: ParseCache["entries"] = {};
  try {
    const parsed = JSON.parse(readFileSync(KNOWLEDGE_PARSE_CACHE, "utf8")) as unknown;
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) entries = parsed as ParseCache["entries"];
  } catch {
    // none yet, or unreadable: parse everything
  }
  return { entries, used: {}, changed: false };
}

function saveParseCache(cache: ParseCache): void {
  if (!cache.changed && Object.keys(cache.used).length === Object.keys(cache.entries).length) return;
  try {
    mkdirSync(dirname(KNOWLEDGE_PARSE_CACHE), { recursive: true });
    const tmp = `${KNOWLEDGE_PARSE_CACHE}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(cache.used));
    renameSync(tmp, KNOWLEDGE_PARSE_CACHE);
  } catch {
    // a read-only install: no cache
  }
}

function parseText(text: string, name: string, cache: ParseCache | undefined): unknown {
  if (!cache) return parseYaml(text);
  const sha1 = createHash("sha1").update(text).digest("hex");
  const hit = cache.entries[name];
  if (hit?.sha1 === sha1) {
    cache.used[name] = hit;
    return JSON.parse(JSON.stringify(hit.data)) as unknown;
  }
  // What a later run reads back is JSON: use exactly that now too, so both runs see the same.
  const json = JSON.stringify(parseYaml(text));
  cache.used[name] = { sha1, data: JSON.parse(json) as unknown };
  cache.changed = true;
  return JSON.parse(json) as unknown;
}

function readYaml<T>(file: string, schema: z.ZodType<T>, root: string, cache?: ParseCache): T {
  const name = relative(root, file) || file;
  let raw: unknown;
  try {
    raw = parseText(readFileSync(file, "utf8"), name, cache);
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
  const cache = dir === KNOWLEDGE_DIR ? openParseCache() : undefined;
  const { plans } = readYaml(join(dir, "plans.yaml"), PlansFile, dir, cache);
  const vocabulary = readYaml(join(dir, "vocabulary.yaml"), VocabularyFile, dir, cache);
  const files = new Map<SubProject, string>();
  const subProjects = [...yamlFiles(join(dir, "guopei")), ...yamlFiles(join(dir, "qupei"))].map((f) => {
    const sp = readYaml(f, SubProject, dir, cache);
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
  if (cache) saveParseCache(cache);
  return knowledge;
}
