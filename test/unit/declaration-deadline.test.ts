/** Which admin-set deadline governs a declaration, and when it has passed (end of its day in the time zone). */
import { describe, expect, it } from "vitest";
import { applicableDeadline, deadlinePassed } from "../../src/domain/declaration-deadline.js";
import type { DeadlineRecord, DeadlineScope } from "../../src/store/types.js";

const deadline = (id: string, date: string, scope: DeadlineScope): DeadlineRecord => ({ id, date, title: id, scope, createdBy: 1, createdAt: "2024-01-01T00:00:00Z" });
const target = { plan: "guopei" as const, subProjectId: "county-backbone" };

describe("applicableDeadline", () => {
  it("is undefined without a matching deadline", () => {
    expect(applicableDeadline([], target)).toBeUndefined();
    expect(applicableDeadline([deadline("q", "2024-06-30", { kind: "plan", plan: "qupei" }), deadline("s", "2024-06-30", { kind: "subProject", subProjectId: "trainer-team" })], target)).toBeUndefined();
  });

  it("prefers the sub-project's own, then the plan's, then the general one", () => {
    const all = deadline("all", "2024-07-31", { kind: "all" });
    const plan = deadline("plan", "2024-06-15", { kind: "plan", plan: "guopei" });
    const own = deadline("own", "2024-08-31", { kind: "subProject", subProjectId: "county-backbone" });
    expect(applicableDeadline([all], target)?.id).toBe("all");
    expect(applicableDeadline([all, plan], target)?.id).toBe("plan");
    expect(applicableDeadline([own, all, plan], target)?.id).toBe("own");
  });

  it("takes the latest date within one scope (an extension)", () => {
    const first = deadline("first", "2024-06-30", { kind: "all" });
    const extended = deadline("extended", "2024-07-15", { kind: "all" });
    expect(applicableDeadline([extended, first], target)?.id).toBe("extended");
  });
});

describe("deadlinePassed", () => {
  const d = deadline("d", "2024-06-30", { kind: "all" });
  it("holds the whole deadline day in the time zone", () => {
    // 2024-06-30 23:59 in Shanghai is 15:59 UTC.
    expect(deadlinePassed(d, new Date("2024-06-30T15:59:00Z"), "Asia/Shanghai")).toBe(false);
    expect(deadlinePassed(d, new Date("2024-06-30T16:00:00Z"), "Asia/Shanghai")).toBe(true);
    expect(deadlinePassed(d, new Date("2024-06-30T16:00:00Z"), "UTC")).toBe(false);
  });
});
