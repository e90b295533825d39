/** Small helpers shared by the benchmarks: percentiles, machine load, JSON results from child processes. */
import { writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { pathToFileURL } from "node:url";

export interface Latency {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function latency(samples: number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    count: s.length,
    p50: round(at(50)),
    p90: round(at(90)),
    p99: round(at(99)),
    max: round(s.at(-1) ?? NaN),
    mean: round(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
  };
}

/** The p99s of the rounds: median, worst, and whether a target is met (median ≤ it, worst ≤ 1.5× it). */
export interface Spread {
  p99s: number[];
  median: number;
  worst: number;
}

export function spread(p99s: number[]): Spread {
  const s = [...p99s].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { p99s, median: Math.round(median * 10) / 10, worst: Math.round((s.at(-1) ?? NaN) * 10) / 10 };
}

export const meets = (s: Spread, target: number): boolean => s.median <= target && s.worst <= 1.5 * target;

export interface Machine {
  cpus: number;
  model: string;
  memoryMB: number;
  node: string;
  /** 1-minute load average when the figure was taken. */
  load1: number;
}

export function machine(): Machine {
  const c = cpus();
  return { cpus: c.length, model: c[0]?.model ?? "?", memoryMB: Math.round(totalmem() / 2 ** 20), node: process.version, load1: Math.round(loadavg()[0]! * 100) / 100 };
}

export const load1 = () => Math.round(loadavg()[0]! * 100) / 100;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits (up to maxMs) until the 1-minute load average drops below `below`; returns the load seen. */
export async function waitForQuiet(below: number, maxMs: number, say: (s: string) => void = () => {}): Promise<number> {
  const until = Date.now() + maxMs;
  let told = false;
  while (load1() >= below && Date.now() < until) {
    if (!told) say(`  machine busy (load ${load1()}), waiting up to ${Math.round(maxMs / 1000)} s for < ${below}…`);
    told = true;
    await sleep(2000);
  }
  return load1();
}

/**
 * A benchmark script run by bench/run.ts writes its result where BENCH_RESULT points;
 * run on its own, it prints the result.
 */
export function report(result: unknown): void {
  const file = process.env.BENCH_RESULT;
  if (file) writeFileSync(file, JSON.stringify(result, null, 2));
  else console.log(JSON.stringify(result, null, 2));
}

export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href;
}

/**
 * A benchmark's `--name value` flags: `text(name)` is the word after `--name` (undefined when the flag
 * is absent), `num(name, d)` that word as a number (`d` when absent).
 */
export function cliFlags(argv: string[] = process.argv.slice(2)): { text(name: string): string | undefined; num(name: string, d: number): number } {
  const at = (name: string) => argv.indexOf(`--${name}`);
  return {
    text: (name) => (at(name) >= 0 ? argv[at(name) + 1] : undefined),
    num: (name, d) => (at(name) >= 0 ? Number(argv[at(name) + 1]) : d),
  };
}

/** Runs a benchmark when its file is run directly (not imported): emits its result (report by default), exits 0, or 1 on error. */
export function runIfMain(url: string, run: () => Promise<unknown>, emit: (result: unknown) => void = report): void {
  if (!isMain(url)) return;
  run()
    .then((r) => {
      emit(r);
      process.exit(0);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exit(1);
    });
}

/** Reads /proc/<pid>/status fields (Linux): VmRSS, VmHWM in MB. */
export async function procMemory(pid: number): Promise<{ rssMB: number; peakMB: number } | undefined> {
  const { readFile } = await import("node:fs/promises");
  try {
    const status = await readFile(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rssMB: Math.round(kb("VmRSS") / 1024), peakMB: Math.round(kb("VmHWM") / 1024) };
  } catch {
    return undefined;
  }
}

/** The pids of a process's children (Linux: /proc/<pid>/task/<tid>/children). */
export async function childPids(pid: number): Promise<number[]> {
  const { readFile, readdir } = await import("node:fs/promises");
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    const lists = await Promise.all(tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, "utf8").catch(() => "")));
    return lists.flatMap((l) => l.split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

/**
 * Samples the peak RSS (VmHWM) of every child a process starts while `during` runs: the export
 * runs in a child process, whose memory is not the bot's but is still the machine's.
 */
export async function childrenPeakMB<T>(pid: number, during: Promise<T>, everyMs = 50): Promise<{ result: T; peakMB: number }> {
  const peaks = new Map<number, number>();
  let done = false;
  const sampling = (async () => {
    while (!done) {
      for (const child of await childPids(pid)) {
        const m = await procMemory(child);
        if (m && !Number.isNaN(m.peakMB)) peaks.set(child, Math.max(peaks.get(child) ?? 0, m.peakMB));
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  try {
    return { result: await during, peakMB: Math.max(0, ...peaks.values()) };
  } finally {
    done = true;
    await sampling;
  }
}

/** Resets a process's VmHWM to its current RSS (Linux: "5" to /proc/<pid>/clear_refs); false where not allowed. */
export async function resetPeak(pid: number): Promise<boolean> {
  const { writeFile } = await import("node:fs/promises");
  return writeFile(`/proc/${pid}/clear_refs`, "5").then(
    () => true,
    () => false,
  );
}
