import { describe, expect, it } from "vitest";
import { INFERRED_MARK, shortQuote } from "../../src/answers/cite.js";
import { answerFact, CARD_PAGE_LIMIT, NO_FUNDING, overviewCard, paginate } from "../../src/answers/fact-answer.js";
import { escapeHtml } from "../../src/answers/html.js";
import { describeDuration } from "../../src/domain/budget.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import type { Knowledge, SubProject } from "../../src/knowledge/schema.js";
import type { FactKind } from "../../src/nlu/types.js";

const k = loadKnowledge();
const sp = (id: string): SubProject => {
  const found = k.subProjects.find((s) => s.id === id);
  if (!found) throw new Error(`no sub-project ${id}`);
  return found;
};
const FACTS: FactKind[] = ["overview", "quota", "schedule", "funding", "audience", "goal", "phases", "implementer", "cycle", "discrepancy"];

/** Telegram HTML as we send it: only <b>, <i>, <code>, balanced; & only as an entity; no stray < or >. */
function expectTelegramHtml(html: string): void {
  const stack: string[] = [];
  for (const m of html.matchAll(/<(\/?)([a-z]+)>|<|>/g)) {
    if (!m[2]) throw new Error(`stray ${m[0]} in: ${html.slice(Math.max(0, m.index - 20), m.index + 20)}`);
    expect(["b", "i", "code"]).toContain(m[2]);
    if (m[1]) expect(stack.pop()).toBe(m[2]);
    else stack.push(m[2]);
  }
  expect(stack).toEqual([]);
  expect(html).not.toMatch(/&(?!(amp|lt|gt|quot);)/);
}

describe("answerFact for every sub-project and fact", () => {
  const all = k.subProjects.flatMap((s) => FACTS.map((f) => [s.id, f] as const));

  it.each(all)("%s / %s: valid HTML, phone-sized, names the sub-project, cites the guide", (id, fact) => {
    const a = answerFact(k, id, fact);
    expectTelegramHtml(a);
    expect(a.length).toBeLessThanOrEqual(4000);
    expect(a).toContain(`<b>${escapeHtml(sp(id).name)}</b>`);
    // every answer cites, unless it says the guide has nothing on it
    if (!/指南未|未发现/.test(a)) expect(a).toMatch(/📖 出处：(正文|附件2)/);
  });

  it("typical answers stay short (≤ 1500 characters) apart from the overview", () => {
    const long = k.subProjects.flatMap((s) =>
      FACTS.filter((f) => f !== "overview").map((f) => ({ id: s.id, f, n: answerFact(k, s.id, f).length })).filter((x) => x.n > 1500),
    );
    expect(long).toEqual([]);
  });
});

describe("direct answers first, then the citation", () => {
  it("quota: the issue's example", () => {
    const a = answerFact(k, "shortage-fields", "quota");
    expect(a.split("\n")[0]).toBe("<b>县级紧缺领域骨干教师学科育人能力提升研修项目</b> 计划培训 <b>1100人</b>");
    expect(a).toContain("📖 出处：正文 一（一）2 培训对象「…计划培训1100人」");
  });

  it("quota in counties and schools, and a note when a row is asked about", () => {
    expect(answerFact(k, "one-to-one-support", "quota").split("\n")[0]).toBe("<b>“一对一”精准帮扶培训</b> 面向 <b>17个县</b>、<b>35所学校</b>");
    expect(answerFact(k, "county-backbone", "quota", { rowId: "primary" })).toContain("指南未按");
    expect(answerFact(k, "trainer-team", "quota")).toContain("指南未写明计划培训人数");
  });

  it("schedule: a named part first, then the whole schedule", () => {
    const a = answerFact(k, "county-backbone", "schedule", { durationId: "shadow" });
    const [first, second] = a.split("\n");
    expect(first).toBe("<b>县级骨干教师学科育人能力提升研修</b> 每年影子学习 <b>不少于7天</b>（含在集中培训15天之内）");
    expect(second).toContain("集中培训 <b>15天</b>");
    expect(a).toContain("「其中影子学习不少于7天」");
  });

  it("schedule: rows with their own days are each said", () => {
    const a = answerFact(k, "regional-master-teachers", "schedule");
    expect(a).toContain("<b>7-10天</b>");
    expect(a).toContain("中小学三科统编教材示范研修：集中研修 <b>7天</b>");
    expect(answerFact(k, "regional-master-teachers", "schedule", { rowId: "unified-textbooks" })).toContain("<b>7天</b>");
    expect(answerFact(k, "regional-master-teachers", "schedule", { rowId: "unified-textbooks" })).not.toContain("10天");
  });

  it("schedule: every duration of every sub-project appears in its schedule answer", () => {
    for (const s of k.subProjects) {
      const a = answerFact(k, s.id, "schedule");
      for (const d of s.schedule) expect(a, `${s.id} ${d.id}`).toContain(describeDuration(d));
    }
  });

  it("funding: per county and per school, with the exact yuan", () => {
    const a = answerFact(k, "one-to-one-support", "funding");
    expect(a).toContain("<b>80万/县/年</b>（每县每年800,000元）");
    expect(a).toContain("<b>20万/校/年</b>（每校每年200,000元）");
  });

  it("funding: per-person rates with a per-person total", () => {
    const a = answerFact(k, "county-backbone", "funding");
    expect(a).toContain("集中培训 <b>400元/人/天</b>");
    expect(a).toContain("异步在线培训 <b>6元/人/学时</b>");
    expect(a).toContain("15天×400元＋50学时×6元＝<b>6,300元</b>");
  });

  it("funding: where the guide gives none it says so and never shows a figure", () => {
    const none = k.subProjects.filter((s) => s.rows.every((r) => !("rates" in r.funding)));
    expect(none.map((s) => s.id).sort()).toEqual(["county-teacher-development", "digital-pilot-schools", "excellent-principals", "trainer-team"]);
    for (const s of none) {
      const a = answerFact(k, s.id, "funding");
      expect(a).toContain(NO_FUNDING);
      expect(a).not.toMatch(/\d+\s*(元|万)/);
    }
  });

  it("funding: merged-cell figures say so, and a cite's note is shown", () => {
    expect(answerFact(k, "county-backbone", "funding", { rowId: "primary" })).toContain(INFERRED_MARK);
    expect(answerFact(k, "principal-leadership", "funding")).toContain("小学骨干校长提升研修、中学骨干校长提升研修：据合并单元格推定");
    const relief = answerFact(k, "kindergarten-relief-teaching", "funding");
    const note = sp("kindergarten-relief-teaching").rows[0]!.funding;
    expect("rates" in note && note.rates[0]!.cite.note).toBeTruthy();
    if ("rates" in note) expect(relief).toContain(`ℹ️ ${escapeHtml(note.rates[0]!.cite.note!)}`);
  });

  it("audience: conditions, 优先推荐, merged-cell marks and the recommendation rule", () => {
    const a = answerFact(k, "county-backbone", "audience", { rowId: "primary" });
    expect(a).toContain("具有3-5年教龄" + INFERRED_MARK);
    expect(a).toContain("优先推荐：");
    expect(a).toContain("推荐");
    expect(a).toContain("不能个人报名");
  });

  it("discrepancies are shown with both readings next to the fact they bear on", () => {
    const a = answerFact(k, "shortage-fields", "audience");
    const d = sp("shortage-fields").discrepancies.find((x) => x.topic === "紧缺领域的范围")!;
    for (const r of d.readings) expect(a).toContain(escapeHtml(r.text));
    expect(a).toContain(escapeHtml(d.note));
  });

  it("the discrepancy answer lists every reading of every discrepancy", () => {
    for (const s of k.subProjects) {
      const a = answerFact(k, s.id, "discrepancy");
      if (!s.discrepancies.length) expect(a).toContain("未发现");
      for (const d of s.discrepancies) for (const r of d.readings) expect(a, s.id).toContain(escapeHtml(r.text));
    }
  });

  it("phases, implementer, cycle, goal", () => {
    expect(answerFact(k, "county-backbone", "phases")).toContain("能力诊断 → 专题研修 → 影子学习 → 总结提升 → 返岗指导");
    expect(answerFact(k, "county-backbone", "implementer")).toContain("由高等院校、教师培训机构牵头申报");
    expect(answerFact(k, "county-backbone", "implementer", { rowId: "middle" })).toContain(INFERRED_MARK);
    expect(answerFact(k, "excellent-principals", "cycle")).toContain("<b>2023年度设立</b>");
    expect(answerFact(k, "excellent-principals", "cycle")).toContain("<b>2年周期性项目</b>");
    expect(answerFact(k, "shortage-fields", "cycle")).toContain("<b>1年短期项目</b>");
    expect(answerFact(k, "hs-career-guidance", "goal")).toContain("生涯");
  });

  it("an unknown sub-project or row does not throw", () => {
    expect(answerFact(k, "no-such-project", "quota")).toContain("未找到");
    expect(answerFact(k, "county-backbone", "funding", { rowId: "no-such-row" })).toContain("400元/人/天");
  });
});

describe("escaping", () => {
  it("escapes every knowledge string", () => {
    const evil = structuredClone(sp("hs-career-guidance"));
    evil.name = "A<b>&C";
    evil.goal.text = "x < y & z > w";
    evil.quota[0]!.cite.quote = "<script>计划培训340人";
    const kk: Knowledge = { ...k, subProjects: [evil] };
    for (const f of FACTS) {
      const a = answerFact(kk, evil.id, f);
      expectTelegramHtml(a);
      expect(a).toContain("A&lt;b&gt;&amp;C");
    }
    expect(answerFact(kk, evil.id, "goal")).toContain("x &lt; y &amp; z &gt; w");
    expect(answerFact(kk, evil.id, "quota")).toContain("&lt;script&gt;");
    for (const page of overviewCard(kk, evil.id)) expectTelegramHtml(page);
  });
});

describe("overviewCard", () => {
  it.each(k.subProjects.map((s) => [s.id, s] as const))("%s: pages ≤ 3500, valid HTML, every fact present", (id, s) => {
    const pages = overviewCard(k, id);
    for (const p of pages) {
      expect(p.length).toBeLessThanOrEqual(CARD_PAGE_LIMIT);
      expectTelegramHtml(p);
    }
    if (pages.length > 1) pages.forEach((p, i) => expect(p).toContain(`（第${i + 1}/${pages.length}页）`));
    const all = pages.join("\n");
    expect(all).toContain(escapeHtml(s.audience.text));
    for (const q of s.quota) expect(all).toContain(String(q.value));
    for (const d of s.schedule) expect(all).toContain(describeDuration(d));
    for (const item of s.phases?.items ?? []) expect(all).toContain(escapeHtml(item));
    for (const r of s.rows) {
      if ("rates" in r.funding) for (const x of r.funding.rates) expect(all).toContain(`${x.amount}${x.unit}`);
      else expect(all).toContain(NO_FUNDING);
      if (r.implementer) expect(all).toContain(escapeHtml(r.implementer.text));
      for (const c of r.conditions.filter((x) => x.field !== "stage" && !(x.field === "role" && x.oneOf.length === 1))) {
        expect(all).toContain(escapeHtml(c.text.replace(/(者)?优先推荐$/, "$1")));
      }
    }
    expect(all).toContain(escapeHtml(s.established.label));
    for (const d of s.discrepancies) expect(all).toContain(escapeHtml(d.topic));
    expect(all).toContain("📖 出处：");
  });

  it("answerFact overview is the card's first page", () => {
    expect(answerFact(k, "trainer-team", "overview")).toBe(overviewCard(k, "trainer-team")[0]);
  });
});

describe("helpers", () => {
  it("shortQuote keeps the clause with the figure", () => {
    expect(shortQuote("书法教育教师等紧缺领域骨干教师，计划培训1100人", "1100人")).toBe("…计划培训1100人");
    expect(shortQuote("培训时间：7-10天集中研修", "10天")).toBe("…7-10天集中研修");
    expect(shortQuote("短句", "无")).toBe("短句");
    const long = "一".repeat(100);
    expect([...shortQuote(long)].length).toBe(41);
    expect(shortQuote(`${"甲".repeat(60)}${"乙".repeat(60)}1100人`, "1100人").length).toBeLessThanOrEqual(43);
  });

  it("paginate keeps sections whole where it can and splits the rest by lines", () => {
    expect(paginate(["a".repeat(10), "b".repeat(10)], 30)).toEqual([`${"a".repeat(10)}\n\n${"b".repeat(10)}`]);
    expect(paginate(["a".repeat(20), "b".repeat(20)], 30)).toEqual(["a".repeat(20), "b".repeat(20)]);
    const pages = paginate([Array.from({ length: 10 }, (_, i) => `${i}`.repeat(8)).join("\n")], 30);
    for (const p of pages) expect(p.length).toBeLessThanOrEqual(30);
    expect(pages.join("\n")).toBe(Array.from({ length: 10 }, (_, i) => `${i}`.repeat(8)).join("\n"));
  });
});
