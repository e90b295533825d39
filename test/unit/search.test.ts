import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { createSearchIndex, keyVariants } from "../../src/nlu/search.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import type { Knowledge, SubProject } from "../../src/knowledge/schema.js";
import { parseIntent } from "../../src/nlu/intent.js";
import { bigrams, compact, normalize, tokenize } from "../../src/nlu/segment.js";
import type { FactKind } from "../../src/nlu/types.js";

interface PhrasingCase {
  q: string;
  id: string;
  fact: FactKind;
  /** null: the query names no row. */
  row?: string | null;
  exact?: boolean;
}

const k = loadKnowledge();
const index = createSearchIndex(k);
const cases = parse(readFileSync(new URL("../cases/search-phrasings.yaml", import.meta.url), "utf8")) as PhrasingCase[];

describe("search phrasings (test/cases/search-phrasings.yaml)", () => {
  it("has at least 40 phrasings covering every sub-project and every fact kind but overview", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const ids = new Set(cases.map((c) => c.id));
    for (const sp of k.subProjects) expect(ids, `no phrasing for ${sp.id}`).toContain(sp.id);
    const facts = new Set(cases.map((c) => c.fact));
    for (const f of ["quota", "schedule", "funding", "audience", "goal", "phases", "implementer", "cycle", "discrepancy"]) expect(facts).toContain(f);
    for (const c of cases) expect(k.subProjects.some((s) => s.id === c.id), `unknown id ${c.id}`).toBe(true);
  });

  it.each(cases)("$q → $id / $fact", (c) => {
    const [top] = index.search(c.q);
    expect(top?.subProjectId).toBe(c.id);
    if (c.row !== undefined) expect(top?.rowId ?? null).toBe(c.row);
    if (c.exact) expect(top?.score).toBe(0);
    const intent = parseIntent(c.q, { knowledge: k, index });
    expect(intent.kind).toBe("fact");
    if (intent.kind !== "fact") return;
    expect(intent.fact).toBe(c.fact);
    expect(intent.candidates[0]?.subProjectId).toBe(c.id);
    expect(intent.confident).toBe(true);
  });
});

describe("exact names", () => {
  const names = (sp: SubProject) => [sp.name, ...(sp.tableName ? [sp.tableName] : [])];

  it.each(k.subProjects.map((sp) => [sp.id, sp] as const))("%s: its name and 附件2 name are exact hits (score 0)", (_id, sp) => {
    for (const name of names(sp)) {
      const lookup = index.lookup(`${name}的培训对象是什么？`);
      expect(lookup.candidates[0]).toMatchObject({ subProjectId: sp.id, score: 0 });
      expect(lookup.exact).toBe(true);
      expect(lookup.confident).toBe(true);
    }
  });

  it("every alias that belongs to one sub-project finds it with score 0", () => {
    const owners = new Map<string, Set<string>>();
    for (const sp of k.subProjects) for (const a of sp.aliases) owners.set(compact(a), (owners.get(compact(a)) ?? new Set()).add(sp.id));
    let checked = 0;
    for (const sp of k.subProjects) {
      for (const a of sp.aliases) {
        if (owners.get(compact(a))!.size > 1) continue;
        const [top] = index.search(a);
        expect(top, a).toMatchObject({ subProjectId: sp.id, score: 0 });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("the longest name contained in the query wins", () => {
    // 县级紧缺领域骨干教师学科育人能力提升研修 contains no 县级骨干 name but shares most of its words
    const [top, second] = index.search("县级紧缺领域骨干教师学科育人能力提升研修");
    expect(top).toMatchObject({ subProjectId: "shortage-fields", score: 0 });
    expect(second?.score ?? 1).toBeGreaterThan(0);
    // 骨干校园长提升研修 (附件2 name) is longer than the alias 骨干校园长
    expect(index.search("骨干校园长提升研修几天")[0]).toMatchObject({ subProjectId: "principal-leadership", score: 0 });
  });

  it("a row label names its row", () => {
    expect(index.search("小学党组织书记研修多少天")[0]).toMatchObject({ subProjectId: "party-secretaries", rowId: "primary", score: 0 });
    expect(index.search("中学骨干校长提升研修")[0]).toMatchObject({ subProjectId: "principal-leadership", rowId: "secondary" });
    expect(index.search("高校-优质校-帮扶校“一对一”精准帮扶培训")[0]).toMatchObject({ subProjectId: "one-to-one-support", rowId: "school" });
  });

  it("a stage word picks the row, but not one inside the matched name", () => {
    expect(index.search("地级骨干教师 幼儿园")[0]).toMatchObject({ subProjectId: "prefecture-backbone", rowId: "kindergarten" });
    expect(index.search("县级骨干 初中 数学")[0]?.rowId).toBe("middle");
    // 幼儿园 is part of the name here: no row is named
    expect(index.search("中小学（幼儿园）党组织书记研修几天")[0]?.rowId).toBeUndefined();
    expect(index.search("县级骨干教师学科育人能力提升研修几天")[0]?.rowId).toBeUndefined();
  });
});

describe("ranking without a name", () => {
  it("finds a sub-project by a term only it has", () => {
    expect(index.search("影子学习")[0]?.subProjectId).toBe("county-backbone");
    expect(index.search("名校观摩")[0]?.subProjectId).toBe("prefecture-backbone");
    expect(index.search("区外研修")[0]?.subProjectId).toBe("trainer-team");
    expect(index.search("课堂问诊、同课异构")[0]?.subProjectId).toBe("self-directed-pilot");
  });

  it("tolerates a typo in a name (顶岗之教, 依法至校)", () => {
    expect(index.search("顶岗之教")[0]?.subProjectId).toBe("kindergarten-relief-teaching");
    expect(index.search("依法至校专题研修")[0]?.subProjectId).toBe("rule-of-law-principals");
  });

  it("reads traditional and full-width forms", () => {
    expect(index.search("縣級骨幹教師學科育人能力提升研修")[0]).toMatchObject({ subProjectId: "county-backbone", score: 0 });
    expect(index.search("ＡＢＣ县级骨干")[0]?.subProjectId).toBe("county-backbone");
  });

  it("is not confident when two sub-projects share the evidence", () => {
    const lookup = index.lookup("骨干教师培训");
    expect(lookup.confident).toBe(false);
  });

  it("returns nothing for text about nothing in the guide", () => {
    for (const q of ["今天天气怎么样", "", "   ", "😀😀", "hello world", "多少天"]) expect(index.search(q), q).toEqual([]);
  });

  it("handles long queries (beyond fuse's 32-character patterns) without losing the answer", () => {
    const q = `${"我想问一下关于这个项目的一些具体情况，".repeat(4)}顶岗支教跟岗实践到底是多少天呢`;
    expect(q.length).toBeGreaterThan(64);
    expect(index.search(q)[0]?.subProjectId).toBe("kindergarten-relief-teaching");
  });

  it("honours the limit, scores in 0..1, best first, and is deterministic", () => {
    const a = index.search("名校访学研修", 3);
    expect(a.length).toBeLessThanOrEqual(3);
    expect(a.length).toBeGreaterThan(1);
    for (const c of a) expect(c.score).toBeGreaterThanOrEqual(0);
    for (const c of a) expect(c.score).toBeLessThanOrEqual(1);
    for (let i = 1; i < a.length; i++) expect(a[i]!.score).toBeGreaterThanOrEqual(a[i - 1]!.score);
    expect(index.search("名校访学研修", 3)).toEqual(a);
  });

  it("builds from any Knowledge object (pure: no files)", () => {
    const only = k.subProjects.find((s) => s.id === "trainer-team")!;
    const tiny: Knowledge = { ...k, subProjects: [only] };
    const small = createSearchIndex(tiny);
    expect(small.search("培训者团队研修")[0]?.subProjectId).toBe("trainer-team");
    expect(small.search("影子学习")).toEqual([]);
  });
});

describe("text helpers", () => {
  it("normalises full width and traditional characters", () => {
    expect(normalize("縣級骨幹（南疆）１００人")).toBe("县级骨干(南疆)100人");
    expect(compact("“一对一”精准帮扶培训！")).toBe("一对一精准帮扶培训");
  });

  it("makes bigrams of Han runs only", () => {
    expect(bigrams("影子学习50学时")).toEqual(["影子", "子学", "学习", "学时"]);
  });

  it("tokenises into words and bigrams, with unknown runs kept for fuzzy matching", () => {
    const t = tokenize("顶岗支教多少天");
    expect(t.terms).toContain("顶岗");
    expect(t.terms).toContain("多少");
    expect(t.fuzzy.some((f) => f.includes("顶岗"))).toBe(true);
  });

  it("spells a name several ways", () => {
    const v = keyVariants("普通高中校长（书记）领导力提升培训");
    expect(v).toContain("普通高中校长书记领导力提升培训");
    expect(v).toContain("普通高中校长领导力提升培训");
    expect(v).toContain("高中校长领导力提升培训");
    expect(keyVariants("地级骨干教师教学创新能力提升研修项目")).toContain("地级骨干教师教学创新能力提升研修");
  });
});
