/**
 * One test file's run of the real bot: a fake Bot API, a fresh data folder and the bot process
 * (which may be killed and started again on the same folder), all stopped and removed after the file.
 *
 *   const run = botRun("surge-e2e-");                      // top level: registers the afterAll clean-up
 *   await run.start({ api: { rateLimit: … }, env: { OUTGOING_RATE: "100" } });
 *   run.api.sendText(42, "/help");
 *   await run.bot.kill9();
 *   await run.restart();                                   // same folder, same env
 */
import { afterAll } from "vitest";
import { makeTempDataDir, removeTempDataDir, startBotProcess, type BotProcess, type BotProcessOptions } from "./bot-process.js";
import { startFakeBotApi, type FakeBotApi, type FakeBotApiOptions } from "./fake-bot-api.js";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface BotRunStart {
  /** Options of the fake Bot API (flood control, latency…). */
  api?: FakeBotApiOptions;
  /** The bot's environment on top of bot-process.ts's defaults. */
  env?: Record<string, string | undefined>;
  /** Other startBotProcess options (readyTimeoutMs…). */
  process?: Omit<BotProcessOptions, "api" | "dataDir" | "env">;
}

export class BotRun {
  #api: FakeBotApi | undefined;
  #dataDir: string | undefined;
  #bot: BotProcess | undefined;
  #start: BotRunStart = {};

  constructor(readonly prefix: string) {}

  get api(): FakeBotApi {
    if (!this.#api) throw new Error("BotRun: start() first");
    return this.#api;
  }

  get dataDir(): string {
    if (!this.#dataDir) throw new Error("BotRun: start() first");
    return this.#dataDir;
  }

  /** The process started last. */
  get bot(): BotProcess {
    if (!this.#bot) throw new Error("BotRun: start() first");
    return this.#bot;
  }

  /** Starts the fake, makes the data folder and starts the bot (resolves at its first getUpdates). */
  async start(o: BotRunStart = {}): Promise<this> {
    this.#start = o;
    this.#api = await startFakeBotApi(o.api);
    this.#dataDir = await makeTempDataDir(this.prefix);
    await this.restart();
    return this;
  }

  /** Starts the bot again on the same data folder, with the same options (after kill9() or stop()). */
  async restart(): Promise<BotProcess> {
    this.#bot = await startBotProcess({ ...this.#start.process, api: this.api, dataDir: this.dataDir, ...(this.#start.env ? { env: this.#start.env } : {}) });
    return this.#bot;
  }

  /** Stops the bot, closes the fake, removes the folder (whatever was started). */
  async close(): Promise<void> {
    await this.#bot?.stop().catch(() => undefined);
    await this.#api?.close();
    if (this.#dataDir) await removeTempDataDir(this.#dataDir);
    this.#bot = this.#api = this.#dataDir = undefined;
  }
}

/** A BotRun closed after the test file (vitest afterAll). */
export function botRun(prefix: string): BotRun {
  const run = new BotRun(prefix);
  afterAll(() => run.close());
  return run;
}
