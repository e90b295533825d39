// TEMPORARY placeholder so the bot starts while the reminders work is under way; replaced by the real scheduler.
import type { Api } from "grammy";
import type { Deps } from "../bot/context.js";

export function startReminders(_deps: Deps, _api: Api): { stop(): void } {
  return { stop() {} };
}
