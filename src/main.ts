/** Wires configuration, knowledge, store and bot; with no BOT_TOKEN the bot runs in the terminal. */
import { join } from "node:path";
import { bulkApi, createBot, createOutbox } from "./bot/create-bot.js";
import { createDeps } from "./bot/context.js";
import { runTelegram } from "./bot/run-telegram.js";
import { loadConfig } from "./config.js";
import { CONSOLE_BOT, ConsoleTransport, runConsole } from "./console/console.js";
import { lazySearchIndex } from "./nlu/search.js";
import { loadKnowledge } from "./knowledge/load.js";
import { createLogger } from "./logger.js";
import { startReminders } from "./reminders/scheduler.js";
import { openConfiguredStore } from "./store/open.js";
import { AnsweredJournal } from "./outgoing/answered.js";
import { createWeb } from "./web/start-web.js";

/** Shared inbox (PostgreSQL): a claim's lease, renewed every third of it while the instance lives. */
const SHARED_LEASE_MS = 15_000;
/** Shared inbox: how often an instance looks for updates it was not woken for. */
const SHARED_POLL_MS = 500;

async function main(): Promise<void> {
  const config = loadConfig();
  const consoleMode = !config.BOT_TOKEN;
  // The terminal is the conversation in console mode: only warnings and errors go to stderr there.
  const logger = createLogger(consoleMode && !process.env.LOG_LEVEL ? "warn" : config.LOG_LEVEL);
  const knowledge = loadKnowledge();
  const store = await openConfiguredStore(config, logger);
  const search = lazySearchIndex(knowledge);
  const deps = createDeps({ config, knowledge, search, store, logger });
  // WEB_PORT: the same bot also answers a chat page and serves the coordinators' desk.
  const web = config.WEB_PORT ? createWeb(deps) : undefined;
  const webParts = web ? { route: web.route, features: web.features } : {};

  if (consoleMode) {
    const transport = new ConsoleTransport(process.stdout, join(config.DATA_DIR, "exports"));
    const bot = createBot(config, deps, { botInfo: CONSOLE_BOT, transformer: transport.transformer, ...webParts });
    // Reminders and /broadcast run in the terminal too: what they send is printed with its recipient
    // (web subscribers get theirs on their page).
    const reminders = startReminders(deps, bulkApi(config, { transformer: transport.transformer, ...(web ? { route: web.route } : {}) }));
    if (!web || !config.WEB_PORT) {
      await runConsole(bot, transport, process.stdin, process.stdout, process.stdin.isTTY === true);
      await deps.settle();
      reminders.stop();
      await store.close();
      return;
    }
    const server = await web.start(bot, config.WEB_PORT);
    console.error(`网页版已启动：http://localhost:${server.port}/ （协调员工作台：/desk）`);
    onSignal(async () => {
      reminders.stop();
      await server.close();
      await deps.settle();
      await store.close();
    });
    // End of input ends the terminal conversation, not the web: it serves until SIGINT/SIGTERM.
    await runConsole(bot, transport, process.stdin, process.stdout, process.stdin.isTTY === true);
    return;
  }

  // Updates are stored in the inbox before Telegram is told they arrived (store contract: InboxRepo).
  const inbox = store.inbox;
  // One outgoing path for the bot's replies and the broadcaster's bulk sends. An update's first
  // successful send marks it done, so a crash right after the reply does not answer it again.
  // Replies on the wire when a kill -9 came: their updates count as answered after the restart.
  const answered = AnsweredJournal.open(config.DATA_DIR);
  const outbox = createOutbox(config, {
    logger,
    onWritten: (updateId) => answered.written(updateId),
    onNotDelivered: (updateId) => answered.notDelivered(updateId),
    onSent: ({ updateId }) => {
      if (updateId !== undefined) void store.answered(updateId, new Date().toISOString()).catch((err: unknown) => logger.error({ err }, "cannot mark an update answered"));
    },
  });
  const bot = createBot(config, deps, { ...webParts, outbox });
  // On PostgreSQL the inbox is shared by every instance (webhook mode): short leases renewed while
  // held (a kill -9 stalls its chats for one lease), and a periodic look for updates another
  // instance's done() released. Claims are held under the instance's name (stable per DATA_DIR).
  const sharing = store.kind === "postgres" ? { owner: store.instance, leaseMs: SHARED_LEASE_MS, pollMs: SHARED_POLL_MS } : { owner: store.instance };
  const running = await runTelegram(bot, config, deps, inbox, (updateId) => answered.answered(updateId), sharing);
  // Polling has begun; build the search index now rather than on someone's first question.
  setImmediate(() => search.warm());
  const reminders = startReminders(deps, bulkApi(config, { outbox, ...(web ? { route: web.route } : {}) }), { owner: store.instance });
  const server = web && config.WEB_PORT ? await web.start(bot, config.WEB_PORT) : undefined;
  onSignal(async (signal) => {
    logger.info({ signal }, "shutting down");
    reminders.stop();
    await server?.close();
    await running.stop();
    await deps.settle();
    answered.close();
    await store.close();
  });
}

/** Runs the shutdown once, on the first SIGINT or SIGTERM, then exits. */
function onSignal(shutdown: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handle = (signal: string) => {
    if (stopping) return;
    stopping = true;
    shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error("shutdown failed:", err);
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => handle("SIGINT"));
  process.once("SIGTERM", () => handle("SIGTERM"));
}

process.on("unhandledRejection", (err) => {
  console.error("unhandled rejection:", err);
});

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
