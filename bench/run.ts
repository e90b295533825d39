/**
 * `npm run bench`: every benchmark, each in a fresh process, then a table of the figures with
 * PASS/MISS against the targets, written to bench/results.json as well.
 *
 *   npm run bench                     everything (about 6 minutes on 2 cores)
 *   npm run bench -- --only search,broadcast
 *   npm run bench -- --quick          shorter phases, store scale 1× and 2× only
 *   npm run bench -- --no-wait        start each benchmark at once (a machine that will not get quiet)
 *
 * Other work on the machine skews every figure: each benchmark waits (up to a minute) for the
 * 1-minute load average to drop below 1.5 and records the load it ran under.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BroadcastBenchResult } from "./broadcast.js";
import type { SearchResult } from "./search.js";
import type { StartupResult } from "./startup.js";
import type { PgScaleResult } from "./pg-scale.js";
import type { HeapResult } from "./heap.js";
import type { ScaleResult } from "./store-scale.js";
import type { UpdateHandlingResult } from "./update-handling.js";
import type { WebBenchResult } from "./web.js";
import { load1, machine, meets, waitForQuiet, type Spread } from "./stats.js";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const QUIET_LOAD = 1.5;

interface Job {
  name: string;
  file: string;
  args: string[];
  quickArgs: string[];
}

const JOBS: Job[] = [
  { name: "search", file: "search.ts", args: [], quickArgs: ["--rounds", "5"] },
  { name: "updates", file: "update-handling.ts", args: [], quickArgs: ["--paced-s", "8", "--rounds", "3", "--saturate-s", "5"] },
  // the same bot, the same seed and the same updates, on PostgreSQL (bench/pg-copy.ts)
  { name: "updates-pg", file: "update-handling.ts", args: ["--store", "pg"], quickArgs: ["--store", "pg", "--paced-s", "8", "--rounds", "3", "--saturate-s", "5"] },
  { name: "startup", file: "startup.ts", args: [], quickArgs: ["--runs", "3", "--users", "40", "--steps", "6"] },
  { name: "heap", file: "heap.ts", args: [], quickArgs: ["--steps", "4"] },
  { name: "broadcast", file: "broadcast.ts", args: [], quickArgs: [] },
  { name: "scale", file: "store-scale.ts", args: [], quickArgs: ["--scales", "1,2", "--seconds", "5"] },
  { name: "pg", file: "pg-scale.ts", args: [], quickArgs: ["--scales", "1,2", "--seconds", "5"] },
  { name: "web", file: "web.ts", args: [], quickArgs: ["--requests", "100"] },
];

interface Results {
  search?: SearchResult;
  updates?: UpdateHandlingResult;
  "updates-pg"?: UpdateHandlingResult;
  startup?: StartupResult;
  heap?: HeapResult;
  broadcast?: BroadcastBenchResult;
  scale?: ScaleResult;
  pg?: PgScaleResult;
  web?: WebBenchResult;
}

async function runJob(job: Job, quick: boolean, dir: string): Promise<unknown> {
  const out = join(dir, `${job.name}.json`);
  const args = [...process.execArgv, join(BENCH_DIR, job.file), ...(quick ? job.quickArgs : job.args)];
  await new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, BENCH_RESULT: out } });
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${job.name} exited with code ${code}`))));
  });
  return JSON.parse(await readFile(out, "utf8")) as unknown;
}

interface Row {
  figure: string;
  value: string;
  target: string;
  status: "PASS" | "MISS" | "";
  load: string;
}

/** "1.20–3.40": the load average over several measured rounds. */
function range(loads: number[]): string {
  const lo = Math.min(...loads);
  const hi = Math.max(...loads);
  return lo === hi ? lo.toFixed(2) : `${lo.toFixed(2)}–${hi.toFixed(2)}`;
}

function rows(r: Results): Row[] {
  const out: Row[] = [];
  const add = (figure: string, value: string, target = "", ok?: boolean, load?: number | string) =>
    out.push({ figure, value, target, status: ok === undefined ? "" : ok ? "PASS" : "MISS", load: load === undefined ? "" : typeof load === "string" ? load : load.toFixed(2) });
  if (r.updates) {
    const u = r.updates;
    const rounds = u.pacedRounds;
    const rate = rounds[0]?.targetRate ?? 300;
    const loads = range(rounds.map((r) => r.load1));
    const sp = u.pacedSpread;
    const fmt = (x: Spread) => `${x.median.toFixed(1)} / ${x.worst.toFixed(1)} ms (${x.p99s.map((p) => p.toFixed(0)).join(", ")})`;
    add(`Updates at ${rate}/s (${u.activeUsers} users), p99 over ${rounds.length} rounds: median / worst`, fmt(sp.overall), "≤ 50 / ≤ 75 ms", meets(sp.overall, 50), loads);
    add("  declaration steps alone: p99 median / worst", fmt(sp.declaration), "≤ 50 / ≤ 75 ms", meets(sp.declaration, 50), loads);
    add("  of which steps that saved (fsync): p99 median / worst", fmt(sp.savedSteps), "", undefined, loads);
    add("  p50 of the rounds", rounds.map((r) => r.latencyMs.p50.toFixed(1)).join(", ") + " ms");
    // Latency runs from when each update was due; this is how late the open loop sent them (part of it).
    if (rounds.every((r) => r.sentLateMs)) add("  sent late by the loop (included): p99 of the rounds", rounds.map((r) => r.sentLateMs!.p99.toFixed(1)).join(", ") + " ms");
    add("  free text / guided taps / declaration: p99, worst round", `${Math.max(...rounds.map((r) => r.byCategory["free-text"].p99)).toFixed(1)} / ${Math.max(...rounds.map((r) => r.byCategory.guided.p99)).toFixed(1)} / ${Math.max(...rounds.map((r) => r.byCategory.declaration.p99)).toFixed(1)} ms`);
    const cpus = rounds.flatMap((x) => (x.cpu ? [x.cpu] : []));
    if (cpus.length) {
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      add(
        "  where the time went (median round): CPU per update / the bot's CPU share / main thread waiting for a core",
        `${med(cpus.map((c) => c.cpuMsPerUpdate)).toFixed(2)} ms / ${med(cpus.map((c) => c.cpuShare)).toFixed(2)} of a core / ${(med(cpus.map((c) => c.runQueueWaitShare)) * 100).toFixed(0)}% of the time`,
      );
    }
    if (u.duringExport) {
      const e = u.duringExport;
      add(
        `  one round during a ${u.seed.declarations}-row /export (${e.exportSeconds} s${e.exportDoneInRound ? "" : ", longer than the round"}): p99 / declaration p99`,
        `${e.latencyMs.p99.toFixed(1)} / ${e.byCategory.declaration.p99.toFixed(1)} ms`,
        "≤ 50 ms (1 round)",
        e.latencyMs.p99 <= 50 && e.byCategory.declaration.p99 <= 50,
        e.load1,
      );
    }
    add(`Updates/s, saturated (${u.inflight} in flight)`, `${u.saturated.updatesPerSecond}/s (p50 ${u.saturated.latencyMs.p50.toFixed(0)}, p99 ${u.saturated.latencyMs.p99.toFixed(0)} ms)`, "≥ 300/s", u.saturated.updatesPerSecond >= 300, u.saturated.load1);
    add("  bare grammY echo bot, same harness", `${u.echo.updatesPerSecond}/s → bot/echo ${u.ratioToEcho.toFixed(3)}`);
    add("  mix: free text / guided / declaration", `${u.mix["free-text"]} / ${u.mix.guided} / ${u.mix.declaration} updates; ${u.declarationsSubmitted} submitted, refs unique: ${u.uniqueRefs}`);
    add("  API refusals / handler errors", `${u.apiViolations} / ${u.handlerErrors}`, "0 / 0", u.apiViolations === 0 && u.handlerErrors === 0);
  }
  if (r["updates-pg"]) {
    const u = r["updates-pg"];
    const rounds = u.pacedRounds;
    const sp = u.pacedSpread;
    const fmt = (x: Spread) => `${x.median.toFixed(1)} / ${x.worst.toFixed(1)} ms (${x.p99s.map((p) => p.toFixed(0)).join(", ")})`;
    add(`On PostgreSQL: updates at ${rounds[0]?.targetRate ?? 300}/s, p99 over ${rounds.length} rounds: median / worst`, fmt(sp.overall), "≤ 50 / ≤ 75 ms", meets(sp.overall, 50), range(rounds.map((x) => x.load1)));
    add("  declaration steps alone (a committed write each): p99 median / worst", fmt(sp.declaration), "≤ 50 / ≤ 75 ms", meets(sp.declaration, 50));
    add(`  saturated (${u.inflight} in flight) / open`, `${u.saturated.updatesPerSecond}/s (p99 ${u.saturated.latencyMs.p99.toFixed(0)} ms) / ${u.openStoreMs} ms`, "≥ 300/s", u.saturated.updatesPerSecond >= 300, u.saturated.load1);
    add("  API refusals / handler errors; refs unique", `${u.apiViolations} / ${u.handlerErrors}; ${u.uniqueRefs}`, "0 / 0", u.apiViolations === 0 && u.handlerErrors === 0 && u.uniqueRefs);
  }
  if (r.startup) {
    const s = r.startup;
    add("Start-up to first getUpdates (median)", `${s.startupMs.p50} ms (runs ${s.runs.join(", ")})`, "≤ 1500 ms", s.startupMs.p50 <= 1500, s.load1);
    add("Peak RSS, 100 users walking journeys", `${s.memory.peakAfterLoadMB} MB (after start ${s.memory.afterStartMB} MB)`, "≤ 250 MB", s.memory.peakAfterLoadMB <= 250, s.load1);
    add("  peak RSS including an /export of all declarations", `${s.memory.peakAfterExportMB} MB`, "≤ 250 MB", s.memory.peakAfterExportMB <= 250, s.load1);
    if (s.memory.exportRssRiseMB !== undefined) add("  how far the /export moved the bot's RSS (it runs in a child process)", `${s.memory.exportRssRiseMB} MB (the child's own peak ${s.memory.exportChildPeakMB} MB)`, "≤ 20 MB", s.memory.exportRssRiseMB <= 20, s.load1);
    if (s.viaTsx) {
      add("  for comparison: via the tsx loader (as the e2e tests run it): start-up", `${s.viaTsx.startupMs.p50} ms (runs ${s.viaTsx.runs.join(", ")})`);
      add("  for comparison: via tsx: RSS after start / peak with /export", `${s.viaTsx.afterStartMB} / ${s.viaTsx.peakAfterExportMB} MB`);
    }
  }
  if (r.heap) {
    const h = r.heap;
    add(`Heap by part (${h.store.users / 1000}k users, ${h.store.declarations / 1000}k decl.), after full GC`, `${h.totalHeapMB} MB in all; RSS ${h.startRssMB} → ${h.rssMB} MB`, "", undefined, h.load1);
    for (const p of h.parts) add(`  ${p.part}`, `heap ${p.heapMB} MB, external ${p.externalMB} MB, RSS +${p.rssMB} MB`);
  }
  if (r.broadcast) {
    const b = r.broadcast;
    add(`Broadcast ${b.subscribers} at ${b.rate}/s: efficiency`, `${b.efficiency.toFixed(3)} (${b.actualSeconds.toFixed(2)} s vs ideal ${b.idealSeconds} s)`, "≥ 0.9", b.efficiency >= 0.9, b.load1);
    add("  429s", `${b.tooManyRequests} of ${b.sends} (${(b.tooManyRequestsShare * 100).toFixed(2)}%)`, "< 1%", b.tooManyRequestsShare < 0.01, b.load1);
    add("  duplicates / missed", `${b.duplicates} / ${b.missed}`, "0 / 0", b.duplicates === 0 && b.missed === 0);
    add("  a user's reply waits during it (median / worst of 5)", `${b.interactiveReplyMs} / ${b.interactiveReplyMaxMs} ms; CPU bot ${b.cpuPercent.bot}%, fake API ${b.cpuPercent.fake}%`);
  }
  if (r.search) {
    const s = r.search;
    add(`Search: parseIntent + answer (${s.phrasings} phrasings × ${s.rounds})`, `p50 ${s.latencyMs.p50.toFixed(2)} / p99 ${s.latencyMs.p99.toFixed(2)} ms`, "p99 ≤ 5 ms", s.latencyMs.p99 <= 5, s.load1);
  }
  if (r.scale) {
    for (const p of r.scale.points) {
      add(
        `Store ${p.scale}× (${p.counts.users / 1000}k users, ${p.counts.declarations / 1000}k decl., ${p.diskMB} MB)`,
        `open ${p.openMs} ms, RSS ${p.rssAfterOpenMB}→${p.peakRssMB} MB, writes p50 ${p.writeLatencyMs.p50.toFixed(1)} / p99 ${p.writeLatencyMs.p99.toFixed(1)} ms (cold p99 ${p.coldWriteLatencyMs.p99.toFixed(0)}), max ${p.maxUpdatesPerSecond}/s`,
        "",
        undefined,
        p.load1,
      );
    }
  }
  if (r.pg) {
    for (const p of r.pg.points) {
      add(
        `PostgreSQL ${p.scale}× (${p.counts.users / 1000}k users, ${p.counts.declarations / 1000}k decl., ${p.dbMB} MB)`,
        `open ${p.openMs} ms, RSS ${p.rssAfterOpenMB}→${p.peakRssMB} MB (server ${p.serverRssMB} MB), writes p50 ${p.writeLatencyMs.p50.toFixed(1)} / p99 ${p.writeLatencyMs.p99.toFixed(1)} ms, desk page p50 ${p.deskPageMs.p50.toFixed(0)} ms, max ${p.maxUpdatesPerSecond}/s, two instances ${p.twoInstanceUpdatesPerSecond}/s`,
        "",
        undefined,
        p.load1,
      );
    }
  }
  if (r.web) {
    const w = r.web;
    add(`Web chat page first load (${w.firstLoad.requests} requests)`, `${(w.firstLoad.bytes / 1024).toFixed(1)} KB`, "< 100 KB", w.firstLoad.bytes < 100 * 1024);
    add(`Desk table over ${w.desk.declarations / 1000}k declarations (${w.desk.requests} views): p50 / p99`, `${w.desk.latencyMs.p50.toFixed(1)} / ${w.desk.latencyMs.p99.toFixed(1)} ms`, "p99 ≤ 100 ms", w.desk.latencyMs.p99 <= 100, w.desk.loadBefore ?? w.desk.load1);
    if (w.desk.afterWriteMs)
      add(`Desk table, each view right after a review (${w.desk.afterWriteRequests} views): p50 / p99`, `${w.desk.afterWriteMs.p50.toFixed(1)} / ${w.desk.afterWriteMs.p99.toFixed(1)} ms`, "p99 ≤ 100 ms", w.desk.afterWriteMs.p99 <= 100, w.desk.load1);
  }
  return out;
}

function table(list: Row[]): string {
  const head: Row = { figure: "Figure", value: "Measured", target: "Target", status: "", load: "load" };
  const all = [head, ...list];
  const w = (k: keyof Row) => Math.max(...all.map((r) => [...r[k]].length));
  const pad = (s: string, n: number) => s + " ".repeat(Math.max(0, n - [...s].length));
  const line = (r: Row) => `${pad(r.figure, w("figure"))}  ${pad(r.value, w("value"))}  ${pad(r.target, w("target"))}  ${pad(r.status, 4)}  ${r.load}`;
  return [line(head), "-".repeat(line(head).length), ...list.map(line)].join("\n");
}

async function main(): Promise<void> {
  const a = process.argv.slice(2);
  const quick = a.includes("--quick");
  const noWait = a.includes("--no-wait");
  const onlyArg = a.indexOf("--only");
  const only = onlyArg >= 0 ? new Set(a[onlyArg + 1]!.split(",")) : undefined;
  const resultsFile = join(BENCH_DIR, "results.json");
  // --only keeps the other figures of the previous run.
  const previous = only ? ((JSON.parse(await readFile(resultsFile, "utf8").catch(() => "{}")) as { results?: Results }).results ?? {}) : {};
  const results: Results = { ...previous };
  const dir = await mkdtemp(join(tmpdir(), "bench-run-"));
  const startedAt = new Date().toISOString();
  try {
    for (const job of JOBS) {
      if (only && !only.has(job.name)) continue;
      const before = noWait ? load1() : await waitForQuiet(QUIET_LOAD, 60_000, (s) => console.log(s));
      console.log(`▶ ${job.name} (load ${before})`);
      const t0 = Date.now();
      (results as Record<string, unknown>)[job.name] = await runJob(job, quick, dir);
      console.log(`  done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const list = rows(results);
  console.log(`\n${table(list)}\n`);
  const m = machine();
  console.log(`Machine: ${m.cpus} × ${m.model}, ${m.memoryMB} MB, Node ${m.node}; load now ${load1()}${quick ? "; --quick" : ""}`);
  await writeFile(
    resultsFile,
    `${JSON.stringify({ generatedAt: new Date().toISOString(), startedAt, quick, machine: m, summary: list, results }, null, 2)}\n`,
  );
  console.log(`Written ${resultsFile}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
