/**
 * One process per data folder: DATA_DIR/.lock holds the owner's pid. A lock whose process is gone
 * (killed with -9, crashed, or an earlier life of a restarted container that got the same pid) is
 * taken over; a live owner stops start-up with a clear message.
 *
 * Liveness: kill(pid, 0), and on Linux /proc/<pid>/stat — a zombie counts as dead and a process
 * whose start time differs from the one recorded in the lock is a reused pid, also dead.
 */
import { readFileSync } from "node:fs";
import { link, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { StoreError, describe, errnoCode } from "./errors.js";

export const LOCK_FILE = ".lock";

export interface StoreLock {
  readonly path: string;
  release(): Promise<void>;
}

interface LockContent {
  pid: number;
  /** Process start time in clock ticks since boot (Linux), to detect pid reuse. */
  startTime?: string;
  hostname?: string;
  since?: string;
}

/** Locks held by this process (a second open of the same folder here is refused, not taken over). */
const held = new Set<string>();

function procInfo(pid: number | "self"): { state: string; startTime: string } | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    const startTime = fields[19];
    return state && startTime ? { state, startTime } : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(owner: LockContent): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if (errnoCode(e) === "ESRCH") return false;
    // EPERM: exists but belongs to someone else; fall through to the /proc checks
  }
  const info = procInfo(owner.pid);
  if (info) {
    if (info.state === "Z" || info.state === "X") return false;
    if (owner.startTime !== undefined && owner.startTime !== info.startTime) return false;
  }
  return true;
}

function parse(text: string): LockContent | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === "object" && v !== null && Number.isSafeInteger((v as LockContent).pid) && (v as LockContent).pid > 0) {
      return v as LockContent;
    }
  } catch {
    // fall through: old format "<pid>" or garbage
  }
  const n = Number(text.trim());
  return Number.isSafeInteger(n) && n > 0 ? { pid: n } : undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function acquireLock(dataDir: string): Promise<StoreLock> {
  const path = join(dataDir, LOCK_FILE);
  if (held.has(path)) {
    throw new StoreError(`数据目录已在本进程中打开：${dataDir} (the data folder is already open in this process)`, { file: path, code: "ELOCKED" });
  }
  const mine: LockContent = { pid: process.pid, startTime: procInfo("self")?.startTime, hostname: hostname(), since: new Date().toISOString() };
  const content = `${JSON.stringify(mine)}\n`;

  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      const fh = await open(path, "wx", 0o644);
      try {
        await fh.writeFile(content, "utf8");
        await fh.sync();
      } finally {
        await fh.close();
      }
      held.add(path);
      return { path, release: () => release(path) };
    } catch (e) {
      if (errnoCode(e) !== "EEXIST") {
        throw new StoreError(`无法创建锁文件：${path}: ${errnoCode(e) ?? describe(e)} (cannot create the lock file)`, { file: path, code: errnoCode(e), cause: e });
      }
    }

    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      if (errnoCode(e) === "ENOENT") continue; // released meanwhile
      throw new StoreError(`无法读取锁文件：${path}: ${errnoCode(e) ?? describe(e)} (cannot read the lock file)`, { file: path, cause: e });
    }
    const owner = parse(text);
    if (!owner) {
      // Another process may have just created it and not written it yet; a crash there leaves it empty.
      const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age < 2000) {
        await sleep(50);
        continue;
      }
    } else if (owner.pid !== process.pid && isAlive(owner)) {
      throw new StoreError(
        `数据目录正被另一个进程（pid ${owner.pid}）使用：${dataDir}。同一数据目录只能运行一个实例；如确认该进程已不存在，请删除 ${path}。` +
          ` (The data folder is in use by process ${owner.pid}; only one instance may run per folder. If that process is gone, delete ${path}.)`,
        { file: path, code: "ELOCKED" },
      );
    }
    // Stale (dead pid, our own pid from an earlier life, or unreadable): move it aside, then retry.
    await takeOver(path, text);
  }
  throw new StoreError(`无法获取锁文件：${path} (could not take the lock; another process keeps taking it)`, { file: path, code: "ELOCKED" });
}

/** Moves a stale lock aside; if someone replaced it meanwhile with a live lock, puts that one back. */
async function takeOver(path: string, seen: string): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(path, aside);
  } catch (e) {
    if (errnoCode(e) === "ENOENT") return;
    throw new StoreError(`无法接管锁文件：${path}: ${errnoCode(e) ?? describe(e)}`, { file: path, cause: e });
  }
  const moved = await readFile(aside, "utf8").catch(() => seen);
  if (moved !== seen) await link(aside, path).catch(() => {});
  await unlink(aside).catch(() => {});
}

async function release(path: string): Promise<void> {
  if (!held.delete(path)) return;
  try {
    const owner = parse(await readFile(path, "utf8"));
    if (owner?.pid === process.pid) await unlink(path);
  } catch {
    // already gone
  }
}
