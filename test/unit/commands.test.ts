/** The command catalogue is the one list: every command a feature answers is in it, and it feeds the menu and /help. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMAND_CATALOGUE, MENU_COMMANDS, consoleHint, helpText } from "../../src/bot/commands.js";

const FEATURES = join(import.meta.dirname, "../../src/bot/features");
const WEB = join(import.meta.dirname, "../../src/web");
const handled = (dir: string) =>
  readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".ts"))
    .flatMap((f) => [...readFileSync(join(dir, f), "utf8").matchAll(/\.command\(\s*"([a-z_]+)"/g)].map((m) => m[1]!));

describe("command catalogue", () => {
  it("lists every command a feature answers, and nothing no feature answers", () => {
    const features = new Set([...handled(FEATURES), ...handled(WEB)]);
    const catalogue = new Set(COMMAND_CATALOGUE.map((c) => c.command));
    expect([...features].filter((c) => !catalogue.has(c))).toEqual([]);
    // The web's own commands (/web, /link) are wired by main.ts around the bot, and catalogued like the rest.
    expect([...catalogue].filter((c) => !features.has(c))).toEqual([]);
  });

  it("puts only everyone's commands in Telegram's menu", () => {
    const everyone = new Set(COMMAND_CATALOGUE.filter((c) => c.audience === "everyone").map((c) => c.command));
    expect(MENU_COMMANDS.length).toBeGreaterThan(5);
    for (const c of MENU_COMMANDS) expect(everyone.has(c.command), c.command).toBe(true);
  });

  it("mentions every command but /start and /help in /help, and the menu in the terminal's hint", () => {
    const help = helpText();
    for (const c of COMMAND_CATALOGUE.filter((x) => !["start", "help"].includes(x.command))) expect(help, c.command).toContain(`/${c.command} `);
    for (const c of MENU_COMMANDS) expect(consoleHint()).toContain(`/${c.command}`);
  });
});
