/**
 * How far the embedded store (lowdb snapshot files + journal, in memory) scales: the season-peak
 * data set (50,000 users, 20,000 declarations, 5,000 drafts, 20,000 open conversations) at 1×, 2×,
 * 5× and 10×. For each: the size on disk, then in a fresh process (so seeding leaves no garbage
 * behind) the open time (split into reading the snapshots, building the indexes and replaying the
 * journal), the memory it takes, and the latency of a bot-like write mix (a conversation state on
 * every update; a draft, a user or a declaration on some) at a steady 300 updates/s, fsync on, then
 * at full speed. That process then exits without closing the store (as a crash would), and a third
 * one measures the open that follows: snapshots plus the journal written since the last checkpoint.
 *
 *   npx tsx bench/store-scale.ts [--scales 1,2,5,10] [--seconds 10] [--dir <a seeded folder, copied for each run>]
 *
 * It also splits a write's time: the journal's append (write + fdatasync) and the main thread's
 * lag (a 5 ms timer's lateness), in the steady phase and during the checkpoint (with the snapshot
 * files' write + fsync times).
 */
import { spawn } from "node:child_process";
import { cp, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { nodeFs } from "../src/store/fs.js";
import { openStore } from "../src/store/index.js";
import { makeDeclaration, makeDraft, makeSession, makeUser, rng, seedStore, seededKeys } from "./store-seed.js";
import { cliFlags, latency, load1, procMemory, runIfMain, type Latency } from "./stats.js";

export interface ScalePoint {
  scale: number;
  counts: { users: number; declarations: number; drafts: number; sessions: number };
  diskMB: number;
  files: number;
  openMs: number;
  /** RSS right after opening, and the peak (VmHWM) after the write test. */
  rssAfterOpenMB: number;
  peakRssMB: number;
  heapUsedMB: number;
  /** Latency of one update's writes (all durable) at a steady 300 updates/s, after the first 2 s. */
  writeLatencyMs: Latency;
  /** The same in the first 2 s after opening (each shard's first write also builds its serialisation image). */
  coldWriteLatencyMs: Latency;
  /** Full speed: 64 updates in flight. */
  maxUpdatesPerSecond: number;
  /** Where the open time went (ms): reading and parsing the snapshot files, building the indexes, replaying the journal. */
  openParts?: { loadMs: number; indexMs: number; replayMs: number };
  /** Background checkpoints completed during the write test. */
  checkpoints?: number;
  /**
   * A second steady phase while a background checkpoint folds what the first one wrote (the
   * default threshold, 8 MB of journal, is not reached in the first phase's few MB): its write
   * latency, and how long the checkpoint took.
   */
  duringCheckpoint?: { writeLatencyMs: Latency; checkpointMs: number; journalAppendMs?: Latency; shardWriteMs?: Latency; eventLoopDelayMs?: Latency };
  /** Where a write's time goes in the steady phase: the journal's append + fdatasync, and the main thread's lag. */
  steadyParts?: { journalAppendMs: Latency; eventLoopDelayMs: Latency };
  /** The open after the writing process exited without closing (a crash): its time, and the journal lines it replayed. */
  reopenAfterCrash?: { openMs: number; replayedLines: number; replayMs: number };
  load1: number;
}

export interface ScaleResult {
  points: ScalePoint[];
}

const RATE = 300;

async function diskUsage(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for (const name of await readdir(dir, { recursive: true })) {
    const st = await stat(join(dir, name));
    if (st.isFile()) {
      bytes += st.size;
      files++;
    }
  }
  return { bytes, files };
}

type Measured = Omit<ScalePoint, "scale" | "counts" | "diskMB" | "files">;

/** Runs in a child after the writing child "crashed": the open that follows. */
async function reopen(dir: string): Promise<NonNullable<ScalePoint["reopenAfterCrash"]>> {
  const t0 = performance.now();
  const store = await openStore(dir);
  const openMs = Math.round(performance.now() - t0);
  const stats = store.openStats;
  await store.close();
  return { openMs, replayedLines: stats.replayedLines, replayMs: stats.replayMs };
}

/** Runs in the child: opens the seeded folder and measures. */
async function child(dir: string, seconds: number): Promise<Measured> {
  // Timed file operations: the journal's appends (write + fdatasync) and the snapshot files' writes (write + fsync).
  let appends: number[] = [];
  let shardWrites: number[] = [];
  const timed =
    <A extends unknown[]>(fn: (...a: A) => Promise<void>, into: () => number[]) =>
    async (...a: A) => {
      const t = performance.now();
      await fn(...a);
      into().push(performance.now() - t);
    };
  const fs = { appendFile: timed(nodeFs.appendFile, () => appends), writeFile: timed(nodeFs.writeFile, () => shardWrites) };
  const t0 = performance.now();
  const store = await openStore(dir, { fs });
  // The main thread's lag after open: a 5 ms timer's lateness.
  let lags: number[] = [];
  let expected = performance.now() + 5;
  const lagTimer = setInterval(() => {
    const now = performance.now();
    lags.push(Math.max(0, now - expected));
    expected = now + 5;
  }, 5);
  lagTimer.unref();
  const openMs = Math.round(performance.now() - t0);
  const { loadMs, indexMs, replayMs } = store.openStats;
  const afterOpen = await procMemory(process.pid);
  const heapUsedMB = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
  const { userIds, draftIds, declarationRefs: refs } = await seededKeys(store);
  const r = rng(11);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const update = async () => {
    const userId = pick(userIds);
    const writes = [store.sessions.put(makeSession(r, userId))];
    const x = r();
    if (x < 0.3) writes.push(store.drafts.put(makeDraft(r, pick(draftIds), userId)));
    else if (x < 0.4) writes.push(store.users.put(makeUser(r, userId)));
    else if (x < 0.42) writes.push(store.transaction(async (tx) => tx.declarations.put(makeDeclaration(r, await tx.declarations.nextRef("guopei", 2024), userId, "guopei"))));
    else if (x < 0.45) writes.push(store.declarations.get(pick(refs)).then((d) => store.declarations.put({ ...d!, status: "approved", updatedAt: new Date().toISOString() })));
    await Promise.all(writes);
  };
  // Steady rate, open loop.
  const steady = async (count: number, into: (i: number) => number[]) => {
    const pending: Promise<void>[] = [];
    const start = performance.now();
    for (let i = 0; i < count; i++) {
      const wait = start + (i * 1000) / RATE - performance.now();
      if (wait > 1) await new Promise((res) => setTimeout(res, wait));
      const t = performance.now();
      const samples = into(i);
      pending.push(update().then(() => void samples.push(performance.now() - t)));
    }
    await Promise.all(pending);
  };
  const lat: number[] = [];
  const cold: number[] = [];
  // from the steady phase on (seededKeys above parses every record it lists)
  lags = [];
  expected = performance.now() + 5;
  appends = [];
  await steady((seconds + 2) * RATE, (i) => (i < 2 * RATE ? cold : lat));
  const steadyParts = { journalAppendMs: latency(appends), eventLoopDelayMs: latency(lags) };
  appends = [];
  shardWrites = [];
  lags = [];
  // Again, while a checkpoint writes the shards the first phase changed.
  const during: number[] = [];
  const c0 = performance.now();
  let checkpointMs = NaN;
  const folding = store.checkpoint().then(() => (checkpointMs = Math.round(performance.now() - c0)));
  await steady(seconds * RATE, () => during);
  const duringParts = { journalAppendMs: latency(appends), shardWriteMs: latency(shardWrites), eventLoopDelayMs: latency(lags) };
  await folding;
  clearInterval(lagTimer);
  // Full speed.
  let done = 0;
  const until = performance.now() + 3000;
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < until) {
        await update();
        done++;
      }
    }),
  );
  const maxUpdatesPerSecond = Math.round(done / ((performance.now() - t1) / 1000));
  const peak = await procMemory(process.pid);
  // No close(): the process ends as a crash would, leaving the journal since the last checkpoint for reopen().
  return {
    openMs,
    openParts: { loadMs, indexMs, replayMs },
    rssAfterOpenMB: afterOpen?.rssMB ?? NaN,
    peakRssMB: peak?.peakMB ?? NaN,
    heapUsedMB,
    writeLatencyMs: latency(lat),
    coldWriteLatencyMs: latency(cold),
    maxUpdatesPerSecond,
    checkpoints: store.checkpoints,
    duringCheckpoint: { writeLatencyMs: latency(during), checkpointMs, ...duringParts },
    steadyParts,
    load1: load1(),
  };
}

function args() {
  const val = cliFlags().text;
  return { scales: (val("scales") ?? "1,2,5,10").split(",").map(Number), seconds: Number(val("seconds") ?? 10), child: val("child"), reopen: val("reopen"), from: val("dir") };
}

export async function runStoreScale(o = args()): Promise<ScaleResult> {
  const points: ScalePoint[] = [];
  for (const scale of o.scales) {
    const counts = { users: 50_000 * scale, declarations: 20_000 * scale, drafts: 5_000 * scale, sessions: 20_000 * scale };
    const dir = await mkdtemp(join(tmpdir(), `bench-scale-${scale}x-`));
    try {
      // A folder seeded before (A/B runs on the same data) is copied; otherwise it is seeded now.
      if (o.from) await cp(o.from, dir, { recursive: true });
      else await seedStore(dir, counts, { fsync: false });
      const disk = await diskUsage(dir);
      const runChild = <R>(args: string[]) =>
        new Promise<R>((resolve, reject) => {
          const p = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: ["ignore", "pipe", "inherit"] });
          let out = "";
          p.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
          p.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as R) : reject(new Error(`scale ${scale}×: child exited ${code}`))));
        });
      const measured = await runChild<Measured>(["--child", dir, "--seconds", String(o.seconds)]);
      measured.reopenAfterCrash = await runChild<NonNullable<ScalePoint["reopenAfterCrash"]>>(["--reopen", dir]);
      points.push({ scale, counts, diskMB: Math.round(disk.bytes / 2 ** 20), files: disk.files, ...measured });
      process.stderr.write(
        `  store ${scale}×: open ${measured.openMs} ms (${JSON.stringify(measured.openParts)}), after a crash ${measured.reopenAfterCrash.openMs} ms (${measured.reopenAfterCrash.replayedLines} lines replayed), RSS ${measured.rssAfterOpenMB} MB, write p50/p99 ${measured.writeLatencyMs.p50}/${measured.writeLatencyMs.p99} ms, ${measured.maxUpdatesPerSecond} updates/s, during a checkpoint (${measured.duringCheckpoint?.checkpointMs} ms) p99 ${measured.duringCheckpoint?.writeLatencyMs.p99} ms (journal append p99 ${measured.duringCheckpoint?.journalAppendMs?.p99} ms, shard write p99 ${measured.duringCheckpoint?.shardWriteMs?.p99} ms, main-thread lag p99/max ${measured.duringCheckpoint?.eventLoopDelayMs?.p99}/${measured.duringCheckpoint?.eventLoopDelayMs?.max} ms; steady: append p99 ${measured.steadyParts?.journalAppendMs.p99}, lag p99/max ${measured.steadyParts?.eventLoopDelayMs.p99}/${measured.steadyParts?.eventLoopDelayMs.max} ms), load ${measured.load1}\n`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { points };
}

// Run as a child (one scale point, result as JSON on stdout) or as the benchmark (all points, reported).
const o = args();
const childDir = o.child;
const reopenDir = o.reopen;
const emitJson = (r: unknown) => void process.stdout.write(JSON.stringify(r));
if (childDir) runIfMain(import.meta.url, () => child(childDir, o.seconds), emitJson);
else if (reopenDir) runIfMain(import.meta.url, () => reopen(reopenDir), emitJson);
else runIfMain(import.meta.url, () => runStoreScale(o));
