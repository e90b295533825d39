/** Rules across planned days (src/domain/schedule.ts), as tables of worked cases from the guide's schedules. */
import { beforeAll, describe, expect, it } from "vitest";
import { dateRangeProblem, daysInclusive, splitProblem, splitsCompletely } from "../../src/domain/schedule.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import type { Duration, Knowledge } from "../../src/knowledge/schema.js";

let k: Knowledge;
beforeAll(() => {
  k = loadKnowledge();
});
const schedule = (id: string): Duration[] => k.subProjects.find((s) => s.id === id)!.schedule;

describe("splitProblem", () => {
  // 培训者团队研修: 集中研修15天，其中区内研修5天，区外研修10天 — the parts add up to the whole.
  it.each<[string, Record<string, number>, string | undefined]>([
    ["trainer-team", { concentrated: 15, "in-region": 5, "out-region": 10 }, undefined],
    ["trainer-team", { concentrated: 15, "in-region": 5 }, undefined],
    ["trainer-team", { concentrated: 15, "in-region": 6, "out-region": 10 }, "区内研修6天 + 区外研修10天 = 16天，超过了集中研修的15天"],
    ["trainer-team", { concentrated: 15, "in-region": 4, "out-region": 10 }, "区内研修4天 + 区外研修10天 = 14天，与集中研修的15天不一致"],
    ["trainer-team", { concentrated: 20, "in-region": 8, "out-region": 12 }, undefined],
    ["trainer-team", { concentrated: 15, "in-region": 16 }, "区内研修是集中研修的一部分，不能超过集中研修的15天"],
    // 县级骨干: 影子学习不少于7天 inside 集中培训 — one part, it may be less than the whole.
    ["county-backbone", { concentrated: 15, shadow: 7 }, undefined],
    ["county-backbone", { concentrated: 15, shadow: 15 }, undefined],
    ["county-backbone", { concentrated: 6, shadow: 7 }, "影子学习是集中培训的一部分，不能超过集中培训的6天"],
  ])("%s %j", (id, planned, problem) => {
    const p = splitProblem(schedule(id), planned);
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(problem);
  });

  it("knows which wholes the guide splits completely", () => {
    const t = schedule("trainer-team");
    expect(splitsCompletely(t[0]!, t.slice(1))).toBe(true);
    const c = schedule("county-backbone");
    expect(splitsCompletely(c[0]!, [c[1]!])).toBe(false);
  });
});

describe("dateRangeProblem", () => {
  it.each<[string, string, number]>([
    ["2025-03-01", "2025-03-15", 15],
    ["2025-03-01", "2025-03-01", 1],
    ["2024-02-28", "2024-03-01", 3],
    ["2025-12-31", "2026-01-01", 2],
  ])("%s to %s is %i days", (start, end, days) => {
    expect(daysInclusive(start, end)).toBe(days);
  });

  it.each<[string, Record<string, number>, string, string, string | undefined]>([
    ["county-backbone", { concentrated: 15, shadow: 7, online: 50 }, "2025-03-01", "2025-03-15", undefined],
    ["county-backbone", { concentrated: 15, shadow: 7, online: 50 }, "2025-03-01", "2025-03-10", "培训时间2025-03-01至2025-03-10共10天，放不下申报的集中培训15天"],
    // 幼儿园教师顶岗支教: 集中培训15天 and 跟岗实践20天 both take calendar days; 80学时 do not.
    ["kindergarten-relief-teaching", { concentrated: 15, placement: 20, coaching: 80 }, "2025-03-01", "2025-03-31", "集中培训15天 + 跟岗实践20天（共35天）"],
    ["kindergarten-relief-teaching", { concentrated: 15, placement: 20, coaching: 80 }, "2025-03-01", "2025-04-04", undefined],
    // Parts inside a whole are not counted twice.
    ["trainer-team", { concentrated: 15, "in-region": 5, "out-region": 10 }, "2025-03-01", "2025-03-15", undefined],
  ])("%s %j from %s to %s", (id, planned, start, end, problem) => {
    const p = dateRangeProblem(schedule(id), planned, start, end);
    if (problem === undefined) expect(p).toBeUndefined();
    else expect(p).toContain(problem);
  });
});
