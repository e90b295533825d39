/**
 * Start-up and memory of the real bot process (`node --import tsx src/main.ts`, as the tests and
 * `npm start` run it) with the season-peak store (50,000 users, 20,000 declarations, 5,000 drafts):
 *
 * - start-up: from spawn to the bot's first getUpdates at the fake Bot API (HTTP), several runs;
 * - memory: peak RSS (VmHWM, read from /proc/<pid>/status by this process, not reported by the bot)
 *   after 100 users walk journeys for a while, and again after a coordinator's /export of every
 *   declaration (CSV + XLSX), the most memory-hungry thing the bot does.
 *
 *   npx tsx bench/startup.ts [--runs 5] [--scale 1]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBotProcess, type BotProcess } from "../test/support/bot-process.js";
import { startFakeBotApi } from "../test/support/fake-bot-api.js";
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
}

const ADMIN = 1;

function args() {
  const a = process.argv.slice(2);
  const num = (name: string, d: number) => {
    const i = a.indexOf(`--${name}`);
    return i >= 0 ? Number(a[i + 1]) : d;
  };
  return { runs: num("runs", 5), scale: num("scale", 1), users: num("users", 100), steps: num("steps", 12) };
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

    return {
      store: counts,
      runs,
      startupMs: latency(runs),
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
