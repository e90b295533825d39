/**
 * Format of issue 9's evaluation sets (test/heldout/*.yaml): every item parses, ids are unique and carry the
 * set's prefix, every sub-project id named exists in knowledge/, and no question is in both sets (a held-out
 * question that also sits in the tunable dev set would no longer be held out).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";

const HELDOUT_DIR = new URL("../heldout/", import.meta.url);
const KNOWLEDGE_DIR = new URL("../../knowledge/", import.meta.url);

const subProjectId = z.string().regex(/^[a-z0-9-]+$/);
const item = z.strictObject({
  id: z.string(),
  q: z.string().min(1),
  before: z.array(z.string().min(1)).min(1).optional(),
  expect: z.enum(["answer", "ask", "none"]),
  about: subProjectId.optional(),
  must: z.array(z.string().min(1)).min(1).optional(),
  eligible: z.array(subProjectId).min(1).optional(),
  notEligible: z.array(subProjectId).min(1).optional(),
  total: z.number().int().positive().optional(),
  cycleTotal: z.number().int().positive().optional(),
  why: z.string().min(1),
});
const itemSet = z.array(item);
type Item = z.infer<typeof item>;

/** Sub-project ids, read from the `id:` lines of knowledge/<plan>/*.yaml (ids only, nothing else). */
function knowledgeIds(): Set<string> {
  const ids = new Set<string>();
  for (const plan of readdirSync(KNOWLEDGE_DIR, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    const dir = new URL(`${plan.name}/`, KNOWLEDGE_DIR);
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
      const m = /^id:\s*(\S+)\s*$/m.exec(readFileSync(new URL(file, dir), "utf8"));
      if (m?.[1]) ids.add(m[1]);
    }
  }
  return ids;
}

/** What counts as "the same question": spaces and punctuation do not make two questions different. */
const normalise = (q: string): string => q.normalize("NFKC").replace(/[\s\p{P}\p{S}]/gu, "").toLowerCase();

/** Every format problem in the named sets; an empty list means the sets are well-formed. */
function formatProblems(sets: Record<string, { prefix: string; items: unknown }>, known: Set<string>): string[] {
  const problems: string[] = [];
  const seenQuestion = new Map<string, string>();
  for (const [name, { prefix, items }] of Object.entries(sets)) {
    const parsed = itemSet.safeParse(items);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${name}: ${issue.path.join(".")}: ${issue.message}`);
      continue;
    }
    const ids = new Set<string>();
    for (const it of parsed.data) {
      if (!new RegExp(`^${prefix}\\d{3}$`).test(it.id)) problems.push(`${name}: id ${it.id} should look like ${prefix}001`);
      if (ids.has(it.id)) problems.push(`${name}: duplicate id ${it.id}`);
      ids.add(it.id);
      for (const sp of [it.about, ...(it.eligible ?? []), ...(it.notEligible ?? [])]) {
        if (sp !== undefined && !known.has(sp)) problems.push(`${name} ${it.id}: unknown sub-project id ${sp}`);
      }
      const both = (it.eligible ?? []).filter((sp) => (it.notEligible ?? []).includes(sp));
      if (both.length > 0) problems.push(`${name} ${it.id}: ${both.join(",")} both eligible and notEligible`);
      if (it.cycleTotal !== undefined && it.total === undefined) problems.push(`${name} ${it.id}: cycleTotal without total`);
      if (it.expect === "none" && (it.must || it.total || it.eligible)) {
        problems.push(`${name} ${it.id}: a "none" item cannot require an answer`);
      }
      const key = normalise(it.q);
      const here = `${name} ${it.id}`;
      const other = seenQuestion.get(key);
      if (other !== undefined && !other.startsWith(`${name} `)) {
        // Never name a held-out item: a writer of development items must not learn what it holds.
        const heldOut = (entry: string) => entry.startsWith("heldout ");
        if (heldOut(here)) problems.push(`${other}: also in the held-out set`);
        else if (heldOut(other)) problems.push(`${here}: also in the held-out set`);
        else problems.push(`${here}: same question as ${other}`);
      }
      if (other === undefined) seenQuestion.set(key, here);
    }
  }
  return problems;
}

const load = (file: string): unknown => parse(readFileSync(new URL(file, HELDOUT_DIR), "utf8"));
const known = knowledgeIds();

describe("held-out evaluation sets (format)", () => {
  it("knows the 22 sub-project ids", () => expect(known.size).toBe(22));

  it("dev.yaml to dev9.yaml and heldout.yaml are well-formed, with no question in two sets", () => {
    const dev = load("dev.yaml");
    const dev2 = load("dev2.yaml");
    const dev3 = load("dev3.yaml");
    const dev4 = load("dev4.yaml");
    // dev5.yaml (session 5) is written in batches; until its first batch lands it is absent.
    const dev5 = existsSync(new URL("dev5.yaml", HELDOUT_DIR)) ? load("dev5.yaml") : [];
    // dev6.yaml (session 8) is written in batches too.
    const dev6 = existsSync(new URL("dev6.yaml", HELDOUT_DIR)) ? load("dev6.yaml") : [];
    // dev7.yaml (session 9): its items are f001…, as e… ran out at e940's neighbours.
    const dev7 = existsSync(new URL("dev7.yaml", HELDOUT_DIR)) ? load("dev7.yaml") : [];
    // dev8.yaml (session 10): g001….
    const dev8 = existsSync(new URL("dev8.yaml", HELDOUT_DIR)) ? load("dev8.yaml") : [];
    // dev9.yaml (session 11): i001….
    const dev9 = existsSync(new URL("dev9.yaml", HELDOUT_DIR)) ? load("dev9.yaml") : [];
    const heldout = load("heldout.yaml");
    // dev.yaml to dev3.yaml used up d001–d999, so dev4.yaml numbers its items e001…, dev5.yaml e401… and dev6.yaml e701….
    const sets = {
      dev: { prefix: "d", items: dev },
      dev2: { prefix: "d", items: dev2 },
      dev3: { prefix: "d", items: dev3 },
      dev4: { prefix: "e", items: dev4 },
      dev5: { prefix: "e", items: dev5 },
      dev6: { prefix: "e", items: dev6 },
      dev7: { prefix: "f", items: dev7 },
      dev8: { prefix: "g", items: dev8 },
      dev9: { prefix: "i", items: dev9 },
      heldout: { prefix: "h", items: heldout },
    };
    expect(formatProblems(sets, known)).toEqual([]);
    expect((dev as Item[]).length).toBeGreaterThanOrEqual(100);
    expect((dev2 as Item[]).length).toBeGreaterThanOrEqual(150);
    expect((dev3 as Item[]).length).toBeGreaterThanOrEqual(290);
    expect((dev4 as Item[]).length).toBeGreaterThanOrEqual(350);
    expect((heldout as Item[]).length).toBeGreaterThanOrEqual(300);
  });

  it("the development sets' ids do not overlap (one id names one item across dev to dev9)", () => {
    const files = ["dev.yaml", "dev2.yaml", "dev3.yaml", "dev4.yaml", "dev5.yaml", "dev6.yaml", "dev7.yaml", "dev8.yaml", "dev9.yaml"].filter((f) => existsSync(new URL(f, HELDOUT_DIR)));
    const seen = new Set<string>();
    const clashes: string[] = [];
    for (const file of files) {
      for (const { id } of load(file) as Item[]) {
        if (seen.has(id)) clashes.push(`${file} ${id}`);
        seen.add(id);
      }
    }
    expect(clashes).toEqual([]);
  });

  it("reports each kind of format problem", () => {
    const bad = {
      dev: {
        prefix: "d",
        items: [
          { id: "d001", q: "县骨几天", expect: "answer", about: "county-backbone", why: "x" },
          { id: "d001", q: "地骨几天", expect: "answer", about: "no-such-project", why: "x" },
          { id: "x3", q: "哪天截止", expect: "none", must: ["1月"], why: "x" },
        ],
      },
      dev4: { prefix: "e", items: [{ id: "d500", q: "领航几年", expect: "answer", why: "x" }] },
      heldout: {
        prefix: "h",
        items: [{ id: "h001", q: "县骨 几天？", expect: "answer", eligible: ["county-backbone"], notEligible: ["county-backbone"], why: "x" }],
      },
    };
    const problems = formatProblems(bad, known);
    expect([...problems].sort()).toEqual(
      [
        "dev d001: unknown sub-project id no-such-project",
        "dev: duplicate id d001",
        "dev: id x3 should look like d001",
        'dev x3: a "none" item cannot require an answer',
        "dev4: id d500 should look like e001",
        "heldout h001: county-backbone both eligible and notEligible",
        "dev d001: also in the held-out set",
      ].sort(),
    );
    expect(problems).toHaveLength(7);
    expect(formatProblems({ dev: { prefix: "d", items: [{ id: "d001", q: "x", expect: "maybe", why: "x" }] } }, known)).toHaveLength(1);
  });
});
