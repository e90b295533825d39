/**
 * Simulated users over HTTP: the Driver of bench/simulated-users.ts on top of the HTTP fake Bot API
 * (test/support/fake-bot-api.ts), for driving the real bot process (start-up/RSS benchmark,
 * kill -9 tests). An action is pushed as an update at once; `walk` waits for the bot's reply.
 */
import type { Update } from "grammy/types";
import type { FakeBotApi } from "../test/support/fake-bot-api.js";
import type { Driver, Shown, SimUser } from "./simulated-users.js";

export function httpDriver(api: FakeBotApi): Driver {
  return {
    outputs: (chatId: number): Shown[] => api.transcript(chatId),
    textUpdate: (userId: number, text: string): Update => api.sendText(userId, text),
    callbackUpdate: (userId: number, data: string, messageId: number): Update => api.pushCallback(userId, data, messageId).update,
  };
}

/**
 * Lets a user take `steps` actions, each after the bot has answered the previous one (a new output
 * in the chat, then `quietMs` without more). Returns the number of actions taken.
 */
export async function walk(api: FakeBotApi, user: SimUser, steps: number, opts: { quietMs?: number; timeoutMs?: number; shouldStop?: () => boolean } = {}): Promise<number> {
  const quietMs = opts.quietMs ?? 40;
  let taken = 0;
  for (let i = 0; i < steps && !opts.shouldStop?.(); i++) {
    const before = api.transcript(user.id).at(-1)?.seq ?? 0;
    user.next();
    taken++;
    await api.waitFor(() => (api.transcript(user.id).at(-1)?.seq ?? 0) > before, opts.timeoutMs ?? 10_000, `a reply to user ${user.id}`);
    // Some answers come in several messages: wait until the chat is quiet.
    for (let last = api.transcript(user.id).at(-1)?.seq; ; ) {
      await new Promise((r) => setTimeout(r, quietMs));
      const now = api.transcript(user.id).at(-1)?.seq;
      if (now === last) break;
      last = now;
    }
  }
  return taken;
}
