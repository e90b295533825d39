import { describe, expect, it } from "vitest";
import { normaliseCommandText } from "../../src/bot/normalise-command.js";

describe("commands are normalised in one place", () => {
  it.each([
    ["/Start", "/start"],
    ["/HELP", "/help"],
    ["/Deadline 2026-03-01 第一批", "/deadline 2026-03-01 第一批"],
    ["/Start@Test_Bot", "/start@Test_Bot"],
    ["/start", "/start"],
    ["我想 /Start", "我想 /Start"],
    ["/广播", "/广播"],
  ])("%s → %s", (input, output) => expect(normaliseCommandText(input)).toBe(output));
});
