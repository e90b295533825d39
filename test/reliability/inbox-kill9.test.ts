/**
 * kill -9 in the middle of a burst of 500 updates (250 users, two commands each), then a restart:
 * every update is answered, none twice (but for a reply on the wire at the instant of the kill),
 * and each user's two answers come in the order asked. The
 * inbox stored every fetched update before its offset was confirmed; the restarted bot handles
 * what was stored and not done; an update whose reply went out is not handled again.
 */
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDataDir, removeTempDataDir, startBotProcess, type BotProcess } from "../support/bot-process.js";
import { startFakeBotApi, type FakeBotApi } from "../support/fake-bot-api.js";

const USERS = 250;
const FIRST = 400_001;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let api: FakeBotApi | undefined;
let bot: BotProcess | undefined;
let dataDir: string | undefined;
afterAll(async () => {
  await bot?.stop();
  await api?.close();
  if (dataDir) await removeTempDataDir(dataDir);
});

describe("kill -9 in the middle of a burst of 500 updates", () => {
  it("answers every update after the restart, none twice, in order per user", { timeout: 180_000 }, async () => {
    api = await startFakeBotApi();
    dataDir = await makeTempDataDir("inbox-kill9-");
    const env = { OUTGOING_RATE: "100", LOG_LEVEL: "warn" };
    bot = await startBotProcess({ api, dataDir, env });
    const users = Array.from({ length: USERS }, (_, i) => FIRST + i);
    for (const id of users) api.sendText(id, "/help");
    for (const id of users) api.sendText(id, "/deadlines");
    const replies = () => users.reduce((n, id) => n + api!.transcript(id).length, 0);
    // Killed once a fifth of the answers are out: the rest are fetched (stored) or still queued.
    await api.waitFor(() => replies() >= 100, 60_000, "a fifth of the burst answered");
    await bot.kill9();
    const atKill = replies();
    bot = await startBotProcess({ api, dataDir, env });
    await api.waitFor(() => users.every((id) => api!.transcript(id).length >= 2), 120_000, "every update answered");
    await sleep(2000); // a repeat would show up now
    const help = (id: number) => api!.transcript(id).filter((o) => o.text.includes("使用帮助"));
    const deadlines = (id: number) => api!.transcript(id).filter((o) => !o.text.includes("使用帮助"));
    console.log(`[inbox kill -9] killed at ${atKill} answers of ${2 * USERS}; after restart ${replies()}`);
    expect(users.filter((id) => help(id).length === 0), "users whose /help was not answered").toEqual([]);
    expect(users.filter((id) => deadlines(id).length === 0), "users whose /deadlines was not answered").toEqual([]);
    // None twice, except a reply whose request was on the wire at the very moment of the kill (the
    // kill comes right after a delivery here): Telegram got it, the process died before noting it.
    // Measured: 0 in 4 of 5 runs, 1 in the fifth (see the note). Never more than the requests in flight.
    const twice = users.filter((id) => help(id).length > 1 || deadlines(id).length > 1);
    if (twice.length) console.log(`[inbox kill -9] answered twice (in flight at the kill): ${twice.join(", ")}`);
    expect(twice.length).toBeLessThanOrEqual(2);
    expect(users.filter((id) => help(id)[0]!.seq > deadlines(id)[0]!.seq), "users answered out of order").toEqual([]);
    expect(api.internalErrors).toEqual([]);
  });
});
