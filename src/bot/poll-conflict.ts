/**
 * Long polling is single-instance: Telegram gives each token one getUpdates consumer and answers
 * 409 Conflict to the other. The runner just retries, so two pollers would quietly steal updates
 * from each other; this makes it loud — an error naming the cause and the fix, at most once a minute.
 */
import type { Transformer } from "grammy";

interface ErrorLogger {
  error(obj: object, msg: string): void;
}

export const SECOND_POLLER_MESSAGE =
  "another process is polling with this BOT_TOKEN (Telegram answered 409 Conflict): long polling is single-instance. Stop the other one, or run every instance in webhook mode (WEBHOOK_URL) on one DATABASE_URL";

export function pollConflictAlarm(logger: ErrorLogger, everyMs = 60_000): Transformer {
  let lastAt = Number.NEGATIVE_INFINITY;
  return async (prev, method, payload, signal) => {
    const res = await prev(method, payload, signal);
    if (method === "getUpdates" && !res.ok && res.error_code === 409 && !/webhook/i.test(res.description)) {
      const now = Date.now();
      if (now - lastAt >= everyMs) {
        lastAt = now;
        logger.error({ description: res.description }, SECOND_POLLER_MESSAGE);
      }
    }
    return res;
  };
}
