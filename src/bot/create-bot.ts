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
import { FEATURES } from "./features/index.js";

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

export const COMMANDS = [
  { command: "start", description: "开始 / 主菜单" },
  { command: "eligibility", description: "资格自测：我能报哪个项目" },
  { command: "projects", description: "项目浏览" },
  { command: "budget", description: "预算测算" },
  { command: "declare", description: "申报项目（院校/培训机构）" },
  { command: "my", description: "我的申报" },
  { command: "subscribe", description: "订阅截止提醒" },
  { command: "deadlines", description: "查看申报截止日期" },
  { command: "help", description: "帮助" },
  { command: "cancel", description: "取消当前操作" },
] as const;

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
  for (const feature of [...(opts.features ?? []), ...FEATURES]) bot.use(feature);
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
