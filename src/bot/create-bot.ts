/**
 * The bot factory: one Composer per feature behind a few shared middlewares.
 * Tests and the console build the very same bot; only the transport differs.
 */
import { autoRetry } from "@grammyjs/auto-retry";
import { sequentialize } from "@grammyjs/runner";
import { Bot, type BotConfig, type Composer, type Transformer } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Config } from "../config.js";
import type { BotContext, Deps } from "./context.js";
import { errorBoundary } from "./error-boundary.js";
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
}

/** Telegram's command menu, from the one command catalogue (src/bot/commands.ts). */
export const COMMANDS = MENU_COMMANDS;

export function createBot(config: Config, deps: Deps, opts: CreateBotOptions = {}): Bot<BotContext> {
  const botConfig: BotConfig<BotContext> = { client: { apiRoot: config.TELEGRAM_API_ROOT } };
  if (opts.botInfo) botConfig.botInfo = opts.botInfo;
  const bot = new Bot<BotContext>(config.BOT_TOKEN ?? "console", botConfig);
  if (opts.transformer) bot.api.config.use(opts.transformer);
  else {
    // Innermost: a call the API never answers (a half-open connection) is cut off, so it cannot hold
    // up its chat for grammY's default of 500 s; auto-retry then sends it again like any network error.
    bot.api.config.use(callTimeout(config.API_TIMEOUT_SECONDS));
    // 429 and 5xx on ordinary replies are retried after retry_after; broadcasts pace themselves.
    bot.api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30 }));
  }
  // Installed last, so it runs first (grammY calls the most recently installed transformer outermost).
  if (opts.route) bot.api.config.use(opts.route);

  bot.use((ctx, next) => {
    ctx.deps = deps;
    ctx.log = deps.logger.child({ update: ctx.update.update_id, user: ctx.from?.id });
    return next();
  });
  bot.use(errorBoundary);
  // One update at a time per chat (flow state is per user), many chats at once.
  bot.use(sequentialize((ctx) => (ctx.chat?.id ?? ctx.from?.id)?.toString()));
  bot.use(trackUser);
  for (const feature of [...(opts.features ?? []), ...createFeatures()]) bot.use(feature);
  bot.catch((err) => deps.logger.error({ err: err.error, update: err.ctx.update.update_id }, "unhandled bot error"));
  return bot;
}

/** Aborts any Bot API call not answered within `seconds` (getUpdates: within its long-poll timeout plus `seconds`). */
export function callTimeout(seconds: number): Transformer {
  return (prev, method, payload, signal) => {
    const longPoll = method === "getUpdates" ? Number((payload as { timeout?: number }).timeout ?? 0) : 0;
    const timer = new AbortController();
    const handle = setTimeout(() => timer.abort(), (longPoll + seconds) * 1000);
    // The caller's signal (the runner's, when it stops) still aborts the call too.
    const forward = () => timer.abort();
    signal?.addEventListener("abort", forward);
    if (signal?.aborted) timer.abort();
    return prev(method, payload, timer.signal as unknown as typeof signal).finally(() => {
      clearTimeout(handle);
      signal?.removeEventListener("abort", forward);
    });
  };
}
