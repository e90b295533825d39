/**
 * Start-up and memory of the real bot process (`node --import tsx src/main.ts`, as the tests and
 * `npm start` run it) with the season-peak store (50,000 users, 20,000 declarations, 5,000 drafts):
 *
 * - start-up: from spawn to the bot's first getUpdates at the fake Bot API (HTTP), several runs;
 * - memory: peak RSS (VmHWM, read from /proc/<pid>/status by this process, not reported by the bot)
 *   after 100 users walk journeys for a while, and again after a coordinator's /export of every
 *   declaration (CSV + XLSX), the most memory-hungry thing the bot does.
 *
 * For comparison it also compiles the project with tsc and measures plain `node` on the same store
 * (--no-compiled skips that).
 *
 *   npx tsx bench/startup.ts [--runs 5] [--scale 1] [--no-compiled]
 */
import { spawn, spawnSync } from "node:child_process";
import { cp, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startBotProcess, type BotProcess } from "../test/support/bot-process.js";
import { startFakeBotApi, type FakeBotApi } from "../test/support/fake-bot-api.js";
import { httpDriver, walk } from "./http-driver.js";
import { SimUser, loadPhrasings } from "./simulated-users.js";
import { rng, seedStore, userIdOf } from "./store-seed.js";
import { isMain, latency, load1, procMemory, report, type Latency } from "./stats.js";

export interface StartupResult {
  store: { users: number; declarations: number; drafts: number };
  runs: number[];
  startupMs: Latency;
  /** 1-minute load average while measuring. */
  load1: number;
  memory: {
    afterStartMB: number;
    /** Peak RSS after the walk (before the export). */
    peakAfterLoadMB: number;
    /** Peak RSS after /export of every declaration. */
    peakAfterExportMB: number;
    rssAtEndMB: number;
    updatesDriven: number;
  };
  /**
   * For comparison, not the target's figure: the same code compiled by tsc and run by plain node
   * (no tsx loader): start-up runs, RSS after start, peak after an /export.
   */
  compiled?: { runs: number[]; startupMs: Latency; afterStartMB: number; peakAfterExportMB: number };
}

/**
 * Compiles the project with tsc into a temporary folder (knowledge/ copied, node_modules linked)
 * and measures `node <out>/src/main.js` like the tsx runs: start-up several times, then memory.
 */
async function measureCompiled(api: FakeBotApi, dataDir: string, runs: number): Promise<StartupResult["compiled"]> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const build = await mkdtemp(join(tmpdir(), "bench-build-"));
  try {
    const out = join(build, "out");
    const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.json"), "--noEmit", "false", "--outDir", out, "--rootDir", root], { stdio: "inherit" });
    if (tsc.status !== 0) throw new Error("tsc failed");
    await cp(join(root, "knowledge"), join(out, "knowledge"), { recursive: true });
    await symlink(join(root, "node_modules"), join(out, "node_modules"));
    await writeFile(join(out, "package.json"), '{"type":"module"}');
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", BOT_TOKEN: api.token, TELEGRAM_API_ROOT: api.apiRoot, DATA_DIR: dataDir, TZ: "Asia/Shanghai", LOG_LEVEL: "warn", ADMIN_IDS: String(ADMIN) };
    const start = async () => {
      const before = api.pollCount;
      const t0 = performance.now();
      const child = spawn(process.execPath, [join(out, "src/main.js")], { env, stdio: ["ignore", "ignore", "inherit"] });
      const closed = new Promise((r) => child.once("close", r));
      await api.waitForPoll(30_000, before + 1);
      return { ms: Math.round(performance.now() - t0), pid: child.pid!, stop: async () => void (child.kill("SIGTERM"), await closed) };
    };
    await (await start()).stop(); // warm the file cache and the knowledge parse cache
    const times: number[] = [];
    let last: Awaited<ReturnType<typeof start>> | undefined;
    for (let i = 0; i < runs; i++) {
      await last?.stop();
      last = await start();
      times.push(last.ms);
    }
    const afterStart = await procMemory(last!.pid);
    const exported = api.transcript(ADMIN).filter((o) => o.document?.filename.endsWith(".xlsx")).length;
    api.sendText(ADMIN, "/export");
    await api.waitFor(() => api.transcript(ADMIN).filter((o) => o.document?.filename.endsWith(".xlsx")).length > exported, 120_000, "the XLSX export (compiled)");
    const afterExport = await procMemory(last!.pid);
    await last!.stop();
    return { runs: times, startupMs: latency(times), afterStartMB: afterStart?.rssMB ?? NaN, peakAfterExportMB: afterExport?.peakMB ?? NaN };
  } finally {
    await rm(build, { recursive: true, force: true });
  }
}

const ADMIN = 1;

function args() {
  const a = process.argv.slice(2);
  const num = (name: string, d: number) => {
    const i = a.indexOf(`--${name}`);
    return i >= 0 ? Number(a[i + 1]) : d;
  };
  return { runs: num("runs", 5), scale: num("scale", 1), users: num("users", 100), steps: num("steps", 12), compiled: !a.includes("--no-compiled") };
}

export async function runStartup(o = args()): Promise<StartupResult> {
  const counts = { users: 50_000 * o.scale, declarations: 20_000 * o.scale, drafts: 5_000 * o.scale };
  const dir = await mkdtemp(join(tmpdir(), "bench-startup-"));
  const api = await startFakeBotApi();
  let bot: BotProcess | undefined;
  try {
    await seedStore(dir, counts, { fsync: false });
    const start = () => startBotProcess({ api, dataDir: dir, env: { ADMIN_IDS: String(ADMIN), LOG_LEVEL: "warn" }, readyTimeoutMs: 30_000 });
    // One unmeasured start: tsx's transform cache and the OS file cache are warm in production restarts too.
    bot = await start();
    await bot.stop();
    const runs: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const t0 = performance.now();
      bot = await start();
      runs.push(Math.round(performance.now() - t0));
      if (i < o.runs - 1) await bot.stop();
    }
    const pid = bot!.pid;
    const afterStart = await procMemory(pid);

    // Load: users walking journeys concurrently over HTTP.
    const r = rng(7);
    const phrasings = loadPhrasings();
    const driver = httpDriver(api);
    const users = Array.from({ length: o.users }, (_, i) => new SimUser(userIdOf(i * 131), driver, r, phrasings));
    const taken = await Promise.all(users.map((u) => walk(api, u, o.steps)));
    const afterLoad = await procMemory(pid);

    // A coordinator exports every declaration.
    api.sendText(ADMIN, "/export");
    await api.waitFor(() => api.transcript(ADMIN).some((out) => out.document?.filename.endsWith(".xlsx")), 120_000, "the XLSX export");
    const afterExport = await procMemory(pid);
    await bot!.stop();
    bot = undefined;

    const compiled = o.compiled ? await measureCompiled(api, dir, o.runs) : undefined;

    return {
      store: counts,
      runs,
      startupMs: latency(runs),
      ...(compiled ? { compiled } : {}),
      load1: load1(),
      memory: {
        afterStartMB: afterStart?.rssMB ?? NaN,
        peakAfterLoadMB: afterLoad?.peakMB ?? NaN,
        peakAfterExportMB: afterExport?.peakMB ?? NaN,
        rssAtEndMB: afterExport?.rssMB ?? NaN,
        updatesDriven: taken.reduce((a, b) => a + b, 0),
      },
    };
  } finally {
    await bot?.kill9().catch(() => undefined);
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}


if (isMain(import.meta.url)) {
  runStartup()
    .then((r) => {
      report(r);
      process.exit(0);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}
