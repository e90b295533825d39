/**
 * The cause of "2 subscribers got the same reminder twice" in a broadcast to 1,176 with no crash:
 * a send that Telegram handled but answered late (here: after the client's timeout) was taken for
 * a network error and sent again. Over HTTP against the fake Bot API, whose "late" fault delivers
 * the message and answers after the client has given up.
 */
import { Api } from "grammy";
import { afterEach, describe, expect, it } from "vitest";
import { bulkApi, createOutbox } from "../../src/bot/create-bot.js";
import { loadConfig } from "../../src/config.js";
import { callTimeout } from "../../src/outgoing/outbox.js";
import { broadcast, type SendFn } from "../../src/reminders/broadcaster.js";
import { startFakeBotApi, type FakeBotApi } from "../support/fake-bot-api.js";

class MemoryLedger {
  readonly reached = new Set<number>();
  async has(_d: string, c: number) {
    return this.reached.has(c);
  }
  async missing(_d: string, chats: readonly number[]) {
    return chats.filter((c) => !this.reached.has(c));
  }
  async record(_d: string, c: number) {
    this.reached.add(c);
  }
  async flush() {}
}

let api: FakeBotApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const CHATS = Array.from({ length: 60 }, (_, i) => 5000 + i);
const LATE = 3;

async function run(makeApi: (fake: FakeBotApi) => Api) {
  api = await startFakeBotApi({ lateMs: 6000 });
  api.failNext("sendMessage", LATE, "late");
  const bot = makeApi(api);
  const send: SendFn = (chatId, m) => bot.sendMessage(chatId, m.text);
  const ledger = new MemoryLedger();
  const result = await broadcast({ delivery: "deadline:d1:3", chats: CHATS, render: () => ({ text: "提醒：还有 3 天截止" }) }, { send, ledger, markUnreachable: async () => {}, backoffMs: () => 50 });
  const perChat = CHATS.map((c) => api!.stats.messagesPerChat.get(c) ?? 0);
  return { result, duplicates: perChat.filter((n) => n > 1).length, missed: perChat.filter((n) => n === 0).length, ledger };
}

describe("a broadcast sends each chat once, with no crash", () => {
  const config = (fake: FakeBotApi) => loadConfig({ BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, API_TIMEOUT_SECONDS: "3", OUTGOING_RATE: "1000", BROADCAST_RATE: "1000" });

  it("the cause: a late answer taken for a network error and sent again repeats the message", async () => {
    // The arrangement before the fix: a timeout on the broadcaster's own Api, retried as transient.
    const { duplicates } = await run((fake) => {
      const plain = new Api(fake.token, { apiRoot: fake.apiRoot });
      plain.config.use(callTimeout(3));
      return plain;
    });
    expect(duplicates).toBeGreaterThanOrEqual(LATE); // more if the machine is so busy that other answers come late too
  });

  it("through the outgoing path: late answers are recorded as reached, never resent; nobody missed", async () => {
    const { result, duplicates, missed, ledger } = await run((fake) => bulkApi(config(fake), { outbox: createOutbox(config(fake)) }));
    expect(duplicates).toBe(0);
    expect(missed).toBe(0);
    expect(result).toMatchObject({ sent: CHATS.length, failed: 0, remaining: 0 });
    expect(result.uncertain).toBeGreaterThanOrEqual(LATE);
    expect(ledger.reached.size).toBe(CHATS.length);
  });
});
