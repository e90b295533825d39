/**
 * The real bot process with WEB_PORT set, against the fake Bot API: the page and Telegram are the same bot.
 * useWebBot() is the set-up the web e2e files share: the fake API, a data folder, the process and
 * (for the browser journeys) headless Chromium, started before the file's tests and stopped after.
 */
import { createServer } from "node:net";
import { afterAll, beforeAll } from "vitest";
import { launchBrowser, type TestBrowser } from "./browser.js";
import { makeTempDataDir, removeTempDataDir, startBotProcess, type BotProcess } from "./bot-process.js";
import { startFakeBotApi, type BotOutput, type FakeBotApi } from "./fake-bot-api.js";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface WebBot {
  bot: BotProcess;
  port: number;
  url: string;
}

export async function startWebBot(opts: { api: FakeBotApi; dataDir: string; env?: Record<string, string | undefined>; entry?: string }): Promise<WebBot> {
  const port = await freePort();
  const bot = await startBotProcess({ api: opts.api, dataDir: opts.dataDir, entry: opts.entry, env: { WEB_PORT: String(port), ...opts.env } });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, bot);
  return { bot, port, url };
}

export async function waitForHttp(url: string, bot: BotProcess, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`web server did not answer ${url}. Output:\n${bot.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface WebHarness {
  readonly api: FakeBotApi;
  readonly web: WebBot;
  readonly dataDir: string;
  /** Only with `browser: true`. */
  readonly chrome: TestBrowser;
}

/** Registers the file's beforeAll/afterAll; the returned object's fields are set once beforeAll has run. */
export function useWebBot(opts: { name: string; env?: Record<string, string | undefined>; browser?: boolean }): WebHarness {
  let api: FakeBotApi | undefined;
  let web: WebBot | undefined;
  let dataDir: string | undefined;
  let chrome: TestBrowser | undefined;
  const ready = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`${what} is not started (beforeAll failed?)`);
    return v;
  };
  beforeAll(async () => {
    api = await startFakeBotApi();
    dataDir = await makeTempDataDir(`${opts.name}-`);
    web = await startWebBot({ api, dataDir, env: opts.env ?? {} });
    if (opts.browser) chrome = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await chrome?.close();
    await web?.bot.stop();
    await api?.close();
    if (dataDir) await removeTempDataDir(dataDir);
  });
  return {
    get api() {
      return ready(api, "the fake Bot API");
    },
    get web() {
      return ready(web, "the web bot");
    },
    get dataDir() {
      return ready(dataDir, "the data folder");
    },
    get chrome() {
      return ready(chrome, "the browser");
    },
  };
}

/** A Telegram user of the fake API: send a line or tap a button, and wait for the bot's answer. */
export function telegramUser(api: () => FakeBotApi, user: number) {
  return {
    async ask(text: string, match?: string | RegExp): Promise<BotOutput> {
      api().sendText(user, text);
      return api().waitForMessage(user, match);
    },
    async tap(label: string | RegExp, match?: string | RegExp | ((o: BotOutput) => boolean)): Promise<BotOutput> {
      api().tapButton(user, label);
      return api().waitForMessage(user, match);
    },
  };
}
