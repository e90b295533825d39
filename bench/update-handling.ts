/**
 * Update handling at season-peak scale, in process through the real middleware stack (createBot,
 * every feature, the store with fsync on), the Bot API answered by the in-process LocalBotApi.
 *
 * The store is seeded with 50,000 users, 20,000 declarations and 5,000 drafts. 500 of those users
 * walk journeys at once (questions in Chinese, the guided eligibility and budget checks by button,
 * whole declarations up to 确认提交), each next update decided from the bot's last reply. Phases:
 *
 *   warm-up    6,000 updates (JIT, shard serialisation images; users get into their journeys), not counted;
 *   paced      an open loop at 300 updates/s (the target rate) for 20 s, 5 rounds: latency as users see
 *              it, and its spread from round to round (a target is met when the median round meets it
 *              and the worst is within 1.5× of it);
 *   export     one more paced round while a coordinator's /export of all 20,000 declarations runs
 *              (in its child process): chat latency during an export;
 *   saturated  64 updates in flight for 10 s: the most updates/s the bot handles, and latency then;
 *   echo       the saturated phase's very updates replayed through a bare grammY echo bot with the
 *              same harness and concurrency: the ratio is the cost of the bot over grammY itself.
 *
 * Latency = bot.handleUpdate(update) to settle: every middleware, every reply, and the durable write
 * (the journal's fdatasync) where the step saves ("💾 已保存" is said after it). In the paced phases it
 * runs from when the update was due, not from when the loop got round to sending it (a busy main
 * thread delays both, as an update waiting in the socket would be).
 *
 *   npx tsx bench/update-handling.ts [--users 500] [--rate 300] [--paced-s 20] [--rounds 5] [--saturate-s 10] [--inflight 64] [--warmup 6000] [--scale 1] [--no-export]
 *                                    [--trace FILE [--slow-ms 40]] [--heap-sample FILE] [--keep-outputs 8]
 *
 * --trace: every paced update, blocked stretch of the main thread, GC pause and store file operation
 * timed into FILE (JSON), and each stall (overlapping updates over --slow-ms) printed with the
 * events inside it (bench/stall-trace.ts).
 * --heap-sample: V8's sampling heap profile of the paced rounds, counting only objects that outlived
 * the young generation (promoted: what makes mark-compacts come), written to FILE (.heapprofile).
 * --keep-outputs: replies the emulator keeps per chat, and messages for edits (4 more): the users need
 * only their last few; more is heap the bot's GC marks that a real bot does not have.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bot } from "grammy";
import type { Update } from "grammy/types";
import { rng, userIdOf } from "./store-seed.js";
import { seedInChild } from "./seed-in-child.js";
import { LocalBotApi } from "./fake-api-client.js";
import { startInProcessBot } from "./in-process-bot.js";
import { pgCopyOf, type PgCopy } from "./pg-copy.js";
import { SimUser, loadPhrasings, type Action, type Category, type UserStats } from "./simulated-users.js";
import { cliFlags, latency, load1, runIfMain, spread, type Latency, type Spread } from "./stats.js";
import { StallTrace } from "./stall-trace.js";
import { watchChildren, type ChildUsage } from "./child-usage.js";

export interface PhaseResult {
  updates: number;
  seconds: number;
  updatesPerSecond: number;
  latencyMs: Latency;
  byCategory: Record<Category, Latency>;
  /** Declaration steps whose reply said "💾 已保存" (a durable draft write inside the latency). */
  savedSteps: Latency;
  /** Updates the open loop could not start on time (no user was ready). */
  skipped?: number;
  /** Paced: how late the open loop sent updates (included in their latency, which runs from when each was due). */
  sentLateMs?: Latency;
  /** Where the time went (Linux /proc/self/schedstat, the main thread; process.cpuUsage for all threads). */
  cpu?: CpuAccount;
  load1: number;
}

export interface UpdateHandlingResult {
  seed: { users: number; declarations: number; drafts: number; seconds: number };
  openStoreMs: number;
  activeUsers: number;
  inflight: number;
  /** Every paced round. */
  pacedRounds: (PhaseResult & { targetRate: number })[];
  /** p99 across the rounds: all updates, declaration steps alone, declaration steps that saved (fsync). */
  pacedSpread: { overall: Spread; declaration: Spread; savedSteps: Spread };
  /** A paced round while a coordinator's /export of every declaration runs. */
  duringExport?: PhaseResult & { targetRate: number; exportSeconds: number; exportDoneInRound: boolean; exportChild?: ChildUsage };
  saturated: PhaseResult;
  echo: { updates: number; seconds: number; updatesPerSecond: number; latencyMs: Latency };
  /** bot updates/s ÷ echo updates/s (saturated). */
  ratioToEcho: number;
  /** Updates per category in the measured phases (paced + saturated). */
  mix: Record<Category, number>;
  journeys: UserStats;
  apiViolations: number;
  handlerErrors: number;
  /** Declarations submitted over the whole run (warm-up included). */
  declarationsSubmitted: number;
  uniqueRefs: boolean;
}

function args() {
  const a = process.argv.slice(2);
  const { num, text } = cliFlags(a);
  return {
    users: num("users", 500),
    rate: num("rate", 300),
    pacedSeconds: num("paced-s", 20),
    rounds: num("rounds", 5),
    exportRound: !a.includes("--no-export"),
    saturateSeconds: num("saturate-s", 10),
    inflight: num("inflight", 64),
    warmup: num("warmup", 6000),
    scale: num("scale", 1),
    /** --store pg: the same seed copied into a throwaway PostgreSQL server (bench/pg-copy.ts), the bot on it. */
    store: text("store") === "pg" ? ("pg" as const) : ("lowdb" as const),
    trace: text("trace"),
    slowMs: num("slow-ms", 40),
    keepOutputs: num("keep-outputs", 8),
    heapSample: text("heap-sample"),
  };
}

interface Sample {
  ms: number;
  category: Category;
  saved: boolean;
}

export interface CpuAccount {
  /** CPU time the whole process used per update (ms). */
  cpuMsPerUpdate: number;
  /** CPU time used ÷ wall time (1 = one core busy all the round). */
  cpuShare: number;
  /** Time the main thread was runnable but waiting for a core (other processes had it) ÷ wall time. */
  runQueueWaitShare: number;
}

/** /proc/self/schedstat: [ns on a CPU, ns waiting on the run queue]; undefined off Linux. */
function schedstat(): [number, number] | undefined {
  try {
    const [run, wait] = readFileSync("/proc/thread-self/schedstat", "utf8").split(/\s+/).map(Number);
    return [run!, wait!];
  } catch {
    return undefined;
  }
}

/** Starts a CPU account for a phase; call the result at its end. */
function cpuAccount(): (updates: number) => CpuAccount | undefined {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const s0 = schedstat();
  return (updates) => {
    const wallMs = performance.now() - wall0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const s1 = schedstat();
    const round = (x: number) => Math.round(x * 1000) / 1000;
    return {
      cpuMsPerUpdate: round(cpuMs / Math.max(1, updates)),
      cpuShare: round(cpuMs / wallMs),
      runQueueWaitShare: s0 && s1 ? round((s1[1] - s0[1]) / 1e6 / wallMs) : NaN,
    };
  };
}

function summarize(samples: Sample[], seconds: number, extra: Partial<PhaseResult> = {}): PhaseResult {
  const by = (c: Category) => latency(samples.filter((s) => s.category === c).map((s) => s.ms));
  return {
    updates: samples.length,
    seconds: Math.round(seconds * 100) / 100,
    updatesPerSecond: Math.round(samples.length / seconds),
    latencyMs: latency(samples.map((s) => s.ms)),
    byCategory: { "free-text": by("free-text"), guided: by("guided"), declaration: by("declaration") },
    savedSteps: latency(samples.filter((s) => s.saved).map((s) => s.ms)),
    load1: load1(),
    ...extra,
  };
}

/** V8's sampling heap profiler over objects that survive minor GCs (inspector), until stop(file). */
async function startPromotedSampling(): Promise<{ stop(file: string): Promise<void> }> {
  const { Session } = await import("node:inspector/promises");
  const session = new Session();
  session.connect();
  await session.post("HeapProfiler.startSampling", { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false } as object);
  return {
    async stop(file) {
      const { profile } = await session.post("HeapProfiler.stopSampling");
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** The coordinator who exports (an admin by ADMIN_IDS, not one of the walking users). */
const EXPORTER = 1;

export async function runUpdateHandling(o = args()): Promise<UpdateHandlingResult> {
  const counts = { users: 50_000 * o.scale, declarations: 20_000 * o.scale, drafts: 5_000 * o.scale };
  const dir = await mkdtemp(join(tmpdir(), "bench-updates-"));
  let postgres: PgCopy | undefined;
  try {
    const t0 = performance.now();
    // Seeding is set-up, not measured: files are identical with or without fsync. In a child process,
    // so that this process's heap holds what a bot's does (seed-in-child.ts).
    await seedInChild(dir, counts);
    const seedSeconds = (performance.now() - t0) / 1000;
    if (o.store === "pg") postgres = await pgCopyOf(dir);

    const trace = o.trace ? new StallTrace() : undefined;
    const tOpen = performance.now();
    const app = await startInProcessBot({ dataDir: dir, captureLogs: true, store: { fsync: true, ...(trace ? { fs: trace.storeFs() } : {}) }, adminIds: [EXPORTER], api: new LocalBotApi({ keepPerChat: o.keepOutputs, keepMessages: o.keepOutputs + 4 }), ...(postgres ? { databaseUrl: postgres.url } : {}) });
    const openStoreMs = Math.round(performance.now() - tOpen);
    const { bot, api } = app;
    const checkpoints = () => (app.store as { checkpoints?: number }).checkpoints ?? NaN;

    const r = rng(42);
    const phrasings = loadPhrasings();
    const stats: UserStats = { journeysDone: { questions: 0, eligibility: 0, budget: 0, declaration: 0 }, submitted: 0, stuck: 0 };
    // Existing users (seeded), some with drafts of their own.
    const users = Array.from({ length: o.users }, (_, i) => new SimUser(userIdOf(i * 97), api, r, phrasings, stats));
    const ready: SimUser[] = [...users];

    /**
     * `due`: when the open loop meant to send it. Latency runs from then (or from the call, if that was
     * earlier): an update due while the main thread was busy waits like one sitting in the socket
     * would, and timing it from the late call would leave out exactly the stalls being measured.
     */
    const dispatch = async (u: SimUser, record?: Update[], due?: number): Promise<Sample> => {
      const action: Action = u.next();
      record?.push(action.update);
      const before = api.outputs(u.id).at(-1)?.seq ?? 0;
      const called = performance.now();
      const t = due === undefined ? called : Math.min(called, due);
      await bot.handleUpdate(action.update);
      const ms = performance.now() - t;
      trace?.add("update", t, ms, action.category);
      const saved = api.outputs(u.id).some((out) => out.seq > before && out.text.startsWith("💾 已保存"));
      return { ms, category: action.category, saved };
    };

    // Closed loop: `inflight` users at a time, each starting its next update when the previous settles.
    const closedLoop = async (seconds: number, record?: Update[]): Promise<{ samples: Sample[]; seconds: number }> => {
      const samples: Sample[] = [];
      const until = performance.now() + seconds * 1000;
      const start = performance.now();
      await Promise.all(
        Array.from({ length: o.inflight }, async () => {
          while (performance.now() < until) {
            const u = ready.shift();
            if (!u) {
              await new Promise((res) => setImmediate(res));
              continue;
            }
            samples.push(await dispatch(u, record));
            ready.push(u);
          }
        }),
      );
      return { samples, seconds: (performance.now() - start) / 1000 };
    };

    // Warm-up (JIT, shard images), and users get into their journeys: declarants are mid-form when measuring starts.
    let warmed = 0;
    while (warmed < o.warmup) warmed += (await closedLoop(1)).samples.length;
    process.stderr.write(`  warm-up: ${warmed} updates\n`);

    // Paced: an update every 1000/rate ms whatever the previous ones do (open loop).
    const pacedRound = async (): Promise<PhaseResult & { targetRate: number }> => {
      const paced: Sample[] = [];
      /** How late the loop sent each update (the bot's main thread was busy, or the timer fired late). */
      const lateMs: number[] = [];
      const account = cpuAccount();
      let skipped = 0;
      const total = o.rate * o.pacedSeconds;
      const start = performance.now();
      const inflight = new Set<Promise<void>>();
      for (let i = 0; i < total; i++) {
        const due = start + (i * 1000) / o.rate;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((res) => setTimeout(res, wait));
        const u = ready.shift();
        if (!u) {
          skipped++;
          continue;
        }
        lateMs.push(Math.max(0, performance.now() - due));
        const p = dispatch(u, undefined, due).then((s) => {
          paced.push(s);
          pacedSamples.push(s);
          ready.push(u);
        });
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
      }
      await Promise.all(inflight);
      const seconds = (performance.now() - start) / 1000;
      const cpu = account(paced.length);
      return { ...summarize(paced, seconds, { skipped, sentLateMs: latency(lateMs), ...(cpu ? { cpu } : {}) }), targetRate: o.rate };
    };
    const pacedSamples: Sample[] = [];
    const pacedRounds: (PhaseResult & { targetRate: number })[] = [];
    trace?.start();
    const sampling = o.heapSample ? await startPromotedSampling() : undefined;
    for (let round = 1; round <= o.rounds; round++) {
      trace?.add("mark", performance.now(), 0, `paced round ${round} (checkpoints so far ${checkpoints()})`);
      const r = await pacedRound();
      pacedRounds.push(r);
      process.stderr.write(`  paced ${o.rate}/s, round ${round}: p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, declaration p99 ${r.byCategory.declaration.p99} ms, sent late p99 ${r.sentLateMs?.p99} ms (load ${r.load1}; ${JSON.stringify(r.cpu)})\n`);
    }
    if (sampling) await sampling.stop(o.heapSample!);
    const pacedSpread = {
      overall: spread(pacedRounds.map((r) => r.latencyMs.p99)),
      declaration: spread(pacedRounds.map((r) => r.byCategory.declaration.p99)),
      savedSteps: spread(pacedRounds.map((r) => r.savedSteps.p99)),
    };

    // One more round while a coordinator exports every declaration (the export runs in its child process).
    let duringExport: UpdateHandlingResult["duringExport"];
    if (o.exportRound) {
      const tExport = performance.now();
      trace?.add("mark", tExport, 0, "export round");
      // Counted as calls: the admin's chat also gets submission notices, which push the documents out of its kept outputs.
      const documentsBefore = api.calls.sendDocument ?? 0;
      let exportSeconds = NaN;
      const children = watchChildren("export-child");
      const exporting = bot.handleUpdate(api.textUpdate(EXPORTER, "/export")).then(() => (exportSeconds = (performance.now() - tExport) / 1000));
      const r = await pacedRound();
      const doneInRound = !Number.isNaN(exportSeconds);
      await exporting;
      const exportChild = children()[0];
      const documents = (api.calls.sendDocument ?? 0) - documentsBefore;
      if (documents !== 2) throw new Error(`the export sent ${documents} documents, not 2`);
      trace?.add("mark", tExport + exportSeconds * 1000, 0, "export done");
      duringExport = { ...r, exportSeconds: Math.round(exportSeconds * 10) / 10, exportDoneInRound: doneInRound, ...(exportChild ? { exportChild } : {}) };
      process.stderr.write(`  paced during /export (${duringExport.exportSeconds} s): p99 ${r.latencyMs.p99} ms, declaration p99 ${r.byCategory.declaration.p99} ms (load ${r.load1}; bot ${JSON.stringify(r.cpu)}; export child ${JSON.stringify(exportChild)})\n`);
      if (trace) {
        const at = tExport - (performance.now() - trace.now());
        process.stderr.write(`  journal during the paced rounds: ${trace.fdatasyncs(0, at)}\n  journal during the export: ${trace.fdatasyncs(at, at + exportSeconds * 1000)}\n`);
      }
    }

    if (trace) {
      trace.stop();
      process.stderr.write(`${trace.report(o.trace!, o.slowMs)}\n  checkpoints: ${checkpoints()}\n`);
    }

    const recorded: Update[] = [];
    const satAccount = cpuAccount();
    const sat = await closedLoop(o.saturateSeconds, recorded);
    const satCpu = satAccount(sat.samples.length);
    const saturated = summarize(sat.samples, sat.seconds, satCpu ? { cpu: satCpu } : {});
    process.stderr.write(`  saturated (${o.inflight} in flight): ${saturated.updatesPerSecond} updates/s, p99 ${saturated.latencyMs.p99} ms\n`);

    await app.close();
    const handlerErrors = app.logs.filter((l) => l.level >= 50).length;
    const refs = users.flatMap((u) => u.refs);

    // The same updates through a bare grammY bot, same harness and concurrency.
    const echoApi = new LocalBotApi();
    const echo = new Bot("123:TEST", { botInfo: echoApi.botInfo });
    echo.api.config.use(echoApi.transformer);
    // Like the real bot's error boundary: a failed reply does not fail the update.
    echo.use(async (_ctx, next) => {
      await next().catch(() => undefined);
    });
    echo.on("message:text", (ctx) => ctx.reply(ctx.message.text.trim().slice(0, 4000) || "…"));
    echo.on("callback_query:data", (ctx) => ctx.answerCallbackQuery());
    // Warm the echo bot too (its answers to replayed callback queries are refused as too old, which costs it nothing).
    for (const u of recorded.slice(0, 2000)) await echo.handleUpdate(u);
    const echoLat: number[] = [];
    let next = 0;
    const echoStart = performance.now();
    await Promise.all(
      Array.from({ length: o.inflight }, async () => {
        while (next < recorded.length) {
          const u = recorded[next++]!;
          const t = performance.now();
          await echo.handleUpdate(u);
          echoLat.push(performance.now() - t);
        }
      }),
    );
    const echoSeconds = (performance.now() - echoStart) / 1000;
    const echoRate = Math.round(recorded.length / echoSeconds);

    return {
      seed: { ...counts, seconds: Math.round(seedSeconds * 10) / 10 },
      openStoreMs,
      activeUsers: o.users,
      inflight: o.inflight,
      pacedRounds,
      pacedSpread,
      ...(duringExport ? { duringExport } : {}),
      saturated,
      echo: { updates: recorded.length, seconds: Math.round(echoSeconds * 100) / 100, updatesPerSecond: echoRate, latencyMs: latency(echoLat) },
      ratioToEcho: Math.round((saturated.updatesPerSecond / echoRate) * 1000) / 1000,
      mix: {
        "free-text": pacedSamples.filter((x) => x.category === "free-text").length + sat.samples.filter((x) => x.category === "free-text").length,
        guided: pacedSamples.filter((x) => x.category === "guided").length + sat.samples.filter((x) => x.category === "guided").length,
        declaration: pacedSamples.filter((x) => x.category === "declaration").length + sat.samples.filter((x) => x.category === "declaration").length,
      },
      journeys: stats,
      apiViolations: api.violations.length,
      handlerErrors,
      declarationsSubmitted: refs.length,
      uniqueRefs: new Set(refs).size === refs.length,
    };
  } finally {
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, () => runUpdateHandling());
