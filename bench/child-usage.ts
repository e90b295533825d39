/**
 * CPU and disk writes of the export child (a child process of this one), sampled from /proc every
 * 100 ms while a phase runs: a child that has exited keeps its last sample. Linux only; empty elsewhere.
 */
import { readFileSync, readdirSync } from "node:fs";

export interface ChildUsage {
  pid: number;
  /** Wall time it was seen alive, ms (at 100-ms resolution). */
  seenMs: number;
  /** User + system CPU it used, ms. */
  cpuMs: number;
  /** Bytes it caused to be written to the block device (/proc/PID/io write_bytes), MB. */
  diskWriteMB: number;
  /** Peak RSS seen, MB. */
  rssMB: number;
}

const TICK_MS = 1000 / 100; // USER_HZ

function childPids(): number[] {
  try {
    return readdirSync("/proc/self/task").flatMap((tid) => readFileSync(`/proc/self/task/${tid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

function sample(pid: number): { cpuMs: number; writeBytes: number; rssMB: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuMs = (Number(f[11]) + Number(f[12])) * TICK_MS;
    const rssMB = (Number(f[21]) * 4096) / 2 ** 20;
    const io = readFileSync(`/proc/${pid}/io`, "utf8");
    const writeBytes = Number(/write_bytes: (\d+)/.exec(io)?.[1] ?? NaN);
    return { cpuMs, writeBytes, rssMB };
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/**
 * Watches the children whose command line contains `named` (the bench's PostgreSQL server is a
 * child too, and must not be reported as the export child).
 */
export function watchChildren(named: string): () => ChildUsage[] {
  const seen = new Map<number, ChildUsage & { first: number }>();
  const tick = () => {
    const now = performance.now();
    for (const pid of childPids()) {
      if (!seen.has(pid) && !commandLine(pid).includes(named)) continue;
      const s = sample(pid);
      if (!s) continue;
      const u = seen.get(pid) ?? { pid, first: now, seenMs: 0, cpuMs: 0, diskWriteMB: 0, rssMB: 0 };
      u.seenMs = Math.round(now - u.first);
      u.cpuMs = s.cpuMs;
      u.diskWriteMB = Math.round((s.writeBytes / 2 ** 20) * 10) / 10;
      u.rssMB = Math.max(u.rssMB, Math.round(s.rssMB));
      seen.set(pid, u);
    }
  };
  const timer = setInterval(tick, 100);
  return () => {
    clearInterval(timer);
    tick();
    return [...seen.values()].map(({ first: _first, ...u }) => u);
  };
}
