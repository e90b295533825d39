/**
 * What happened around the slow updates of a paced round (`update-handling.ts --trace FILE`): every
 * update's start and length, the main thread's blocked stretches (a 5-ms interval timer that fired
 * late), V8's GC pauses (PerformanceObserver 'gc'), and every file operation of the store (through
 * its injectable fs: journal appends, checkpoint shard writes, renames, fsyncs). A stall is a run of
 * updates over `slowMs` whose time spans overlap; the report lists each with the events inside it.
 */
import { close, fdatasync, open, openSync, readSync, write, writeFileSync } from "node:fs";
import { PerformanceObserver, constants } from "node:perf_hooks";
import type { StoreFs } from "../src/store/index.js";
import { nodeFs } from "../src/store/fs.js";

export interface TraceEvent {
  kind: "update" | "blocked" | "gc" | "fs" | "mark";
  /** ms since the trace began. */
  start: number;
  ms: number;
  detail: string;
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "mark-compact",
  [constants.NODE_PERFORMANCE_GC_MINOR]: "scavenge",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weak-callbacks",
};

/**
 * The main thread's time on a CPU and waiting for one, ms (Linux /proc/thread-self/schedstat, kept
 * open: a read is cheap, an open is not); NaNs elsewhere. A blocked stretch's wall time less both is
 * time the thread slept: blocked in a synchronous system call (e.g. a write(2) behind an fsync).
 */
const mainThreadSched = (() => {
  let fd: number | undefined;
  const buf = Buffer.alloc(128);
  return (): [onCpu: number, waiting: number] => {
    try {
      fd ??= openSync("/proc/thread-self/schedstat", "r");
      const n = readSync(fd, buf, 0, buf.length, 0);
      const [run, wait] = buf.toString("latin1", 0, n).split(" ");
      return [Number(run) / 1e6, Number(wait) / 1e6];
    } catch {
      return [NaN, NaN];
    }
  };
})();

export class StallTrace {
  readonly events: TraceEvent[] = [];
  readonly #t0 = performance.now();
  /** The same instant on the monotonic clock in µs (a --cpu-prof profile's timestamps), to line the two up. */
  readonly #t0Micros = Number(process.hrtime.bigint() / 1000n);
  #observer: PerformanceObserver | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  on = false;

  now(): number {
    return performance.now() - this.#t0;
  }

  add(kind: TraceEvent["kind"], startAbs: number, ms: number, detail: string): void {
    if (this.on) this.events.push({ kind, start: Math.round((startAbs - this.#t0) * 100) / 100, ms: Math.round(ms * 100) / 100, detail });
  }

  start(): void {
    this.on = true;
    this.#observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = ((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind ?? -1;
        // entry.startTime is on the same clock as performance.now()
        this.add("gc", e.startTime, e.duration, GC_KINDS[kind] ?? String(kind));
      }
    });
    this.#observer.observe({ entryTypes: ["gc"] });
    let last = performance.now();
    let [lastCpu, lastWait] = mainThreadSched();
    this.#ticker = setInterval(() => {
      const now = performance.now();
      const [cpu, wait] = mainThreadSched();
      // on a CPU ≈ wall: a long task; waiting ≈ wall: other processes had the cores; the rest: asleep in a syscall.
      if (now - last > 20) {
        const asleep = now - last - (cpu - lastCpu) - (wait - lastWait);
        this.add("blocked", last, now - last, `timer late; main thread on a CPU ${(cpu - lastCpu).toFixed(1)} ms, waiting for one ${(wait - lastWait).toFixed(1)} ms, asleep ${asleep.toFixed(1)} ms`);
      }
      last = now;
      lastCpu = cpu;
      lastWait = wait;
    }, 5);
  }

  stop(): void {
    this.on = false;
    this.#observer?.disconnect();
    if (this.#ticker) clearInterval(this.#ticker);
  }

  /** The store's fs with every write-side operation timed. */
  storeFs(): Partial<StoreFs> {
    const timed =
      <A extends unknown[]>(name: string, fn: (...a: A) => Promise<void>, describe: (...a: A) => string) =>
      async (...a: A): Promise<void> => {
        const t = performance.now();
        try {
          await fn(...a);
        } finally {
          this.add("fs", t, performance.now() - t, `${name} ${describe(...a)}`);
        }
      };
    const short = (p: string) => p.split("/").slice(-2).join("/");
    return {
      writeFile: timed("writeFile", nodeFs.writeFile, (p, d, s) => `${short(p)} ${d.length} ${s ? "sync" : ""}`),
      appendFile: timed("appendFile", (p, d, s) => this.#timedAppend(p, d, s), (p, d, s) => `${short(p)} ${d.length} ${s ? "sync" : ""}`),
      rename: timed("rename", nodeFs.rename, (a, b) => `${short(a)} → ${short(b)}`),
      syncDir: timed("syncDir", nodeFs.syncDir, (p) => short(p)),
      unlink: timed("unlink", nodeFs.unlink, (p) => short(p)),
    };
  }

  /** nodeFs.appendFile with its fdatasync timed on its own ("fdatasync" fs events): the disk's share of a journal append. */
  async #timedAppend(path: string, data: Uint8Array, sync: boolean): Promise<void> {
    const call = <T>(f: (cb: (e: NodeJS.ErrnoException | null, v: T) => void) => void) => new Promise<T>((res, rej) => f((e, v) => (e ? rej(e) : res(v))));
    const fd = await call<number>((cb) => open(path, "a", 0o644, cb));
    try {
      for (let off = 0; off < data.length; ) off += await call<number>((cb) => write(fd, data, off, data.length - off, null, cb));
      if (sync) {
        const t = performance.now();
        await call<void>((cb) => fdatasync(fd, (e) => cb(e, undefined)));
        this.add("fs", t, performance.now() - t, "fdatasync journal");
      }
    } finally {
      await call<void>((cb) => close(fd, (e) => cb(e, undefined)));
    }
  }

  /** The journal's fdatasync times between two trace instants (ms since the trace began): p50 / p90 / p99 / max and a count. */
  fdatasyncs(from: number, to: number): string {
    const ms = this.events.filter((e) => e.kind === "fs" && e.detail === "fdatasync journal" && e.start >= from && e.start < to).map((e) => e.ms).sort((a, b) => a - b);
    if (!ms.length) return "no fdatasyncs";
    const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(1);
    const over = (x: number) => ms.filter((m) => m > x).length;
    return `${ms.length} fdatasyncs: p50 ${q(0.5)}, p90 ${q(0.9)}, p99 ${q(0.99)}, max ${ms.at(-1)!.toFixed(1)} ms; over 20 ms ${over(20)}, over 50 ms ${over(50)}`;
  }

  /** Stalls (overlapping updates over slowMs) and the events inside each; written with every event to `file`. */
  report(file: string, slowMs: number): string {
    const updates = this.events.filter((e) => e.kind === "update").sort((a, b) => a.start - b.start);
    const slow = updates.filter((e) => e.ms > slowMs);
    const stalls: { start: number; end: number; updates: number; worst: number }[] = [];
    for (const u of slow) {
      const last = stalls.at(-1);
      if (last && u.start <= last.end) {
        last.end = Math.max(last.end, u.start + u.ms);
        last.updates++;
        last.worst = Math.max(last.worst, u.ms);
      } else stalls.push({ start: u.start, end: u.start + u.ms, updates: 1, worst: u.ms });
    }
    const lines: string[] = [`${updates.length} updates, ${slow.length} over ${slowMs} ms, ${stalls.length} stalls`];
    for (const s of stalls) {
      lines.push(`stall ${s.start.toFixed(0)}–${s.end.toFixed(0)} ms: ${s.updates} updates over ${slowMs} ms, worst ${s.worst.toFixed(1)} ms`);
      const inside = this.events.filter((e) => e.kind !== "update" && e.start + e.ms >= s.start - 20 && e.start <= s.end);
      for (const e of inside) if (e.kind !== "fs" || e.ms > 5 || !e.detail.startsWith("appendFile")) lines.push(`  ${e.kind} at ${e.start.toFixed(1)} for ${e.ms.toFixed(1)} ms: ${e.detail}`);
      const appends = inside.filter((e) => e.kind === "fs" && e.detail.startsWith("appendFile"));
      if (appends.length) lines.push(`  journal appends: ${appends.length}, longest ${Math.max(...appends.map((e) => e.ms)).toFixed(1)} ms`);
    }
    const byKind = (k: TraceEvent["kind"]) => this.events.filter((e) => e.kind === k);
    const longest = (k: TraceEvent["kind"]) => byKind(k).reduce((m, e) => Math.max(m, e.ms), 0);
    lines.push(`overall: blocked stretches ${byKind("blocked").length} (longest ${longest("blocked").toFixed(1)} ms), gc ${byKind("gc").length} (longest ${longest("gc").toFixed(1)} ms), fs ops ${byKind("fs").length} (longest ${longest("fs").toFixed(1)} ms)`);
    writeFileSync(file, JSON.stringify({ t0Micros: this.#t0Micros, events: this.events, stalls }, null, 0));
    return lines.join("\n");
  }
}
