/**
 * Issue 9's defect classes as worked cases (test/cases/understanding-cases.yaml), each through the real bot in
 * process exactly as the evaluation sets are run (test/heldout/evaluate.ts), and each must come out right:
 * the expected answer, or the question back, or "the guide does not say", with every `must` string in the reply
 * (the evaluation harness looks for them in answers only).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { evaluate, type Item, type ItemResult } from "../heldout/evaluate.js";

const raw = parse(readFileSync(new URL("../cases/understanding-cases.yaml", import.meta.url), "utf8")) as (Omit<Item, "category"> & { class: number })[];
const items: Item[] = raw.map(({ class: cls, ...it }) => ({ ...it, category: `class ${cls}` }));

describe("issue 9 defect classes (test/cases/understanding-cases.yaml)", () => {
  let results: ItemResult[] = [];
  it("runs every case through the bot", async () => {
    results = await evaluate(items);
    expect(results).toHaveLength(items.length);
    for (const cls of [1, 2, 3, 4, 5, 6, 7, 8]) expect(items.some((i) => i.category === `class ${cls}`), `class ${cls} has cases`).toBe(true);
  }, 120_000);
  it.each(items.map((i) => [i.id, i.q] as const))("%s %s", (id) => {
    const r = results.find((x) => x.item.id === id)!;
    expect(`${r.bucket}${r.reason ? `: ${r.reason}` : ""}`, r.reply.slice(0, 600)).toBe("right");
    // the harness checks `must` on answers only; a worked case's question back must say what it lists too
    const said = r.reply.replace(/[\s,，]/g, "");
    const lacking = (r.item.must ?? []).filter((m) => !said.includes(m.replace(/[\s,，]/g, "")));
    expect(lacking, r.reply.slice(0, 600)).toEqual([]);
  });
});
