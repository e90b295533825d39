/**
 * The bot factory: one Composer per feature behind a few shared middlewares.
 * Tests and the console build the very same bot; only the transport differs.
 */
import { sequentialize } from "@grammyjs/runner";
import { Api, Bot, type BotConfig, type Composer, type Transformer } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Config } from "../config.js";
import { watchingAgent } from "../outgoing/answered.js";
import { jsonTransport } from "../outgoing/json-transport.js";
import { Outbox, callTimeout, type OutboxOptions } from "../outgoing/outbox.js";
import type { BotContext, Deps } from "./context.js";
import { errorBoundary } from "./error-boundary.js";
import { normaliseCommand } from "./normalise-command.js";
import { trackUser } from "./track-user.js";
import { MENU_COMMANDS } from "./commands.js";
import { createFeatures } from "./features/index.js";

export interface CreateBotOptions {
  /** Skips getMe (console mode and tests). */
  botInfo?: UserFromGetMe;
  /** An API transformer, e.g. the console's stand-in for Telegram. */
  transformer?: Transformer;
  /** Sees every call first, before the transport above: the web chat answers calls for its own chats. */
  route?: Transformer;
  /** Features wired by main.ts around the bot (the web's /web and /link), seen before the standard ones. */
  features?: Composer<BotContext>[];
  /** The outgoing path shared with the broadcaster (default: a new one from the config). */
  outbox?: Outbox;
}

/** The one outgoing path, with the limits from the config. */
export function createOutbox(config: Config, hooks: Pick<OutboxOptions, "onSent" | "onWritten" | "onNotDelivered" | "logger"> = {}): Outbox {
  return new Outbox({
    rate: config.OUTGOING_RATE,
    bulkRate: config.BROADCAST_RATE,
    perChatRate: config.OUTGOING_PER_CHAT_RATE,
    perChatBurst: config.OUTGOING_PER_CHAT_BURST,
    ...hooks,
  });
}

/**
 * An Api for bulk sends (broadcasts, reminders): the same outgoing path as the bot's replies, one
 * pace for both, but behind every queued reply. In the console, the console's transformer; `route`
 * (the web chat's) sees each call first, as on the bot's own Api.
 */
export function bulkApi(config: Config, parts: { outbox?: Outbox; transformer?: Transformer; route?: Transformer }): Api {
  const api = new Api(config.BOT_TOKEN ?? "console", { apiRoot: config.TELEGRAM_API_ROOT });
  if (parts.transformer) api.config.use(parts.transformer);
  else if (parts.outbox) {
    api.config.use(jsonTransport({ apiRoot: config.TELEGRAM_API_ROOT, token: config.BOT_TOKEN ?? "console", agent: watchingAgent }));
    api.config.use(callTimeout(config.API_TIMEOUT_SECONDS));
    api.config.use(parts.outbox.transformer("bulk"));
  }
  if (parts.route) api.config.use(parts.route);
  return api;
}

/** Telegram's command menu, from the one command catalogue (src/bot/commands.ts). */
export const COMMANDS = MENU_COMMANDS;

export function createBot(config: Config, deps: Deps, opts: CreateBotOptions = {}): Bot<BotContext> {
  // The agent tells the outgoing path when a reply's request is on the wire (src/outgoing/answered.ts).
  const botConfig: BotConfig<BotContext> = { client: { apiRoot: config.TELEGRAM_API_ROOT, baseFetchConfig: { agent: watchingAgent } as never } };
  if (opts.botInfo) botConfig.botInfo = opts.botInfo;
  const bot = new Bot<BotContext>(config.BOT_TOKEN ?? "console", botConfig);
  if (opts.transformer) bot.api.config.use(opts.transformer);
  else {
    // Innermost the wire (JSON over keep-alive node:http; uploads through grammY's client), then the
    // call timeout, then the outgoing path: pacing, priority, retry_after, retries.
    bot.api.config.use(jsonTransport({ apiRoot: config.TELEGRAM_API_ROOT, token: config.BOT_TOKEN ?? "console", agent: watchingAgent }));
    bot.api.config.use(callTimeout(config.API_TIMEOUT_SECONDS));
    bot.api.config.use((opts.outbox ?? createOutbox(config, { logger: deps.logger })).transformer("reply"));
  }
  // Installed last, so it runs first (grammY calls the most recently installed transformer outermost).
  if (opts.route) bot.api.config.use(opts.route);

  bot.use((ctx, next) => {
    ctx.deps = deps;
    ctx.log = deps.logger.child({ update: ctx.update.update_id, user: ctx.from?.id });
    return next();
  });
  bot.use(errorBoundary);
  bot.use(normaliseCommand);
  // One update at a time per chat (flow state is per user), many chats at once.
  bot.use(sequentialize((ctx) => (ctx.chat?.id ?? ctx.from?.id)?.toString()));
  bot.use(trackUser);
  for (const feature of [...(opts.features ?? []), ...createFeatures()]) bot.use(feature);
  bot.catch((err) => deps.logger.error({ err: err.error, update: err.ctx.update.update_id }, "unhandled bot error"));
  return bot;
}

