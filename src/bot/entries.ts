/**
 * Named entry points ("eligibility", "declare", …) that menu buttons, commands and typed requests
 * (我要申报) share, so each feature defines its start once.
 */
import type { BotContext } from "./context.js";

export type Entry = (ctx: BotContext) => Promise<void>;

const entries = new Map<string, Entry>();

export function registerEntry(name: string, entry: Entry): void {
  entries.set(name, entry);
}

export function entry(name: string): Entry | undefined {
  return entries.get(name);
}
