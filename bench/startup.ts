/**
 * Start-up and memory of the real bot process as `npm start` runs it (the esbuild bundle dist/main.js
 * under plain node) with the season-peak store (50,000 users, 20,000 declarations, 5,000 drafts):
 *
 * - start-up: from spawn to the bot's first getUpdates at the fake Bot API (HTTP), several runs;
 * - memory: peak RSS (VmHWM, read from /proc/<pid>/status by this process, not reported by the bot)
 *   after 100 users walk journeys for a while, and again after a coordinator's /export of every
 *   declaration (CSV + XLSX), the most memory-hungry thing the bot does.
 *
 * For comparison it also measures the tsx loader on the same store, as the e2e tests run the bot
 * (--no-tsx skips that).
 *
 *   npx tsx bench/startup.ts [--runs 5] [--scale 1] [--no-tsx] [--node-flags "--flag …"]
 *
 * --node-flags: extra node flags for the bot process (A/B of V8 settings against the same store).
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startBotProcess, type BotProcess } from "../test/support/bot-process.js";
import { startFakeBotApi, type FakeBotApi } from "../test/support/fake-bot-api.js";
import { httpDriver, walk } from "./http-driver.js";
import { SimUser, loadPhrasings } from "./simulated-users.js";
import { rng, seedStore, userIdOf } from "./store-seed.js";
import { childrenPeakMB, cliFlags, latency, load1, procMemory, resetPeak, runIfMain, type Latency } from "./stats.js";

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
    /** RSS just before the export. */
    rssBeforeExportMB: number;
    /** The bot's peak RSS during the export alone (VmHWM reset before it), when the kernel allows the reset. */
    peakDuringExportMB?: number;
    /** peakDuringExportMB − rssBeforeExportMB: how far the export moved the bot's RSS (target ≤ 20 MB). */
    exportRssRiseMB?: number;
    /** The export child process's own peak RSS (it runs outside the bot's heap). */
    exportChildPeakMB: number;
    exportSeconds: number;
    rssAtEndMB: number;
    updatesDriven: number;
  };
  /** For comparison, not the target's figure: the same code through the tsx loader, as the e2e tests run it. */
  viaTsx?: { runs: number[]; startupMs: Latency; afterStartMB: number; peakAfterExportMB: number };
}

/** Builds the bundle that `npm start` runs (esbuild, dist/main.js). */
function buildBundle(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const built = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
  if (built.status !== 0) throw new Error("npm run build failed");
}

/**
 * For comparison: the same code run through the tsx loader (`node --import tsx src/main.ts`, as the
 * e2e tests run it): start-up several times, RSS after start and the peak after an /export.
 */
async function measureTsx(api: FakeBotApi, dataDir: string, runs: number): Promise<StartupResult["viaTsx"]> {
  const start = () => startBotProcess({ api, dataDir, entry: "src/main.ts", env: { ADMIN_IDS: String(ADMIN), LOG_LEVEL: "warn" }, readyTimeoutMs: 30_000 });
  await (await start()).stop(); // warm tsx's transform cache and the OS file cache
  const times: number[] = [];
  let last: BotProcess | undefined;
  for (let i = 0; i < runs; i++) {
    await last?.stop();
    const t0 = performance.now();
    last = await start();
    times.push(Math.round(performance.now() - t0));
  }
  const afterStart = await procMemory(last!.pid);
  const exported = api.transcript(ADMIN).filter((o) => o.document?.filename.endsWith(".xlsx")).length;
  api.sendText(ADMIN, "/export");
  await api.waitFor(() => api.transcript(ADMIN).filter((o) => o.document?.filename.endsWith(".xlsx")).length > exported, 120_000, "the XLSX export (tsx)");
  const afterExport = await procMemory(last!.pid);
  await last!.stop();
  return { runs: times, startupMs: latency(times), afterStartMB: afterStart?.rssMB ?? NaN, peakAfterExportMB: afterExport?.peakMB ?? NaN };
}

const ADMIN = 1;

function args() {
  const a = process.argv.slice(2);
  const { num } = cliFlags(a);
  const flags = a.indexOf("--node-flags");
  return {
    runs: num("runs", 5),
    scale: num("scale", 1),
    users: num("users", 100),
    steps: num("steps", 12),
    tsx: !a.includes("--no-tsx"),
    nodeFlags: flags >= 0 ? a[flags + 1]!.split(/\s+/).filter(Boolean) : [],
  };
}

export async function runStartup(o = args()): Promise<StartupResult> {
  const counts = { users: 50_000 * o.scale, declarations: 20_000 * o.scale, drafts: 5_000 * o.scale };
  const dir = await mkdtemp(join(tmpdir(), "bench-startup-"));
  const api = await startFakeBotApi();
  let bot: BotProcess | undefined;
  try {
    await seedStore(dir, counts, { fsync: false });
    buildBundle();
    const start = () => startBotProcess({ api, dataDir: dir, entry: "dist/main.js", nodeArgs: o.nodeFlags, env: { ADMIN_IDS: String(ADMIN), LOG_LEVEL: "warn" }, readyTimeoutMs: 30_000 });
    // One unmeasured start: the OS file cache and the knowledge parse cache are warm in production restarts too.
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
    const peakBeforeExport = (await procMemory(pid))?.peakMB ?? NaN;
    const reset = await resetPeak(pid);
    const beforeExport = await procMemory(pid);
    const tExport = performance.now();
    api.sendText(ADMIN, "/export");
    const exported = await childrenPeakMB(pid, api.waitFor(() => api.transcript(ADMIN).some((out) => out.document?.filename.endsWith(".xlsx")), 120_000, "the XLSX export"));
    const exportSeconds = Math.round((performance.now() - tExport) / 100) / 10;
    const duringExport = await procMemory(pid);
    // The run's peak RSS: before the reset, or during the export.
    const afterExport = duringExport && { ...duringExport, peakMB: Math.max(duringExport.peakMB, peakBeforeExport) };
    await bot!.stop();
    bot = undefined;

    const viaTsx = o.tsx ? await measureTsx(api, dir, o.runs) : undefined;

    return {
      store: counts,
      runs,
      startupMs: latency(runs),
      ...(viaTsx ? { viaTsx } : {}),
      load1: load1(),
      memory: {
        afterStartMB: afterStart?.rssMB ?? NaN,
        peakAfterLoadMB: afterLoad?.peakMB ?? NaN,
        peakAfterExportMB: afterExport?.peakMB ?? NaN,
        rssBeforeExportMB: beforeExport?.rssMB ?? NaN,
        ...(reset && duringExport && beforeExport ? { peakDuringExportMB: duringExport.peakMB, exportRssRiseMB: duringExport.peakMB - beforeExport.rssMB } : {}),
        exportChildPeakMB: exported.peakMB,
        exportSeconds,
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


runIfMain(import.meta.url, () => runStartup());
