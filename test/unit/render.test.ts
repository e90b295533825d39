/** Splitting long Telegram HTML (src/bot/render.ts): parts fit, and a cut never breaks an entity or a tag. */
import { describe, expect, it } from "vitest";
import { splitMessage } from "../../src/bot/render.js";

describe("splitMessage", () => {
  it.each<[string, string, number]>([
    ["a line of &amp; entities", "&amp;".repeat(30), 50],
    ["an entity across the limit", `${"x".repeat(47)}&amp;${"y".repeat(10)}`, 50],
    ["a tag across the limit", `${"x".repeat(46)}<b>bold</b>`, 50],
  ])("%s", (_name, text, max) => {
    const parts = splitMessage(text, max);
    expect(parts.join("")).toBe(text);
    for (const p of parts) {
      expect(p.length).toBeLessThanOrEqual(max);
      expect(p).not.toMatch(/&[a-z]*$/);
      expect(p).not.toMatch(/<[^>]*$/);
    }
  });

  it("keeps short texts whole and splits at line breaks", () => {
    expect(splitMessage("短消息", 50)).toEqual(["短消息"]);
    expect(splitMessage(`${"a".repeat(30)}\n${"b".repeat(30)}`, 50)).toEqual(["a".repeat(30), "b".repeat(30)]);
  });
});
