/** Long polling is single-instance: a second poller on the same token is reported, not silent. */
import { afterAll, describe, expect, it } from "vitest";
import { SECOND_POLLER_MESSAGE } from "../../src/bot/poll-conflict.js";
import { makeTempDataDir, removeTempDataDir, startBotProcess, type BotProcess } from "../support/bot-process.js";
import { startFakeBotApi, type FakeBotApi } from "../support/fake-bot-api.js";

let api: FakeBotApi | undefined;
const bots: BotProcess[] = [];
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(bots.map((b) => b.stop()));
  await api?.close();
  await Promise.all(dirs.map((d) => removeTempDataDir(d)));
});

describe("two long-polling processes on one token", () => {
  it("logs a clear error naming the cause (Telegram's 409) and the fix (webhook mode)", async () => {
    api = await startFakeBotApi();
    for (let i = 0; i < 2; i++) {
      const dir = await makeTempDataDir("second-poller-");
      dirs.push(dir);
      bots.push(await startBotProcess({ api, dataDir: dir }));
    }
    const reported = () => bots.some((b) => b.output().includes(SECOND_POLLER_MESSAGE));
    await api.waitFor(reported, 20_000, "the second-poller error in a bot's log");
    expect(bots.map((b) => b.output()).join("\n")).toMatch(/409|Conflict/);
  });
});
