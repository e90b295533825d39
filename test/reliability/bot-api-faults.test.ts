/**
 * Bot API faults against the real bot process (node --import tsx src/main.ts) and the HTTP fake
 * Bot API: 502 Bad Gateway, a storm of 429s, a request that never gets an answer, dropped
 * connections, and the same on getUpdates. After each, the bot answers again, every reply arrives
 * exactly once (the fake never processes a failed call, so a repeat would be the bot's doing), and
 * other users are answered meanwhile.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { botRun } from "../support/bot-run.js";
import type { FakeBotApi } from "../support/fake-bot-api.js";

const run = botRun("rel-api-faults-");
let api: FakeBotApi;

beforeAll(async () => {
  // A short per-call timeout, so that a request the API never answers is given up in seconds, not minutes.
  ({ api } = await run.start({ env: { API_TIMEOUT_SECONDS: "2" } }));
}, 30_000);

/** Successful messages in a chat whose text contains `needle`. */
const delivered = (chat: number, needle: string) => api.transcript(chat).filter((o) => o.kind === "sent" && o.text.includes(needle)).length;

async function expectOneReply(chat: number, needle: string, timeoutMs: number): Promise<void> {
  await api.waitFor(() => delivered(chat, needle) >= 1, timeoutMs, `a reply "${needle}" in chat ${chat}`);
  await new Promise((r) => setTimeout(r, 300));
  expect(delivered(chat, needle)).toBe(1);
}

describe("the bot recovers from Bot API faults", () => {
  it("502 Bad Gateway: the reply is retried and arrives once", async () => {
    api.failNext("sendMessage", 1, 502);
    api.sendText(301, "/help");
    await expectOneReply(301, "使用帮助", 15_000);
    expect(api.calls("sendMessage").filter((c) => c.chatId === 301 && c.status === 502)).toHaveLength(1);
  }, 20_000);

  it("a storm of 429s: retry_after is honoured, every user gets one reply", async () => {
    const users = Array.from({ length: 12 }, (_, i) => 400 + i);
    api.failNext("sendMessage", 24, 429);
    for (const u of users) api.sendText(u, "/help");
    for (const u of users) await expectOneReply(u, "使用帮助", 25_000);
    expect(api.stats.tooManyRequests).toBeGreaterThanOrEqual(24);
  }, 40_000);

  it("a request never answered: given up after the timeout and sent again, once; other users are not held up", async () => {
    api.failNext("sendMessage", 1, "timeout");
    api.sendText(501, "/help");
    await api.waitFor(() => api.calls("sendMessage").some((c) => c.chatId === 501 && c.status === 0), 5000, "the hung request");
    // Meanwhile someone else is answered: while 501's call still hangs (an outcome, not a time; the
    // wait's bound only ends a broken run).
    api.sendText(502, "/help");
    await api.waitForMessage(502, "使用帮助", 15_000);
    expect(delivered(501, "使用帮助"), "501 answered before 502: 502 waited behind the hung call").toBe(0);
    await expectOneReply(501, "使用帮助", 15_000);
  }, 40_000);

  it("dropped connections: retried, delivered once", async () => {
    api.failNext("sendMessage", 1, "drop");
    api.sendText(601, "/help");
    await expectOneReply(601, "使用帮助", 15_000);
  }, 20_000);

  it("getUpdates failing (502, then a dropped connection): polling resumes and nothing is lost", async () => {
    // The long poll in progress is answered first; the faults hit the polls after it.
    api.failNext("getUpdates", 1, 502);
    api.failNext("getUpdates", 1, "drop");
    api.sendText(701, "/help");
    await expectOneReply(701, "使用帮助", 20_000);
    api.sendText(702, "/projects");
    await expectOneReply(702, "项目", 20_000);
    expect(api.calls("getUpdates").filter((c) => c.status !== 200).length).toBeGreaterThanOrEqual(2);
  }, 45_000);

  it("is still healthy: a whole exchange works and no call failed for other reasons", async () => {
    api.sendText(801, "/eligibility");
    await api.waitForMessage(801, "你的身份是", 15_000);
    api.tapButton(801, "教师");
    await api.waitForMessage(801, "学段", 15_000);
    expect(api.stats.badRequests).toBe(0);
    expect(api.internalErrors).toEqual([]);
  });
});
