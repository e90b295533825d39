import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { eligibilityAnswer } from "../../src/answers/eligibility-answer.js";
import { DEPUTY_JUDGED, assess, assessSubProject, relevantFields, restsOnUnit } from "../../src/domain/eligibility.js";
import type { Profile } from "../../src/domain/profile.js";
import { loadKnowledge } from "../../src/knowledge/load.js";

interface Case {
  name: string;
  profile: Profile;
  eligible: string[];
  priority?: string[];
  nearMiss?: Record<string, number>;
  notEligible?: string[];
  needsInfo?: Record<string, string[]>;
  /** Prose and table disagree on a condition this profile fails: neither yes nor no. */
  disputed?: string[];
  why: string;
}

const k = loadKnowledge();
const cases = parse(readFileSync(new URL("../cases/eligibility-cases.yaml", import.meta.url), "utf8")) as Case[];

describe("eligibility rule table (worked by hand from the guide)", () => {
  it("has at least 30 cases", () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const verdicts = assess(k, c.profile);
    const byId = new Map(verdicts.map((v) => [v.subProject.id, v]));
    const eligible = verdicts.filter((v) => v.kind === "eligible" || v.kind === "eligible_priority").map((v) => v.subProject.id);
    expect(eligible.sort(), c.why).toEqual([...c.eligible].sort());
    const priority = verdicts.filter((v) => v.kind === "eligible_priority").map((v) => v.subProject.id);
    expect(priority.sort(), c.why).toEqual([...(c.priority ?? [])].sort());
    const near = Object.fromEntries(verdicts.filter((v) => v.kind === "not_eligible" && v.nearMiss).map((v) => [v.subProject.id, v.nearMiss!.yearsShort]));
    expect(near, c.why).toEqual(c.nearMiss ?? {});
    for (const id of c.notEligible ?? []) expect(byId.get(id)?.kind, `${id}: ${c.why}`).toBe("not_eligible");
    for (const id of c.disputed ?? []) expect(byId.get(id)?.kind, `${id}: ${c.why}`).toBe("disputed");
    for (const [id, fields] of Object.entries(c.needsInfo ?? {})) {
      expect(byId.get(id)?.kind, id).toBe("needs_info");
      expect(byId.get(id)?.missing, id).toEqual(fields);
    }
  });
});

describe("eligibility verdicts explain themselves", () => {
  const teacher: Profile = { role: "teacher", stage: "小学", subjects: ["数学"], teachingYears: 4, honours: [], positions: [], projects: [] };

  it("every check of a verdict carries its condition text and a citation", () => {
    for (const v of assess(k, teacher)) {
      for (const c of [...v.best.checks, ...v.best.priorityChecks]) {
        expect(c.condition.text.length).toBeGreaterThan(0);
        expect(c.condition.cite.where).toMatch(/^(正文|附件2)/);
      }
    }
  });

  it("tells a 4-year primary maths teacher they fit 县级骨干 and why not 地级骨干", () => {
    const text = eligibilityAnswer(k, assess(k, teacher), teacher).text;
    const county = text.indexOf("县级骨干教师学科育人能力提升研修");
    expect(county).toBeGreaterThan(-1);
    expect(text).toContain("具有3-5年教龄（你：4年）");
    expect(text).toMatch(/地级骨干教师教学创新能力提升研修(项目)?<\/b>：要求具有5-8年教龄，你的教龄为4年，再有1年教龄即可/);
    expect(text).toContain("推荐");
    expect(text.length).toBeLessThan(4000);
  });

  it("asks only what still matters: a party secretary is never asked for subjects or teaching years", () => {
    const fields = relevantFields(k, { role: "party_secretary" });
    expect(fields).toContain("stage");
    expect(fields).toContain("postYears");
    expect(fields).not.toContain("subjects");
    expect(fields).not.toContain("teachingYears");
  });

  it("asks nothing more once every verdict is settled", () => {
    expect(relevantFields(k, teacher)).toEqual([]);
  });

  it("leaves a designation the person never claimed (名校长 for a plain 校长) to the unit: not a yes", () => {
    const sp = k.subProjects.find((x) => x.id === "leading-educators")!;
    const principal: Profile = { role: "principal", stage: "小学", postYears: 8 };
    const plain = assessSubProject(sp, principal, k.vocabulary.judged, true);
    expect(plain.kind).toBe("eligible");
    expect(restsOnUnit(plain.best)).toBe(true);
    const named = assessSubProject(sp, { ...principal, honours: ["名师名校长"] }, k.vocabulary.judged, true);
    expect(restsOnUnit(named.best)).toBe(false);
  });

  it.each([
    [{ role: "principal", deputy: "副校长", stage: "小学", postYears: 4 } as Profile, true, "a 副校长 meets 校长 only through the deputy post: the unit's to decide"],
    [{ role: "principal", stage: "小学", postYears: 4, positions: ["正职"] } as Profile, false, "a 校长 meets it outright"],
  ])("依法治校's 校长 condition for %o: left to the unit → %s (%s)", (p, judged) => {
    const sp = k.subProjects.find((x) => x.id === "rule-of-law-principals")!;
    const v = assessSubProject(sp, p, k.vocabulary.judged);
    const role = v.best.checks.find((c) => c.condition.field === "role")!;
    expect(role.status).toBe("pass");
    expect(role.judged).toBe(judged ? "副职是否算在内" : undefined);
    expect(DEPUTY_JUDGED).toBe("副职是否算在内");
  });

  it("no role condition claims a designation: 名师/名校长/名书记 are honours the person or the unit must state", () => {
    for (const sp of k.subProjects)
      for (const row of sp.rows)
        for (const c of row.conditions) if (c.field === "role") expect(c.text, `${sp.id}/${row.id}`).not.toMatch(/名(师|校长|园长|书记)|优秀校/);
  });
});
