/**
 * The real bot (createBot: every middleware and feature), wired like src/main.ts but in this process
 * and answered by the in-process LocalBotApi: for benchmarks and for reliability tests that need
 * to inject store faults (the store's injectable fs) or push thousands of updates quickly.
 */
import { pino, type Logger } from "pino";
import type { Bot } from "grammy";
import { createBot } from "../src/bot/create-bot.js";
import { createDeps, type BotContext, type Deps } from "../src/bot/context.js";
import { loadConfig, type Config } from "../src/config.js";
import { createSearchIndex } from "../src/nlu/search.js";
import { loadKnowledge } from "../src/knowledge/load.js";
import type { Knowledge } from "../src/knowledge/schema.js";
import { openStore, type OpenStoreOptions } from "../src/store/index.js";
import type { Store } from "../src/store/types.js";
import { LocalBotApi } from "./fake-api-client.js";

export interface InProcessBot {
  bot: Bot<BotContext>;
  api: LocalBotApi;
  deps: Deps;
  store: Store;
  config: Config;
  /** Log lines at warn and above (JSON), when `captureLogs`. */
  logs: { level: number; msg: string; line: string }[];
  /** Waits for background jobs (notifications), then closes the store. */
  close(): Promise<void>;
}

export interface InProcessOptions {
  dataDir: string;
  adminIds?: number[];
  store?: OpenStoreOptions;
  /** Run on this PostgreSQL database instead of the data folder's lowdb store (bench/pg-copy.ts makes one). */
  databaseUrl?: string;
  api?: LocalBotApi;
  /** Extra environment for loadConfig. */
  env?: Record<string, string>;
  now?: () => Date;
  /** Keep warn/error log lines in `logs` (default: logs are discarded). */
  captureLogs?: boolean;
}

let knowledge: Knowledge | undefined;
let search: Deps["search"] | undefined;

export async function startInProcessBot(opts: InProcessOptions): Promise<InProcessBot> {
  const config = loadConfig({
    BOT_TOKEN: "123:TEST",
    DATA_DIR: opts.dataDir,
    ADMIN_IDS: (opts.adminIds ?? []).join(","),
    TZ: "Asia/Shanghai",
    LOG_LEVEL: "silent",
    ...opts.env,
  });
  const logs: InProcessBot["logs"] = [];
  const logger: Logger = opts.captureLogs
    ? pino(
        { level: "warn" },
        {
          write(line: string) {
            const parsed = JSON.parse(line) as { level: number; msg: string };
            logs.push({ level: parsed.level, msg: parsed.msg, line });
          },
        },
      )
    : pino({ level: "silent" });
  knowledge ??= loadKnowledge();
  search ??= createSearchIndex(knowledge);
  const store: Store = opts.databaseUrl
    ? await (await import("../src/store/pg/index.js")).openPgStore(opts.databaseUrl)
    : await openStore(config.DATA_DIR, opts.store);
  const deps = createDeps({ config, knowledge, search, store, logger, ...(opts.now ? { now: opts.now } : {}) });
  const api = opts.api ?? new LocalBotApi();
  const bot = createBot(config, deps, { botInfo: api.botInfo, transformer: api.transformer });
  return {
    bot,
    api,
    deps,
    store,
    config,
    logs,
    async close() {
      await deps.settle();
      await store.close();
    },
  };
}
