import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nodeFs, type StoreFs } from "../../src/store/fs.js";
import { openStore, type StoreHandle } from "../../src/store/index.js";
import { deliveryDirName } from "../../src/store/ledger.js";
import { reachedAmong } from "../support/store-helpers.js";

const dirs: string[] = [];
const open: StoreHandle[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "store-ledger-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function countingFs() {
  const renames: string[] = [];
  const fs: Partial<StoreFs> = {
    async rename(from, to) {
      renames.push(to);
      await nodeFs.rename(from, to);
    },
  };
  return { renames, fs };
}

/** What is on disk for a delivery, read without the store. */
function durable(dir: string, delivery: string): number[] {
  const sub = join(dir, "ledger", deliveryDirName(delivery));
  return readdirSync(sub)
    .sort()
    .flatMap((f) => (JSON.parse(readFileSync(join(sub, f), "utf8")) as { entries: number[] }).entries);
}

describe("delivery ledger", () => {
  it("has() is true at once; many record() calls are written in a few batches; flush() makes all durable", async () => {
    const dir = tmp();
    const { renames, fs } = countingFs();
    const s = await openStore(dir, { fs });
    open.push(s);
    const d = "deadline:dl1:3";
    const promises: Promise<void>[] = [];
    for (let i = 1; i <= 1000; i++) {
      promises.push(s.ledger.record(d, i));
      expect((await s.ledger.has(d, i))).toBe(true);
      if (i % 100 === 0) await new Promise((r) => setImmediate(r)); // sends are spread over time
    }
    await s.ledger.flush();
    await Promise.all(promises);
    expect(renames.length).toBeLessThanOrEqual(30); // ~2 per burst of 100, far fewer than 1000 records
    expect(renames.length).toBeGreaterThanOrEqual(1);
    expect(durable(dir, d)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect((await s.ledger.countReached(d))).toBe(1000);
  });

  it("continuous group commit: records made while a write is in flight go into the next write", async () => {
    const dir = tmp();
    let release!: () => void;
    const hold: { gate?: Promise<void> } = {};
    const writes: string[] = [];
    const fs: Partial<StoreFs> = {
      async writeFile(path, text, sync) {
        writes.push(Buffer.from(text).toString("utf8"));
        if (hold.gate) await hold.gate;
        await nodeFs.writeFile(path, text, sync);
      },
    };
    const s = await openStore(dir, { fs });
    open.push(s);
    writes.length = 0; // meta.json written at open
    hold.gate = new Promise((r) => (release = r));
    const first = s.ledger.record("broadcast:b", 1);
    await new Promise((r) => setTimeout(r, 10)); // the first write is now in flight, held at the gate
    const rest = [2, 3, 4, 5].map((c) => s.ledger.record("broadcast:b", c));
    await new Promise((r) => setTimeout(r, 10));
    release();
    expect(writes).toHaveLength(1);
    await Promise.all([first, ...rest]);
    expect(writes.map((w) => (JSON.parse(w) as { entries: number[] }).entries)).toEqual([[1], [1, 2, 3, 4, 5]]);
  });

  it("recording a chat again does not duplicate it and resolves once it is durable", async () => {
    const dir = tmp();
    const s = await openStore(dir);
    open.push(s);
    await Promise.all([s.ledger.record("broadcast:b", 5), s.ledger.record("broadcast:b", 5)]);
    await s.ledger.record("broadcast:b", 5);
    expect(durable(dir, "broadcast:b")).toEqual([5]);
  });

  it("survives reopen, keeps deliveries apart, and unknown deliveries reach nobody", async () => {
    const dir = tmp();
    let s = await openStore(dir);
    await Promise.all([
      s.ledger.record("deadline:x:7", 1),
      s.ledger.record("deadline:x:7", 2),
      s.ledger.record("deadline:x:3", 1),
      s.ledger.record("broadcast:路径/奇怪 名字", 9),
    ]);
    await s.close();
    s = await openStore(dir);
    open.push(s);
    expect(await reachedAmong(s, "deadline:x:7", [1, 2, 3, 9])).toEqual([1, 2]);
    expect(await reachedAmong(s, "deadline:x:3", [1, 2, 3, 9])).toEqual([1]);
    expect((await s.ledger.has("broadcast:路径/奇怪 名字", 9))).toBe(true);
    expect((await s.ledger.has("deadline:x:3", 2))).toBe(false);
    expect((await s.ledger.countReached("nope"))).toBe(0);
  });

  it("a big delivery is split into chunks, so a write rewrites only the tail", async () => {
    const dir = tmp();
    const { renames, fs } = countingFs();
    const s = await openStore(dir, { fs });
    open.push(s);
    const d = "broadcast:big";
    await Promise.all(Array.from({ length: 12_000 }, (_, i) => s.ledger.record(d, 100_000 + i)));
    renames.length = 0;
    await s.ledger.record(d, 1);
    const sub = join(dir, "ledger", deliveryDirName(d));
    expect(readdirSync(sub).sort()).toEqual(["000001.json", "000002.json", "000003.json"]);
    expect(renames).toEqual([join(sub, "000003.json")]);
    expect(durable(dir, d)).toHaveLength(12_001);
  });

  it("rejects a non-integer chat id", async () => {
    const s = await openStore(tmp());
    open.push(s);
    await expect(s.ledger.record("d", 1.5)).rejects.toThrow(TypeError);
    expect((await s.ledger.has("d", 1.5))).toBe(false);
  });
});
