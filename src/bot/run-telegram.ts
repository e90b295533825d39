/** The Telegram transport: long polling by default, a webhook when WEBHOOK_URL is set. */
import { createServer, type Server } from "node:http";
import { run, type RunnerHandle } from "@grammyjs/runner";
import { webhookCallback, type Bot } from "grammy";
import type { Config } from "../config.js";
import type { BotContext, Deps } from "./context.js";
import { COMMANDS } from "./create-bot.js";
import { pollConflictAlarm } from "./poll-conflict.js";

export interface Running {
  stop(): Promise<void>;
}

/** getMe with patience: a bot that starts while the network is still coming up should wait, not die. */
async function initWithRetry(bot: Bot<BotContext>, deps: Deps): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await bot.init();
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      deps.logger.warn({ err, attempt }, "getMe failed, retrying");
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }
}

export async function runTelegram(bot: Bot<BotContext>, config: Config, deps: Deps): Promise<Running> {
  await initWithRetry(bot, deps);
  deps.logger.info({ bot: bot.botInfo.username }, "bot identified");
  // Not fatal: the commands menu is a convenience, and some Bot API servers lack the method.
  bot.api.setMyCommands([...COMMANDS]).catch((err: unknown) => deps.logger.warn({ err }, "setMyCommands failed"));

  if (config.WEBHOOK_URL) return runWebhook(bot, config, deps);

  await bot.api.deleteWebhook().catch((err: unknown) => deps.logger.warn({ err }, "deleteWebhook failed"));
  bot.api.config.use(pollConflictAlarm(deps.logger));
  const runner: RunnerHandle = run(bot, {
    runner: { fetch: { allowed_updates: ["message", "edited_message", "callback_query", "my_chat_member"] }, maxRetryTime: Infinity, retryInterval: "exponential" },
  });
  deps.logger.info("polling started");
  return {
    async stop() {
      if (runner.isRunning()) await runner.stop();
    },
  };
}

async function runWebhook(bot: Bot<BotContext>, config: Config, deps: Deps): Promise<Running> {
  const path = new URL(config.WEBHOOK_URL!).pathname || "/";
  // grammY checks X-Telegram-Bot-Api-Secret-Token against the secret on every request.
  const handle = webhookCallback(bot, "http", { secretToken: config.WEBHOOK_SECRET!, onTimeout: "return" });
  const server: Server = createServer((req, res) => {
    if (req.method === "POST" && req.url === path) {
      handle(req, res).catch((err: unknown) => {
        deps.logger.error({ err }, "webhook handler failed");
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    res.writeHead(req.url === "/healthz" ? 200 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(config.PORT, resolve));
  await bot.api.setWebhook(config.WEBHOOK_URL!, { secret_token: config.WEBHOOK_SECRET!, allowed_updates: ["message", "edited_message", "callback_query", "my_chat_member"] });
  deps.logger.info({ port: config.PORT }, "webhook listening");
  return {
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
