/**
 * Where an export's files are made: a memory-backed folder (/dev/shm, tmpfs) when there is one with
 * room, else the system's temporary folder. The spool, the CSV and the XLSX (about 37 MB for 20,000
 * declarations) are scratch, removed once sent; written to the disk the store is on, every one of the
 * bot's journal fdatasyncs queued behind them (up to 234 ms each during an export, measured).
 */
import { statfs } from "node:fs/promises";
import { tmpdir } from "node:os";

/** statfs type of tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;
/** Free room the memory-backed folder must have: a season's export with a wide margin (Docker's default /dev/shm is 64 MB). */
export const MIN_FREE_BYTES = 512 * 2 ** 20;

export interface ScratchRoot {
  path: string;
  /** True when the folder is in memory: its files never reach a disk. */
  inMemory: boolean;
}

export async function scratchRoot(candidate = "/dev/shm", minFree = MIN_FREE_BYTES): Promise<ScratchRoot> {
  try {
    const s = await statfs(candidate);
    if (s.type === TMPFS_MAGIC && s.bavail * s.bsize >= minFree) return { path: candidate, inMemory: true };
  } catch {
    // no such folder (not Linux, or a container without one)
  }
  return { path: tmpdir(), inMemory: false };
}
