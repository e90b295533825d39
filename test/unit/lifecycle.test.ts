import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DECLARATION_STATUSES, LIFECYCLE, LIFECYCLE_EVENTS, allowedEvents, decide, type Actor, type LifecycleEvent, type LifecycleState } from "../../src/domain/lifecycle.js";

interface Case {
  event: LifecycleEvent;
  state: LifecycleState;
  actor: Actor[];
  deadlinePassed: boolean;
  comment?: string;
  expect: string;
  why: string;
}

const cases = parse(readFileSync(new URL("../cases/lifecycle-cases.yaml", import.meta.url), "utf8")) as Case[];

describe("declaration lifecycle (worked cases)", () => {
  it.each(cases.map((c) => [`${c.event} from ${c.state} by [${c.actor.join(",")}]${c.deadlinePassed ? " after the deadline" : ""}: ${c.why}`, c] as const))("%s", (_name, c) => {
    const d = decide(c.event, { state: c.state, actor: c.actor, deadlinePassed: c.deadlinePassed, ...(c.comment !== undefined ? { comment: c.comment } : {}) });
    expect(d.ok ? d.to : d.refusal).toBe(c.expect);
  });

  it("covers every event, both outcomes of each, and every stored status", () => {
    for (const e of LIFECYCLE_EVENTS) {
      expect(cases.some((c) => c.event === e && (DECLARATION_STATUSES as readonly string[]).includes(c.expect)), `${e} allowed`).toBe(true);
      expect(cases.some((c) => c.event === e && !(DECLARATION_STATUSES as readonly string[]).includes(c.expect)), `${e} refused`).toBe(true);
    }
    for (const s of ["draft", ...DECLARATION_STATUSES]) expect(cases.some((c) => c.state === s), s).toBe(true);
  });

  it("gives every rule its reason", () => {
    for (const e of LIFECYCLE_EVENTS) expect(LIFECYCLE[e].why.length, e).toBeGreaterThan(40);
  });
});

describe("allowedEvents (the buttons a view offers)", () => {
  const table: [LifecycleState, Actor[], boolean, LifecycleEvent[]][] = [
    ["submitted", ["owner"], false, ["revise", "withdraw"]],
    ["submitted", ["owner"], true, ["withdraw"]],
    ["returned", ["owner"], false, ["revise", "withdraw"]],
    ["approved", ["owner"], false, []],
    ["withdrawn", ["owner"], false, []],
    ["submitted", ["coordinator"], true, ["approve", "return"]],
    ["approved", ["admin"], false, ["return"]],
    ["submitted", ["owner", "admin"], false, ["revise", "withdraw"]],
    ["draft", ["owner"], false, ["submit"]],
    ["submitted", [], false, []],
  ];
  it.each(table)("%s by %j (deadline passed: %s) → %j", (state, actor, deadlinePassed, events) => {
    expect(allowedEvents({ state, actor, deadlinePassed })).toEqual(events);
  });
});
