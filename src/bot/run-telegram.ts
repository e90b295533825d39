/**
 * The Telegram transport: long polling by default, a webhook when WEBHOOK_URL is set. Either way
 * updates go through the durable inbox (inbox-runner.ts): stored by update_id before Telegram is
 * told they arrived, handled once in effect through kill -9.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import { randomUUID } from "node:crypto";
import type { Bot } from "grammy";
import type { Update } from "grammy/types";
import type { Config } from "../config.js";
import type { InboxRepo } from "../store/types.js";
import type { BotContext, Deps } from "./context.js";
import { COMMANDS } from "./create-bot.js";
import { pollConflictAlarm } from "./poll-conflict.js";
import { ALLOWED_UPDATES, inboxRecord, pollIntoInbox, startInboxSink } from "./inbox-runner.js";

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

/** How the sink shares the inbox: who claims, the lease, how often it looks for work another instance freed. */
export interface InboxSharing {
  owner?: string;
  leaseMs?: number;
  pollMs?: number;
}

/** `alreadyAnswered`: an update whose reply left the process before a crash is marked done, not handled again. */
export async function runTelegram(
  bot: Bot<BotContext>,
  config: Config,
  deps: Deps,
  inbox: InboxRepo,
  alreadyAnswered?: (updateId: number) => boolean,
  sharing: InboxSharing = {},
): Promise<Running> {
  await initWithRetry(bot, deps);
  deps.logger.info({ bot: bot.botInfo.username }, "bot identified");
  // Not fatal: the commands menu is a convenience, and some Bot API servers lack the method.
  bot.api.setMyCommands([...COMMANDS]).catch((err: unknown) => deps.logger.warn({ err }, "setMyCommands failed"));
  const sink = startInboxSink(bot, inbox, {
    owner: sharing.owner ?? `pid-${process.pid}-${randomUUID().slice(0, 8)}`,
    logger: deps.logger,
    now: deps.now,
    ...(alreadyAnswered ? { alreadyAnswered } : {}),
    ...(sharing.leaseMs ? { leaseMs: sharing.leaseMs } : {}),
    ...(sharing.pollMs ? { pollMs: sharing.pollMs } : {}),
  });

  if (config.WEBHOOK_URL) return runWebhook(bot, config, deps, inbox, sink);

  await bot.api.deleteWebhook().catch((err: unknown) => deps.logger.warn({ err }, "deleteWebhook failed"));
  bot.api.config.use(pollConflictAlarm(deps.logger));
  const polling = pollIntoInbox(bot, inbox, sink, { logger: deps.logger, now: deps.now });
  deps.logger.info("polling started");
  return {
    async stop() {
      await polling.stop();
      await sink.stop();
    },
  };
}

/** Webhook bodies above this are refused (Telegram's updates are far smaller). */
const MAX_BODY_BYTES = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("body too large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/**
 * Webhook: the secret is checked, the update stored in the inbox (fsynced), and only then 200.
 * A failed store answers 500, so Telegram delivers it again; a redelivery is stored once. (grammY's
 * webhookCallback with onTimeout "return" answered 200 before the update was handled or stored.)
 */
async function runWebhook(bot: Bot<BotContext>, config: Config, deps: Deps, inbox: InboxRepo, sink: { wake(): void; stop(): Promise<void> }): Promise<Running> {
  const path = new URL(config.WEBHOOK_URL!).pathname || "/";
  const server: Server = createServer((req, res) => {
    if (req.method !== "POST" || req.url !== path) {
      res.writeHead(req.url === "/healthz" ? 200 : 404).end();
      return;
    }
    if (req.headers["x-telegram-bot-api-secret-token"] !== config.WEBHOOK_SECRET) {
      res.writeHead(401).end("secret token is wrong");
      return;
    }
    void (async () => {
      let update: Update;
      try {
        update = JSON.parse(await readBody(req)) as Update;
        if (!Number.isSafeInteger(update?.update_id)) throw new Error("no update_id");
      } catch (err) {
        deps.logger.warn({ err }, "webhook: unreadable body");
        if (!res.headersSent) res.writeHead(400).end();
        return;
      }
      try {
        await inbox.add(inboxRecord(update, deps.now()));
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
        sink.wake();
      } catch (err) {
        deps.logger.error({ err, update: update.update_id }, "webhook: cannot store the update; Telegram will deliver it again");
        if (!res.headersSent) res.writeHead(500).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(config.PORT, resolve));
  await bot.api.setWebhook(config.WEBHOOK_URL!, { secret_token: config.WEBHOOK_SECRET!, allowed_updates: [...ALLOWED_UPDATES] });
  deps.logger.info({ port: config.PORT }, "webhook listening");
  return {
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sink.stop();
    },
  };
}
