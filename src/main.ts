/** Wires configuration, knowledge, store and bot; with no BOT_TOKEN the bot runs in the terminal. */
import { join } from "node:path";
import { createBot } from "./bot/create-bot.js";
import { createDeps } from "./bot/context.js";
import { runTelegram } from "./bot/run-telegram.js";
import { loadConfig } from "./config.js";
import { CONSOLE_BOT, ConsoleTransport, runConsole } from "./console/console.js";
import { lazySearchIndex } from "./nlu/search.js";
import { loadKnowledge } from "./knowledge/load.js";
import { createLogger } from "./logger.js";
import { startReminders } from "./reminders/scheduler.js";
import { openStore } from "./store/index.js";

async function main(): Promise<void> {
  const config = loadConfig();
  const consoleMode = !config.BOT_TOKEN;
  // The terminal is the conversation in console mode: only warnings and errors go to stderr there.
  const logger = createLogger(consoleMode && !process.env.LOG_LEVEL ? "warn" : config.LOG_LEVEL);
  const knowledge = loadKnowledge();
  const store = await openStore(config.DATA_DIR);
  const search = lazySearchIndex(knowledge);
  const deps = createDeps({ config, knowledge, search, store, logger });

  if (consoleMode) {
    const transport = new ConsoleTransport(process.stdout, join(config.DATA_DIR, "exports"));
    const bot = createBot(config, deps, { botInfo: CONSOLE_BOT, transformer: transport.transformer });
    await runConsole(bot, transport, process.stdin, process.stdout, process.stdin.isTTY === true);
    await deps.settle();
    await store.close();
    return;
  }

  const bot = createBot(config, deps);
  const running = await runTelegram(bot, config, deps);
  // Polling has begun; build the search index now rather than on someone's first question.
  setImmediate(() => search.warm());
  const reminders = startReminders(deps, bot.api);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    reminders.stop();
    await running.stop();
    await deps.settle();
    await store.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

process.on("unhandledRejection", (err) => {
  console.error("unhandled rejection:", err);
});

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
