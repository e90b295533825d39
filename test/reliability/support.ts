/**
 * Helpers shared by the reliability tests: the real bot in process (bench/in-process-bot.ts, every
 * middleware and feature, answered by the in-process Bot API emulator), simulated users that walk
 * real flows, and checks on a data folder.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Update } from "grammy/types";
import { buttonsOf, type LocalOutput } from "../../bench/fake-api-client.js";
import { startInProcessBot, type InProcessBot, type InProcessOptions } from "../../bench/in-process-bot.js";
import { SimUser, loadPhrasings, type Journey } from "../../bench/simulated-users.js";
import { rng } from "../../bench/store-seed.js";

export { buttonsOf, loadPhrasings, rng, SimUser, startInProcessBot };
export type { InProcessBot, Journey, LocalOutput };

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

export async function inProcess(dir: string, opts: Partial<InProcessOptions> = {}): Promise<InProcessBot> {
  return startInProcessBot({ dataDir: dir, captureLogs: true, ...opts });
}

/** Handles one update and returns what the bot showed in the sender's chat because of it. */
export async function send(app: InProcessBot, update: Update): Promise<LocalOutput[]> {
  const chatId = update.message?.chat.id ?? update.callback_query?.message?.chat.id ?? update.callback_query?.from.id ?? 0;
  const before = app.api.outputs(chatId).at(-1)?.seq ?? 0;
  await app.bot.handleUpdate(update);
  return app.api.outputs(chatId).filter((o) => o.seq > before);
}

export const text = (app: InProcessBot, user: number, message: string) => send(app, app.api.textUpdate(user, message));

/** Taps the button whose label matches on the newest output that has it. */
export async function tap(app: InProcessBot, user: number, label: string | RegExp): Promise<LocalOutput[]> {
  const match = (t: string) => (typeof label === "string" ? t.includes(label) : label.test(t));
  for (const o of [...app.api.outputs(user)].reverse()) {
    const b = buttonsOf(o).find((x) => match(x.text));
    if (b) return send(app, app.api.callbackUpdate(user, b.callback_data, o.messageId));
  }
  throw new Error(`no button ${String(label)} in chat ${user}: ${app.api.outputs(user).slice(-3).map((o) => o.text.slice(0, 60)).join(" | ")}`);
}

/**
 * A declarant who only declares, walking the form one update at a time until `until` holds for the
 * bot's latest reply (or `maxSteps` updates). Returns the outputs of the last step.
 */
export async function declareUntil(app: InProcessBot, user: SimUser, until: (latest: LocalOutput[]) => boolean, maxSteps = 60): Promise<LocalOutput[]> {
  for (let i = 0; i < maxSteps; i++) {
    const out = await send(app, user.next().update);
    if (until(out)) return out;
  }
  throw new Error(`user ${user.id}: condition not reached in ${maxSteps} steps; last: ${app.api.outputs(user.id).at(-1)?.text.slice(0, 120)}`);
}

export function declarant(app: InProcessBot, id: number, seed = id): SimUser {
  return new SimUser(id, app.api, rng(seed), [], undefined, [["declaration", 1]]);
}

export const saysSaved = (out: LocalOutput[]) => out.some((o) => o.text.includes("已保存"));
export const prompts = (out: LocalOutput[], re: RegExp) => out.some((o) => re.test(o.text));

/** Every file under a folder (relative paths). */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) if (statSync(join(dir, name)).isFile()) out.push(name);
  return out;
}

/** Files an interrupted write would leave behind, and JSON files that do not parse. */
export function damage(dir: string): { temp: string[]; unparsable: string[] } {
  const files = filesUnder(dir);
  const unparsable = files
    .filter((f) => f.endsWith(".json"))
    .filter((f) => {
      try {
        JSON.parse(readFileSync(join(dir, f), "utf8"));
        return false;
      } catch {
        return true;
      }
    });
  return { temp: files.filter((f) => f.endsWith(".tmp")), unparsable };
}
