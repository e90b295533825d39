/**
 * The real bot process with WEB_PORT set, against the fake Bot API: the page and Telegram are the same bot.
 */
import { createServer } from "node:net";
import { startBotProcess, type BotProcess } from "./bot-process.js";
import type { FakeBotApi } from "./fake-bot-api.js";

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
