import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { budgetAnswer } from "../../src/answers/budget-answer.js";
import { computeBudget, type BudgetQuantities } from "../../src/domain/budget.js";
import { groupDigits, wan, yuan } from "../../src/domain/money.js";
import { loadKnowledge } from "../../src/knowledge/load.js";

interface Case {
  name: string;
  subProject: string;
  row?: string;
  quantities: BudgetQuantities;
  lines?: string[];
  perYear?: number;
  cycle?: number;
  warnings?: string[];
  noStandard?: boolean;
  why: string;
}

const k = loadKnowledge();
const cases = parse(readFileSync(new URL("../cases/budget-cases.yaml", import.meta.url), "utf8")) as Case[];

describe("budget rule table (worked by hand from the funding standards)", () => {
  it("has at least 15 cases", () => expect(cases.length).toBeGreaterThanOrEqual(15));

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const sp = k.subProjects.find((s) => s.id === c.subProject);
    expect(sp, c.subProject).toBeDefined();
    const b = computeBudget(sp!, c.row, c.quantities);
    if (c.noStandard) {
      expect(b.noStandard).toMatch(/未给出/);
      expect(b.lines).toEqual([]);
      expect(budgetAnswer(b)).not.toMatch(/\d+元/);
      return;
    }
    if (c.row) expect(b.row.id).toBe(c.row);
    if (c.lines) expect(b.lines.map((l) => l.formula)).toEqual(c.lines);
    expect(b.perYear, c.why).toBe(c.perYear);
    expect(b.cycle, c.why).toBe(c.cycle);
    expect(b.warnings).toEqual(c.warnings ?? []);
    for (const l of b.lines) expect(Number.isSafeInteger(l.amount)).toBe(true);
  });
});

describe("money", () => {
  it.each([
    [0, "0"],
    [999, "999"],
    [1000, "1,000"],
    [630000, "630,000"],
    [1344000, "1,344,000"],
    [-25000, "-25,000"],
  ])("groups %d as %s", (n, s) => expect(groupDigits(n)).toBe(s));

  it("reads ten-thousands", () => {
    expect(wan(630000)).toBe("63万元");
    expect(wan(1344000)).toBe("134.4万元");
  });

  it("refuses fractions of a yuan", () => expect(() => yuan(1.5)).toThrow(RangeError));
});

describe("budget answer", () => {
  it("shows formulas, both totals and the standard it used", () => {
    const sp = k.subProjects.find((s) => s.id === "county-backbone")!;
    const text = budgetAnswer(computeBudget(sp, "primary", { people: 100 }));
    expect(text).toContain("100人 × 15天 × 400元 = 600,000元");
    expect(text).toContain("每年合计：<b>630,000元</b>");
    expect(text).toContain("3年周期合计：<b>1,890,000元</b>");
    expect(text).toContain("集中培训400元/人/天");
  });

  it("asks for what it lacks instead of inventing it", () => {
    const sp = k.subProjects.find((s) => s.id === "one-to-one-support")!;
    const b = computeBudget(sp, "county", {});
    expect(b.missing).toEqual(["counties"]);
    expect(b.perYear).toBe(0);
  });
});
