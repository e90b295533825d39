/**
 * The implementer rules of src/domain/implementer.ts: the merged 实施单位 cell, the partners each
 * 协同 phrase of the guide asks for, and whether a partner's name fits.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { implementerOf, partnerMismatch, partnerRule, type PartnerKind } from "../../src/domain/implementer.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import type { Knowledge } from "../../src/knowledge/schema.js";

let k: Knowledge;
beforeAll(() => {
  k = loadKnowledge();
});

const sp = (id: string) => k.subProjects.find((s) => s.id === id)!;

describe("implementerOf", () => {
  it("carries a blank cell from the nearest filled row above (merged cell), never from below", () => {
    const county = sp("county-backbone");
    expect(county.rows.map((r) => !!r.implementer)).toEqual([true, false, false]);
    const [first, second] = county.rows.map((r) => implementerOf(county, r));
    expect(first).toMatchObject({ carried: false, text: "由高等院校、教师培训机构牵头申报，协同优质中小学幼儿园组织实施" });
    expect(second).toMatchObject({ carried: true, text: first!.text });
    // 优秀校园长深度研修 has none in the guide.
    expect(implementerOf(sp("excellent-principals"), sp("excellent-principals").rows[0]!)).toBeUndefined();
  });
});

describe("partnerRule", () => {
  it.each<[string, string, PartnerKind[]]>([
    ["由高等院校、教师培训机构牵头申报，协同优质中小学幼儿园组织实施", "优质中小学幼儿园", ["中学", "小学", "幼儿园"]],
    ["由高等院校、教师培训机构牵头申报，协同优质中学组织实施", "优质中学", ["中学"]],
    ["由高等院校、教师培训机构牵头申报，协同优质中小学组织实施", "优质中小学", ["中学", "小学"]],
    ["由高等院校、教师培训机构牵头申报，协同一线优质幼儿园组织实施", "一线优质幼儿园", ["幼儿园"]],
    ["协同区外高等院校、教师培训机构实施", "区外高等院校、教师培训机构", ["高等院校", "教师培训机构"]],
    ["由高等院校、教师培训机构牵头申报，协同县市教育行政部门组织实施", "县市教育行政部门", ["教育行政部门"]],
    ["由高等院校、教师培训机构牵头申报，协同县市教育行政部门及帮扶县市组织实施", "县市教育行政部门及帮扶县市", ["教育行政部门", "帮扶县市"]],
    ["由高等院校、教师培训机构牵头申报，协同优质中小学、幼儿园及帮扶学校组织实施", "优质中小学、幼儿园及帮扶学校", ["中学", "小学", "幼儿园"]],
    ["由高等院校、教师培训机构牵头申报，协同优质中小学幼儿园、区域教师培训机构等组织实施", "优质中小学幼儿园、区域教师培训机构", ["中学", "小学", "幼儿园", "教师培训机构"]],
  ])("%s", (text, phrase, kinds) => {
    const rule = partnerRule({ text, cite: { where: "附件2", quote: text }, carried: false })!;
    expect(rule.phrase).toBe(phrase);
    expect([...rule.kinds].sort()).toEqual([...kinds].sort());
  });

  it("reads every implementer text in knowledge/: a 协同 phrase always names at least one kind", () => {
    for (const s of k.subProjects) {
      for (const r of s.rows) {
        const imp = implementerOf(s, r);
        if (!imp?.text.includes("协同")) continue;
        expect(partnerRule(imp)?.kinds.length, `${s.id}/${r.id}: ${imp.text}`).toBeGreaterThan(0);
      }
    }
  });

  it("asks for no partners where the guide names none", () => {
    expect(partnerRule(undefined)).toBeUndefined();
    expect(partnerRule({ text: "由高等院校牵头实施", cite: { where: "附件2", quote: "x" }, carried: false })).toBeUndefined();
  });
});

describe("partnerMismatch", () => {
  const rule = (kinds: PartnerKind[], phrase = "优质中学") => ({ phrase, kinds });
  it.each<[string, PartnerKind[], boolean]>([
    ["乌鲁木齐市第一中学", ["中学"], true],
    ["新疆实验中学", ["中学"], true],
    ["乌鲁木齐市第一小学", ["中学"], false],
    ["昌吉州第一幼儿园", ["中学", "小学", "幼儿园"], true],
    ["昌吉州第一幼儿园", ["中学"], false],
    ["北京师范大学", ["高等院校", "教师培训机构"], true],
    ["喀什地区教师发展中心", ["高等院校", "教师培训机构"], true],
    ["乌鲁木齐市第一中学", ["高等院校", "教师培训机构"], false],
    ["和田县教育局", ["教育行政部门", "帮扶县市"], true],
    ["于田县", ["教育行政部门", "帮扶县市"], true],
    ["这个填啥", ["中学", "小学", "幼儿园"], false],
  ])("%s against %j fits: %s", (name, kinds, fits) => {
    const why = partnerMismatch(name, rule(kinds));
    expect(why === undefined).toBe(fits);
    if (!fits) expect(why).toContain(`“${name}”不像是优质中学的全称`);
  });
});
