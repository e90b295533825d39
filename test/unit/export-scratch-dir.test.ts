/** Where the export's scratch files go: in memory when a tmpfs with room is there, else the temporary folder. */
import { statfs } from "node:fs/promises";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { scratchRoot } from "../../src/export/scratch-dir.js";

const isTmpfs = (path: string) =>
  statfs(path).then(
    (s) => s.type === 0x01021994,
    () => false,
  );
const shmIsTmpfs = await isTmpfs("/dev/shm");
const cwdIsTmpfs = await isTmpfs(process.cwd());

describe("scratchRoot", () => {
  it("falls back to the temporary folder when the candidate does not exist", async () => {
    expect(await scratchRoot("/no/such/folder")).toEqual({ path: tmpdir(), inMemory: false });
  });

  it.skipIf(cwdIsTmpfs)("falls back when the candidate is a folder on a disk, however much room it has", async () => {
    expect(await scratchRoot(process.cwd(), 0)).toEqual({ path: tmpdir(), inMemory: false });
  });

  it.skipIf(!shmIsTmpfs)("takes /dev/shm when it has room, not when it has too little", async () => {
    expect(await scratchRoot("/dev/shm", 1)).toEqual({ path: "/dev/shm", inMemory: true });
    expect(await scratchRoot("/dev/shm", Number.MAX_SAFE_INTEGER)).toEqual({ path: tmpdir(), inMemory: false });
  });
});
