/**
 * The loader rejects broken knowledge and says where: each case copies knowledge/ to a temp dir,
 * corrupts one file, and checks the error names the file (or sub-project) and the path inside it.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KNOWLEDGE_DIR, KnowledgeError, loadKnowledge } from "../../src/knowledge/load.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "knowledge-"));
  cpSync(KNOWLEDGE_DIR, dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Replace the first occurrence of `from` in one file of the copy; fails if it is not there. */
function corrupt(file: string, from: string | RegExp, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, "utf8");
  const next = text.replace(from, to);
  if (next === text) throw new Error(`test setup: ${String(from)} not found in ${file}`);
  writeFileSync(path, next);
}

function loadError(): string {
  try {
    loadKnowledge(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(KnowledgeError);
    return (e as Error).message;
  }
  throw new Error("expected the loader to reject the corrupted knowledge");
}

describe("loadKnowledge", () => {
  it("loads the untouched copy", () => {
    expect(loadKnowledge(dir).subProjects).toHaveLength(22);
  });

  it("rejects an unknown key, naming the file and the path", () => {
    corrupt("guopei/1-1-county-backbone.yaml", "  - id: primary\n", "  - id: primary\n    colour: red\n");
    const message = loadError();
    expect(message).toContain("guopei/1-1-county-backbone.yaml at rows.1");
    expect(message).toContain("colour");
  });

  it("rejects an unknown key at the top of plans.yaml", () => {
    corrupt("plans.yaml", "plans:\n", "version: 2\nplans:\n");
    const message = loadError();
    expect(message).toContain("plans.yaml at (root)");
    expect(message).toContain("version");
  });

  it("rejects a fact without its cite, naming the file and the path", () => {
    corrupt("qupei/1-1-hs-backbone.yaml", /\n {4}cite: \{ where: 正文 二（一）培训对象, quote: 能够在学校及县域内发挥示范带动作用，计划培训450人 \}/u, "");
    const message = loadError();
    expect(message).toContain("qupei/1-1-hs-backbone.yaml at quota.0.cite");
  });

  it("rejects a cite whose where is neither 正文 nor 附件2", () => {
    corrupt("guopei/4-1-trainer-team.yaml", "where: 正文 一（四）1 培训对象, quote: 培训对象：全区各地州专兼职培训者, note", "where: 第三页, quote: 培训对象：全区各地州专兼职培训者, note");
    const message = loadError();
    expect(message).toContain("guopei/4-1-trainer-team.yaml at audience.cite.where");
  });

  it("rejects a bad funding unit, naming the file and the path down to the rate", () => {
    corrupt("guopei/1-1-county-backbone.yaml", "unit: 元/人/天", "unit: 元/人/周");
    const message = loadError();
    expect(message).toContain("guopei/1-1-county-backbone.yaml at rows.0.funding");
    expect(message).toContain("rates.0.unit");
  });

  it("rejects a bad time unit, naming the file and the path", () => {
    corrupt("guopei/2-2-kindergarten-relief-teaching.yaml", "unit: 学时", "unit: 小时");
    const message = loadError();
    expect(message).toContain("guopei/2-2-kindergarten-relief-teaching.yaml at schedule.2.unit");
  });

  it("rejects a pattern of vocabulary.yaml that is not a regular expression, naming the file and the path", () => {
    corrupt("vocabulary.yaml", 'patterns: ["(导师|', 'patterns: ["((导师|');
    const message = loadError();
    expect(message).toContain("vocabulary.yaml at unanswered.");
    expect(message).toContain("not a regular expression");
  });

  it("rejects a tag that is not in vocabulary.yaml, naming the file, the row and the tag", () => {
    corrupt("guopei/1-2-shortage-fields.yaml", "anyOf: [足球]", "anyOf: [篮球]");
    const message = loadError();
    // cross-file checks name the sub-project (plan/id), not the file: see the report
    expect(message).toContain("guopei/1-2-shortage-fields.yaml (shortage-fields) row football");
    expect(message).toContain('subjects tag "篮球" is not in vocabulary.yaml');
  });

  it("rejects a rate that applies to no duration of the row's schedule", () => {
    corrupt("guopei/2-2-kindergarten-relief-teaching.yaml", "appliesTo: placement", "appliesTo: practice");
    const message = loadError();
    expect(message).toContain("guopei/2-2-kindergarten-relief-teaching.yaml (kindergarten-relief-teaching) row kindergarten-teachers");
    expect(message).toContain("跟岗实践");
  });
});
