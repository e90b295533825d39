import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { answerFact } from "../../src/answers/fact-answer.js";
import type { BudgetQuantities } from "../../src/domain/budget.js";
import type { Profile } from "../../src/domain/profile.js";
import { createSearchIndex } from "../../src/nlu/search.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { factKindOf, namedDuration, parseIntent } from "../../src/nlu/intent.js";
import { budgetQuantities, findQuantities, parseNumber, withCountUnits } from "../../src/domain/numbers.js";
import { extractProfile } from "../../src/nlu/profile.js";
import type { FactKind, Intent } from "../../src/nlu/types.js";

interface FreeTextCase {
  text: string;
  kind: Intent["kind"];
  fact?: FactKind;
  id?: string | null;
  row?: string;
  duration?: string;
  answer?: string | string[];
  profile?: Profile;
  quantities?: BudgetQuantities;
  command?: string;
}

const k = loadKnowledge();
const index = createSearchIndex(k);
const ctx = { knowledge: k, index };
const cases = parse(readFileSync(new URL("../cases/free-text.yaml", import.meta.url), "utf8")) as FreeTextCase[];

describe("free text (test/cases/free-text.yaml)", () => {
  it("has at least 60 phrasings covering every intent kind, fact kind, command and sub-project", () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    const kinds = new Set(cases.map((c) => c.kind));
    for (const kind of ["fact", "eligibility", "budget", "command", "unknown"]) expect(kinds).toContain(kind);
    const facts = new Set(cases.map((c) => c.fact));
    for (const f of ["overview", "quota", "schedule", "funding", "audience", "goal", "phases", "implementer", "cycle", "discrepancy"]) expect(facts).toContain(f);
    const commands = new Set(cases.map((c) => c.command));
    for (const c of ["start", "help", "eligibility", "projects", "budget", "declare", "subscribe", "deadlines", "my"]) expect(commands).toContain(c);
    const ids = new Set(cases.map((c) => c.id));
    for (const sp of k.subProjects) expect(ids, `no phrasing for ${sp.id}`).toContain(sp.id);
    for (const c of cases.filter((x) => x.kind === "fact")) expect(c.answer, `${c.text} needs an answer substring`).toBeDefined();
  });

  it.each(cases)("$text → $kind", (c) => {
    const intent = parseIntent(c.text, ctx);
    expect(intent.kind).toBe(c.kind);
    switch (intent.kind) {
      case "fact": {
        const [top] = intent.candidates;
        expect(intent.fact).toBe(c.fact);
        expect(top?.subProjectId).toBe(c.id);
        expect(intent.confident).toBe(true);
        if (c.row !== undefined) expect(top?.rowId).toBe(c.row);
        if (c.duration !== undefined) expect(intent.durationId).toBe(c.duration);
        const answer = answerFact(k, top!.subProjectId, intent.fact, { rowId: top!.rowId, durationId: intent.durationId });
        for (const s of [c.answer ?? []].flat()) expect(answer).toContain(s);
        expect(answer.length).toBeLessThanOrEqual(4000);
        break;
      }
      case "eligibility":
        expect(intent.profile).toEqual(c.profile);
        break;
      case "budget":
        expect(intent.candidates[0]?.subProjectId ?? null).toBe(c.id);
        if (c.id) expect(intent.confident).toBe(true);
        expect(intent.quantities).toEqual(c.quantities);
        break;
      case "command":
        expect(intent.command).toBe(c.command);
        break;
      case "unknown":
        break;
    }
  });
});

describe("numbers", () => {
  it.each([
    ["50", 50],
    ["一百", 100],
    ["两百", 200],
    ["三十", 30],
    ["十五", 15],
    ["十", 10],
    ["一百五", 150],
    ["一百零五", 105],
    ["三千二百", 3200],
    ["一千二", 1200],
    ["两万", 20000],
    ["一万五", 15000],
    ["1.5万", 15000],
    ["3千", 3000],
    ["４７０６", 4706],
  ] as const)("%s → %d", (text, n) => {
    expect(parseNumber(text)).toBe(n);
  });

  it.each(["", "二三", "十百", "abc", "一对一"])("%s is no number", (text) => {
    expect(parseNumber(text)).toBeUndefined();
  });

  it("finds counted quantities and their kinds", () => {
    const q = findQuantities("3年，50人，2个县，3所学校，15天，50学时，80万");
    expect(q.map((x) => [x.value, x.kind])).toEqual([
      [3, "years"],
      [50, "people"],
      [2, "counties"],
      [3, "schools"],
      [15, "days"],
      [50, "hours"],
      [80, "money"],
    ]);
  });

  it("does not read 一样, 一致 or 一起 after 人数 as a count of one", () => {
    for (const text of ["换成管理团队研修 人数一样", "人数一致", "学员一起算"]) expect(findQuantities(text), text).toEqual([]);
    expect(findQuantities("人数一百").map((x) => [x.value, x.kind])).toEqual([[100, "people"]]);
  });

  it("does not read 一对一 or 县级 as counts", () => {
    expect(findQuantities("一对一帮扶每个县多少钱")).toEqual([]);
    expect(findQuantities("50名县级骨干教师").map((x) => x.kind)).toEqual(["people"]);
    expect(findQuantities("50个县级骨干教师").map((x) => x.kind)).not.toContain("counties");
    expect(findQuantities("两个帮扶县、五所帮扶学校").map((x) => [x.value, x.kind])).toEqual([
      [2, "counties"],
      [5, "schools"],
    ]);
  });

  // a list whose items end in a bare number: head-counts when a label names people or the list counts people
  it.each([
    ["紧缺领域 足球老师二十 书法十五 劳动十五 心理二十", [20, 15, 15, 20]],
    ["高中校长领导力 校长25个 书记15个", [25, 15]],
    ["骨干校园长 小学校长25 幼儿园园长15 依法治校再报20", [25, 15, 20]],
    ["县骨 书法十五 劳动十五", [15, 15]],
    ["骨干校园长 中学校长20 依法治校10", [20, 10]],
    ["10个 高中书记", [10]],
    ["初中数学 教龄 5", []],
    ["县骨 集中培训10 多少钱", []],
    ["国培 2024", []],
    ["县骨 30", []],
  ])("list counts: %s", (text, people) => {
    expect(findQuantities(text).filter((x) => x.kind === "people").map((x) => x.value)).toEqual(people);
  });

  it("writes 人 after a bare count of a list, so a part cut from it still counts people", () => {
    expect(withCountUnits("骨干校园长 小学校长25 依法治校再报20")).toBe("骨干校园长 小学校长25人 依法治校再报20人");
    expect(withCountUnits("教龄 5")).toBe("教龄 5");
  });

  it("maps days and hours to the schedule part they name, years of service are not a budget cycle", () => {
    const sp = k.subProjects.find((s) => s.id === "kindergarten-relief-teaching")!;
    const billed = sp.rows[0]!.schedule!;
    expect(budgetQuantities("80人，跟岗实践18天，集中培训12天，一对一指导60学时", billed)).toEqual({
      people: 80,
      amounts: { placement: 18, concentrated: 12, coaching: 60 },
    });
    expect(budgetQuantities("教龄5年，30人")).toEqual({ people: 30 });
  });

  it.each<[string, { people?: number; years?: number }, string]>([
    ["领航 5人 一年25天 三年", { people: 5, years: 3 }, "一年25天 is a length per year; 三年 is the cycle"],
    ["一年15天 2年", { people: undefined, years: 2 }, "the same with no count"],
    ["30人 一年多少钱", { people: 30, years: 1 }, "一年 alone is one year"],
    ["全员老师1500", { people: 1500, years: undefined }, "a count after 老师"],
    ["团队75", { people: 75, years: undefined }, "a count after 团队"],
  ])("%s → %o (%s)", (text, want) => {
    const q = budgetQuantities(text);
    expect({ people: q.people, years: q.years }).toEqual(want);
  });
});

describe("profile", () => {
  const v = k.vocabulary;
  it.each([
    ["我是小学数学老师，教龄4年", { role: "teacher", stage: "小学", subjects: ["数学"], teachingYears: 4 }],
    // a plain 园长/校长 holds the post itself (正职): 附件2's 正职 rows apply
    ["我在幼儿园当园长7年了", { role: "principal", stage: "幼儿园", positions: ["正职"], postYears: 7 }],
    ["初中英语教师，工作6年，是县级名师工作室成员", { role: "teacher", stage: "初中", subjects: ["英语"], teachingYears: 6, honours: ["县级工作室成员"] }],
    // "南疆项目县" is no membership of the 顶岗支教 list: it is said back and asked (issue 9, class 3)
    ["我是南疆项目县的幼儿园老师", { role: "teacher", stage: "幼儿园" }],
    ["中小学校长，当校长10年", { role: "principal", positions: ["正职"], postYears: 10 }],
    ["有8年教龄的初中物理老师，地区级教学能力比赛获过奖", { role: "teacher", stage: "初中", subjects: ["物理"], teachingYears: 8, honours: ["地区级比赛等次"] }],
    ["我是正职校长，工作20年，其中任职6年", { role: "principal", positions: ["正职"], postYears: 6, teachingYears: undefined }],
    ["高中生涯规划老师", { role: "teacher", stage: "高中", positions: ["生涯规划指导教师"] }],
    ["县教育局干部", { role: "education_admin" }],
    ["进修学校校长", { role: "training_institution_head" }],
  ] as const)("%s", (text, expected) => {
    const p = extractProfile(text, v);
    const want = Object.fromEntries(Object.entries(expected).filter(([, x]) => x !== undefined));
    expect(p).toEqual(want);
  });

  it("中小学 is no stage and 中学 stays open", () => {
    expect(extractProfile("中小学教师", v).stage).toBeUndefined();
    expect(extractProfile("中学校长", v).stage).toBeUndefined();
  });
});

describe("fact words", () => {
  it.each([
    ["计划培训多少人", "quota"],
    ["名额有多少", "quota"],
    ["培训多少天", "schedule"],
    ["需要多久", "schedule"],
    ["多少学时", "schedule"],
    ["经费标准", "funding"],
    ["每天多少钱", "funding"],
    ["培训对象是谁", "audience"],
    ["教龄要求", "audience"],
    ["谁能参加", "audience"],
    ["培训目标", "goal"],
    ["学什么内容", "goal"],
    ["有哪些环节", "phases"],
    ["谁申报", "implementer"],
    ["实施单位", "implementer"],
    ["牵头单位", "implementer"],
    ["是几年的项目", "cycle"],
    ["哪年新设", "cycle"],
    ["正文和附件有什么不一致", "discrepancy"],
    ["", "overview"],
    ["介绍一下", "overview"],
    // 新课程标准 is a name, not a question about funding
    ["义务教育新课程标准示范研修", "overview"],
  ] as const)("%s → %s", (text, fact) => {
    expect(factKindOf(text)).toBe(fact);
  });

  it("names a schedule part by its label, not by a generic word", () => {
    const county = k.subProjects.find((s) => s.id === "county-backbone")!;
    expect(namedDuration("影子学习几天", county.schedule)).toBe("shadow");
    expect(namedDuration("线上学习几个学时", county.schedule)).toBe("online");
    expect(namedDuration("集中几天", county.schedule)).toBe("concentrated");
    expect(namedDuration("培训几天", county.schedule)).toBeUndefined();
  });
});

describe("speed (informal: logged, not asserted)", () => {
  it("answers every phrasing the same way each time; logs p50/p99 of the whole free-text path", () => {
    const texts = [
      ...cases.map((c) => c.text),
      ...(parse(readFileSync(new URL("../cases/search-phrasings.yaml", import.meta.url), "utf8")) as { q: string }[]).map((c) => c.q),
    ];
    const run = (t: string): string => {
      const intent = parseIntent(t, ctx);
      if (intent.kind !== "fact" || !intent.candidates[0]) return JSON.stringify(intent);
      const top = intent.candidates[0];
      return answerFact(k, top.subProjectId, intent.fact, { rowId: top.rowId, durationId: intent.durationId });
    };
    const first = texts.map(run);
    const times: number[] = [];
    for (let round = 0; round < 5; round++) {
      texts.forEach((t, i) => {
        const t0 = performance.now();
        const out = run(t);
        times.push(performance.now() - t0);
        expect(out).toBe(first[i]);
      });
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!.toFixed(3);
    console.log(`free-text path over ${times.length} runs: p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${times.at(-1)!.toFixed(3)} ms`);
  });
});
