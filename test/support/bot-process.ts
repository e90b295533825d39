/**
 * Runs the real bot (`node --import tsx src/main.ts`, or a built `dist/main.js`) as a child process
 * against a FakeBotApi, the way it runs in production.
 *
 *   const dataDir = await makeTempDataDir();
 *   const bot = await startBotProcess({ api, dataDir });
 *   ...
 *   await bot.stop();
 *   await removeTempDataDir(dataDir);
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { databaseUrlFor, dropE2EDatabase } from "./e2e-store.js";
import type { FakeBotApi } from "./fake-bot-api.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUTPUT_LINES = 200;
/** Only these variables are inherited: the developer's shell (ADMIN_IDS, WEBHOOK_URL...) must not leak in. */
const INHERITED_ENV = ["PATH", "HOME", "USER", "TMPDIR", "TEMP", "TMP", "LANG", "LC_ALL", "SYSTEMROOT"];

/** The node flags `npm start` runs the bundle with (package.json "start"). */
export const NODE_FLAGS = ["--enable-source-maps"];

export interface BotProcessOptions {
  /** The fake the bot talks to; start() waits for the bot's first getUpdates there. */
  api: FakeBotApi;
  dataDir: string;
  /** Default: the fake's token. */
  token?: string;
  /** Default: api.apiRoot. */
  apiRoot?: string;
  /** Extra or overriding variables; undefined removes one. */
  env?: Record<string, string | undefined>;
  /**
   * Entry file relative to the repo root. Default: BOT_ENTRY (dist/main.js, built once by the e2e
   * project's globalSetup, test/support/build-bundle.ts), else "src/main.ts" through tsx.
   */
  entry?: string;
  /** How long to wait for the first getUpdates. Default 15 s (cold tsx start on a slow CI box). */
  readyTimeoutMs?: number;
  /** Set false for modes that never poll (webhook). */
  waitForPoll?: boolean;
  /** Extra node flags (e.g. --cpu-prof for a benchmark). */
  nodeArgs?: string[];
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BotProcess {
  readonly pid: number;
  /** Settles when the process has exited and its output is fully read. */
  readonly exited: Promise<ExitInfo>;
  /** Last ~200 lines of stdout and stderr (stderr lines prefixed "[err] "). */
  output(): string;
  /** SIGTERM, then SIGKILL after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** SIGKILL: a crash, no shutdown handlers run. */
  kill9(): Promise<ExitInfo>;
}

export async function startBotProcess(options: BotProcessOptions): Promise<BotProcess> {
  const { api, dataDir, entry = process.env.BOT_ENTRY ?? "src/main.ts", readyTimeoutMs = 15_000, waitForPoll = true } = options;
  // Count polls before spawning so an earlier process's polls don't count as ours.
  const pollsBefore = api.pollCount;

  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  // NODE_ENV is left unset on purpose: vitest sets it to "test", which e.g. makes lowdb presets use memory.
  Object.assign(env, {
    BOT_TOKEN: options.token ?? api.token,
    TELEGRAM_API_ROOT: options.apiRoot ?? api.apiRoot,
    DATA_DIR: dataDir,
    TZ: "Asia/Shanghai",
    LOG_LEVEL: "warn",
  });
  // E2E_STORE=pg: the same flows on PostgreSQL, one database per data folder (e2e-store.ts)
  const databaseUrl = await databaseUrlFor(dataDir);
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }

  // TypeScript runs through the tsx loader; a built bundle (dist/main.js, what npm start runs) through plain node.
  const args = [...(options.nodeArgs ?? []), ...(entry.endsWith(".ts") ? ["--import", "tsx", entry] : [...NODE_FLAGS, entry])];
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });

  const lines: string[] = [];
  const capture = (stream: NodeJS.ReadableStream, prefix: string) => {
    let partial = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) keep(prefix + line);
    });
    stream.on("end", () => {
      if (partial) keep(prefix + partial);
    });
  };
  const keep = (line: string) => {
    lines.push(line);
    if (lines.length > OUTPUT_LINES) lines.shift();
    // E2E_BOT_LOG=1 streams the bot's output live while debugging a test.
    if (process.env.E2E_BOT_LOG) console.log(`[bot ${child.pid}] ${line}`);
  };
  capture(child.stdout, "");
  capture(child.stderr, "[err] ");
  const output = () => lines.join("\n");

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve, reject) => {
    child.once("error", reject);
    // "close" rather than "exit": the output is complete by then.
    child.once("close", (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  exited.catch(() => undefined); // callers may never await it; spawn errors still reach those who do
  // Put the bot's output into the fake's timeout errors.
  const removeDiagnostic = api.addDiagnostic(() => {
    const state = exitInfo ? `exited (code ${exitInfo.code}, signal ${exitInfo.signal})` : "running";
    return `Bot process ${child.pid} (${state}), last output:\n${output().split("\n").slice(-30).join("\n") || "(none)"}`;
  });

  const terminate = async (signal: NodeJS.Signals): Promise<ExitInfo> => {
    if (!exitInfo) child.kill(signal);
    const info = await exited;
    removeDiagnostic();
    return info;
  };
  const bot: BotProcess = {
    pid: child.pid ?? -1,
    exited,
    output,
    kill9: () => terminate("SIGKILL"),
    async stop(timeoutMs = 5000) {
      if (exitInfo) return terminate("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      try {
        return await terminate("SIGTERM");
      } finally {
        clearTimeout(timer);
      }
    },
  };

  if (!waitForPoll) return bot;
  // Both outcomes become values, so neither can turn into an unhandled rejection.
  const problem = await Promise.race([
    api.waitForPoll(readyTimeoutMs, pollsBefore + 1).then(
      () => undefined,
      () => `made no getUpdates call within ${readyTimeoutMs} ms`,
    ),
    exited.then(
      (info) => `exited before its first getUpdates (code ${info.code}, signal ${info.signal})`,
      (error: unknown) => `failed to start: ${String(error)}`,
    ),
  ]);
  if (problem === undefined) return bot;
  await bot.kill9().catch(() => undefined);
  throw new Error(`bot process ${problem}. Output:\n${output() || "(none)"}`);
}

/** A fresh, empty data directory under the OS temp dir. */
export async function makeTempDataDir(prefix = "bot-e2e-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeTempDataDir(dir: string): Promise<void> {
  await dropE2EDatabase(dir);
  await rm(dir, { recursive: true, force: true });
}
