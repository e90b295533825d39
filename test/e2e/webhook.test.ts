/** Webhook mode: the secret token is checked on every request; updates are answered over the Bot API. */
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeBotApi, type FakeBotApi } from "../support/fake-bot-api.js";
import { makeTempDataDir, removeTempDataDir, startBotProcess, type BotProcess } from "../support/bot-process.js";

const SECRET = "s3cret-token-for-tests";
let api: FakeBotApi;
let bot: BotProcess;
let dataDir: string;
let port: number;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

beforeAll(async () => {
  api = await startFakeBotApi();
  dataDir = await makeTempDataDir();
  port = await freePort();
  bot = await startBotProcess({
    api,
    dataDir,
    waitForPoll: false,
    env: { WEBHOOK_URL: `http://127.0.0.1:${port}/telegram`, WEBHOOK_SECRET: SECRET, PORT: String(port) },
  });
  await api.waitFor(() => api.calls("setWebhook").length > 0, 15_000, "setWebhook");
}, 30_000);

afterAll(async () => {
  await bot?.stop();
  await api?.close();
  await removeTempDataDir(dataDir);
});

const update = { update_id: 1, message: { message_id: 1, date: 0, chat: { id: 7, type: "private" }, from: { id: 7, is_bot: false, first_name: "w" }, text: "/start", entities: [{ type: "bot_command", offset: 0, length: 6 }] } };

async function post(secret?: string) {
  return fetch(`http://127.0.0.1:${port}/telegram`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(secret ? { "X-Telegram-Bot-Api-Secret-Token": secret } : {}) },
    body: JSON.stringify(update),
  });
}

describe("webhook mode", () => {
  it("registers the webhook with the secret", () => {
    expect(api.calls("setWebhook")[0]!.params.secret_token).toBe(SECRET);
  });

  it("refuses a request without the right secret", async () => {
    expect((await post()).status).toBe(401);
    expect((await post("wrong-secret-value-xx")).status).toBe(401);
    await api.expectNoReply(7, 300);
  });

  it("answers an update carrying the secret", async () => {
    expect((await post(SECRET)).status).toBe(200);
    const reply = await api.waitForMessage(7, "申报助手");
    expect(reply.buttons.length).toBeGreaterThan(0);
  });
});
