/** `npm start` with a token, exactly as deployed: it polls the Bot API, answers, and stops cleanly on SIGTERM. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeBotApi, type FakeBotApi } from "../support/fake-bot-api.js";
import { makeTempDataDir, removeTempDataDir } from "../support/bot-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let api: FakeBotApi;
let dataDir: string;

beforeAll(async () => {
  api = await startFakeBotApi();
  dataDir = await makeTempDataDir("npm-start-");
});
afterAll(async () => {
  await api?.close();
  await removeTempDataDir(dataDir);
});

describe("npm start in Telegram mode", () => {
  it("polls, answers, and shuts down gracefully on SIGTERM", async () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot, DATA_DIR: dataDir, LOG_LEVEL: "info" };
    const child = spawn("npm", ["start"], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stderr.on("data", (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

    // An outcome, not a start-up time (that is `npm run bench`): the bot polls at all. The bound only
    // keeps a broken start from hanging the run; it is generous for a saturated machine.
    await api.waitForPoll(45_000);
    api.sendText(301, "/start");
    expect((await api.waitForMessage(301, "申报助手")).buttons.length).toBeGreaterThan(0);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(log).toContain("shutting down");
    expect(log).not.toContain(api.token);
    const polls = api.pollCount;
    await new Promise((r) => setTimeout(r, 500));
    expect(api.pollCount).toBe(polls); // nothing left running behind npm
  });
});
