/**
 * Tests of the fake Bot API itself (test/support/fake-bot-api.ts), through
 * grammY's own client and a tiny in-process grammY bot, so the e2e tests of
 * the real bot can rely on it behaving like Telegram.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Api, Bot, GrammyError, HttpError, InlineKeyboard, InputFile } from "grammy";
import { makeTempDataDir, removeTempDataDir, startBotProcess } from "../support/bot-process.js";
import { startFakeBotApi, type FakeBotApi } from "../support/fake-bot-api.js";

let api: FakeBotApi;
/** grammY's client pointed at the fake, to call methods directly. */
let telegram: Api;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  api = await startFakeBotApi();
  telegram = new Api(api.token, { apiRoot: api.apiRoot });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await api.close();
  expect(api.internalErrors).toEqual([]);
});

/** A long-polling grammY bot: /start answers with two buttons, a tap edits the message. */
async function startTinyBot(): Promise<Bot> {
  const bot = new Bot(api.token, { client: { apiRoot: api.apiRoot } });
  bot.command("start", (ctx) => ctx.reply("hi", { reply_markup: new InlineKeyboard().text("A", "a").text("B", "b") }));
  bot.callbackQuery(/^(a|b)$/, async (ctx) => {
    await ctx.answerCallbackQuery({ text: "ok" });
    await ctx.editMessageText(`tapped ${ctx.match[1]}`);
  });
  bot.catch((error) => console.error("tiny bot error:", error));
  const running = bot.start();
  cleanups.push(async () => {
    await bot.stop();
    await running;
  });
  await api.waitForPoll();
  return bot;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail("expected the call to fail"),
    (error: unknown) => error,
  );
}

async function apiError(promise: Promise<unknown>): Promise<GrammyError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(GrammyError);
  return error as GrammyError;
}

describe("getUpdates", () => {
  it("delivers queued updates until the bot confirms them with a higher offset", async () => {
    api.sendText(1, "one");
    const two = api.sendText(1, "two");
    api.sendText(1, "three");

    expect((await telegram.getUpdates()).map((u) => u.message?.text)).toEqual(["one", "two", "three"]);
    const page = await telegram.getUpdates({ offset: two.update_id, limit: 1 });
    expect(page.map((u) => u.message?.text)).toEqual(["two"]);
    expect(api.pendingUpdates).toBe(2);
  });

  it("answers a long poll as soon as an update is pushed", async () => {
    const poll = telegram.getUpdates({ timeout: 20 });
    await api.waitForPoll();
    setTimeout(() => api.sendText(1, "late"), 30);

    expect((await poll).map((u) => u.message?.text)).toEqual(["late"]);
    // The fake says why it answered: the push, not the 20 s timeout (no clock involved).
    expect(api.longPollEnds).toEqual({ push: 1, timeout: 0, closing: 0 });
  });

  it("answers a long poll with nothing at its timeout", async () => {
    const poll = telegram.getUpdates({ timeout: 1 });
    expect(await poll).toEqual([]);
    expect(api.longPollEnds).toEqual({ push: 0, timeout: 1, closing: 0 });
  });

  it("ends an older long poll with 409 when a second poller appears", async () => {
    const first = telegram.getUpdates({ timeout: 20 });
    await api.waitForPoll();
    const second = telegram.getUpdates({ timeout: 20 });

    expect((await apiError(first)).error_code).toBe(409);
    api.sendText(1, "x");
    expect(await second).toHaveLength(1);
  });

  it("refuses other tokens and unknown methods", async () => {
    expect((await telegram.getMe()).username).toBe("test_bot");
    const stranger = new Api("999:WRONG", { apiRoot: api.apiRoot });
    expect((await apiError(stranger.getMe())).error_code).toBe(401);

    const raw = telegram.raw as unknown as Record<string, (payload: object) => Promise<unknown>>;
    const error = await apiError(raw.sendTelepathy!({ chat_id: 1 }));
    expect(error).toMatchObject({ error_code: 404, description: "Not Found: method not found" });
  });
});

describe("a grammY bot against the fake", () => {
  it("sees /start, shows buttons and edits its message when a button is tapped", async () => {
    await startTinyBot();
    api.sendText(7, "/start");

    const hi = await api.waitForMessage(7, "hi");
    expect(hi.buttons).toEqual([[{ text: "A", callback_data: "a" }, { text: "B", callback_data: "b" }]]);
    expect(hi.message.chat).toMatchObject({ id: 7, type: "private" });

    const tap = api.tapButton(7, hi, "B");
    const edited = await api.waitForMessage(7);
    expect(edited).toMatchObject({ kind: "edited", messageId: hi.messageId, text: "tapped b", buttons: [] });
    expect(await api.waitForCallbackAnswer(tap.queryId)).toMatchObject({ text: "ok" });
    expect(api.transcript(7).map((o) => `${o.kind}: ${o.text}`)).toEqual(["sent: hi", "edited: tapped b"]);
  });

  it("explains a missing button with the buttons it did find", async () => {
    await startTinyBot();
    api.sendText(7, "/start");
    await api.waitForMessage(7, "hi");
    expect(() => api.tapButton(7, "C")).toThrow(/no button "C"[\s\S]*\[A \| B\]/);
  });
});

describe("messages", () => {
  it("records a document sent as multipart with its filename, bytes and caption", async () => {
    // CR, LF and dashes in the content exercise the multipart parser.
    const bytes = Buffer.from([0, 1, 2, 255, 13, 10, 45, 45, 13, 10]);
    const sent = await telegram.sendDocument(5, new InputFile(bytes, "报名表 2024.xlsx"), {
      caption: "<b>汇总</b>",
      parse_mode: "HTML",
    });

    expect(sent.document).toMatchObject({ file_name: "报名表 2024.xlsx", file_size: bytes.length });
    const [output] = api.transcript(5);
    expect(output?.document?.filename).toBe("报名表 2024.xlsx");
    expect(output?.document?.bytes.equals(bytes)).toBe(true);
    expect(output).toMatchObject({ text: "汇总", rawText: "<b>汇总</b>", method: "sendDocument" });
  });

  it("rejects HTML that Telegram cannot parse, such as unescaped user text", async () => {
    for (const bad of ["<x>", "<b>bold", "a & b", "1 < 2", "<b><i>x</b></i>", "<span>x</span>"]) {
      const error = await apiError(telegram.sendMessage(5, bad, { parse_mode: "HTML" }));
      expect(error.description, bad).toMatch(/^Bad Request: can't parse entities/);
    }

    const ok = await telegram.sendMessage(5, '&lt;x&gt; <b>粗</b> <a href="https://e.com/?a=1&amp;b=2">链接</a>', {
      parse_mode: "HTML",
    });
    expect(ok.text).toBe("<x> 粗 链接");
    expect(ok.entities).toEqual([
      { type: "bold", offset: 4, length: 1 },
      { type: "text_link", offset: 6, length: 2, url: "https://e.com/?a=1&b=2" },
    ]);
    // Without parse_mode the same characters are plain text.
    expect((await telegram.sendMessage(5, "<x> & co")).text).toBe("<x> & co");
  });

  it("enforces the 4096-character text and 64-byte callback data limits", async () => {
    await telegram.sendMessage(5, "长".repeat(4096));
    expect((await apiError(telegram.sendMessage(5, "长".repeat(4097)))).description).toBe("Bad Request: message is too long");
    expect((await apiError(telegram.sendMessage(5, "<b> </b>", { parse_mode: "HTML" }))).description).toBe(
      "Bad Request: message text is empty",
    );

    const data64 = `${"测".repeat(21)}a`; // 21 × 3 bytes + 1
    await telegram.sendMessage(5, "ok", { reply_markup: new InlineKeyboard().text("x", data64) });
    const error = await apiError(telegram.sendMessage(5, "too long", { reply_markup: new InlineKeyboard().text("x", `${data64}b`) }));
    expect(error.description).toBe("Bad Request: BUTTON_DATA_INVALID");
  });

  it("edits like Telegram: no-op edits fail and an edit without markup drops the keyboard", async () => {
    const keyboard = new InlineKeyboard().text("X", "x");
    const m = await telegram.sendMessage(5, "v1", { reply_markup: keyboard });
    const noop = await apiError(telegram.editMessageText(5, m.message_id, "v1", { reply_markup: keyboard }));
    expect(noop.description).toMatch(/^Bad Request: message is not modified/);

    await telegram.editMessageText(5, m.message_id, "v2");
    expect(api.botMessages(5)).toMatchObject([{ messageId: m.message_id, text: "v2", buttons: [], deleted: false }]);

    await telegram.deleteMessage(5, m.message_id);
    expect(api.botMessages(5)[0]?.deleted).toBe(true);
    expect((await apiError(telegram.editMessageText(5, m.message_id, "v3"))).description).toBe(
      "Bad Request: message to edit not found",
    );
  });

  it("records and validates bot commands", async () => {
    await telegram.setMyCommands([{ command: "start", description: "开始" }]);
    expect(api.commandsFor()).toEqual([{ command: "start", description: "开始" }]);
    const error = await apiError(telegram.setMyCommands([{ command: "Start!", description: "x" }]));
    expect(error.description).toBe("Bad Request: BOT_COMMAND_INVALID");
  });
});

describe("limits and fault injection", () => {
  it("answers 429 with retry_after over the global per-second limit", async () => {
    api.rateLimit = { perSecond: 3 };
    for (let i = 0; i < 3; i++) await telegram.sendMessage(5 + i, `m${i}`);

    const error = await apiError(telegram.sendMessage(9, "one too many"));
    expect(error).toMatchObject({ error_code: 429, description: "Too Many Requests: retry after 1" });
    expect(error.parameters.retry_after).toBe(1);
    expect(api.stats.tooManyRequests).toBe(1);
    expect(api.stats.peakPerSecond).toBe(3);
  });

  it("limits each chat separately when a per-chat limit is set", async () => {
    api.rateLimit = { perChat: { perSecond: 1, burst: 2 } };
    await telegram.sendMessage(5, "a");
    await telegram.sendMessage(5, "b");
    expect((await apiError(telegram.sendMessage(5, "c"))).error_code).toBe(429);
    await telegram.sendMessage(6, "other chat");
    expect(api.stats.messagesPerChat).toEqual(
      new Map([
        [5, 2],
        [6, 1],
      ]),
    );
  });

  it("answers 403 for chats that blocked the bot and counts the attempts", async () => {
    api.blockedChats.add(9);
    const error = await apiError(telegram.sendMessage(9, "hello?"));
    expect(error).toMatchObject({ error_code: 403, description: "Forbidden: bot was blocked by the user" });
    expect(api.stats.blockedAttempts.get(9)).toBe(1);

    api.blockBot(10);
    const [update] = await telegram.getUpdates();
    expect(update?.my_chat_member?.new_chat_member.status).toBe("kicked");
    expect((await apiError(telegram.sendChatAction(10, "typing"))).error_code).toBe(403);
  });

  it("injects 502, 429, dropped connections and hanging requests", async () => {
    api.failNext("sendMessage", 1, 502);
    api.failNext("sendMessage", 1, 429);
    api.failNext("sendMessage", 1, "drop");
    api.failNext("sendMessage", 1, "timeout");

    expect(await apiError(telegram.sendMessage(5, "1"))).toMatchObject({ error_code: 502, description: "Bad Gateway" });
    expect((await apiError(telegram.sendMessage(5, "2"))).parameters.retry_after).toBe(1);
    expect(await rejection(telegram.sendMessage(5, "3"))).toBeInstanceOf(HttpError);
    const impatient = new Api(api.token, { apiRoot: api.apiRoot, timeoutSeconds: 0.2 });
    const timedOut = await rejection(impatient.sendMessage(5, "4"));
    expect(timedOut).toBeInstanceOf(HttpError);
    expect(String((timedOut as HttpError).error)).toMatch(/timed out/);

    await telegram.sendMessage(5, "5");
    expect(api.transcript(5).map((o) => o.text)).toEqual(["5"]);
    expect(api.stats.calls.sendMessage).toBe(5);
  });
});

describe("waiting helpers", () => {
  it("consumes replies in order with nextReplies and checks silence", async () => {
    for (const text of ["a", "b", "c"]) await telegram.sendMessage(3, text);
    expect((await api.nextReplies(3, { count: 2 })).map((o) => o.text)).toEqual(["a", "b"]);
    expect((await api.nextReplies(3, { quietMs: 30 })).map((o) => o.text)).toEqual(["c"]);
    await api.expectNoReply(3, 30);
  });

  it("times out with the chat's transcript and its failed calls", async () => {
    await telegram.sendMessage(3, "first");
    await apiError(telegram.sendMessage(3, "<oops>", { parse_mode: "HTML" }));

    const error = await rejection(api.waitForMessage(3, /second/, 100));
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/no bot message to chat 3 matching \/second\/ within 100 ms/);
    expect(message).toContain('"first"');
    expect(message).toContain("sendMessage -> 400 Bad Request: can't parse entities");
  });
});

describe("bot process harness", () => {
  it("runs a bot as a child process, survives kill -9 and restarts against the same fake", async () => {
    const dataDir = await makeTempDataDir();
    cleanups.push(() => removeTempDataDir(dataDir));
    const entry = "test/support/fixtures/echo-bot.ts"; // src/main.ts is tested elsewhere

    const first = await startBotProcess({ api, dataDir, entry });
    cleanups.push(async () => void (await first.kill9()));
    expect(first.output()).toContain(`DATA_DIR=${dataDir} NODE_ENV=(unset)`);
    api.sendText(1, "one");
    expect((await api.waitForMessage(1)).text).toBe("echo: one");
    // Otherwise "one" may be redelivered after the restart, as Telegram does.
    await api.waitForUpdatesConfirmed();
    expect(await first.kill9()).toEqual({ code: null, signal: "SIGKILL" });

    api.sendText(1, "two"); // queued while no bot runs
    const second = await startBotProcess({ api, dataDir, entry });
    cleanups.push(async () => void (await second.kill9()));
    expect((await api.waitForMessage(1)).text).toBe("echo: two");
    expect(await second.stop()).toEqual({ code: 0, signal: null });
    expect(second.output()).toContain("echo bot stopped");
  });
});
