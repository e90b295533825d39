import { appendFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nodeFs, type StoreFs } from "../../src/store/fs.js";
import { shardFileName } from "../../src/store/sharded-collection.js";
import { shardOf } from "../../src/store/hash.js";
import { openStore, StoreWriteError, type StoreHandle } from "../../src/store/index.js";
import { V1_LAYOUT } from "../../src/store/migrations.js";
import type { UserRecord } from "../../src/store/types.js";
import { allAudit, shardRecords } from "../support/store-helpers.js";

const dirs: string[] = [];
const open: StoreHandle[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "store-durable-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const USER_SHARDS = V1_LAYOUT.users.shards;
const user = (id: number, name = `用户${id}`): UserRecord => ({ id, chatId: id, name, roles: [], subscribed: true, reachable: true, createdAt: "2024-05-01T00:00:00.000Z" });

/** The real fs, counting renames (= snapshot file writes) and journal appends, and able to fail writes on demand. */
function faultyFs() {
  const state = {
    renames: [] as string[],
    /** journal appends: bytes, and whether each was synced */
    appends: [] as { bytes: number; sync: boolean }[],
    /** errno code to fail writeFile and appendFile with, or undefined */
    failWrite: undefined as string | undefined,
    /** write this much of the data before failing (a half-written temp file or journal line) */
    partial: false,
  };
  const fail = (path: string) => Object.assign(new Error(`${state.failWrite}: simulated, write '${path}'`), { code: state.failWrite });
  const fs: Partial<StoreFs> = {
    async writeFile(path, text, sync) {
      if (state.failWrite) {
        if (state.partial) writeFileSync(path, text.slice(0, Math.floor(text.length / 2)));
        throw fail(path);
      }
      await nodeFs.writeFile(path, text, sync);
    },
    async appendFile(path, data, sync) {
      if (state.failWrite) {
        if (state.partial) appendFileSync(path, data.subarray(0, Math.floor(data.length / 2)));
        throw fail(path);
      }
      state.appends.push({ bytes: data.length, sync });
      await nodeFs.appendFile(path, data, sync);
    },
    async rename(from, to) {
      state.renames.push(to);
      await nodeFs.rename(from, to);
    },
  };
  return { state, fs };
}

function shardPath(dir: string, collection: string, key: string, shards: number): string {
  return join(dir, collection, shardFileName(shardOf(key, shards)));
}

/** The user as its shard file (the snapshot) holds it now. */
function onDisk(dir: string, id: number): UserRecord | undefined {
  const file = shardPath(dir, "users", String(id), USER_SHARDS);
  if (!existsSync(file)) return undefined;
  return shardRecords<UserRecord>(readFileSync(file, "utf8"))[String(id)];
}

/** What a start-up after a crash now would see: a copy of the folder, opened. */
async function afterCrash(dir: string): Promise<StoreHandle> {
  const copy = tmp();
  cpSync(dir, copy, { recursive: true });
  rmSync(join(copy, ".lock"), { force: true });
  const s = await openStore(copy);
  open.push(s);
  return s;
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" });
}

describe("store durability", () => {
  it("a put resolves only once its journal line is on disk (fdatasync), and a restart finds it", async () => {
    const dir = tmp();
    const { state, fs } = faultyFs();
    const s = await openStore(dir, { fs });
    open.push(s);
    const p = s.users.put(user(42));
    expect(state.appends).toEqual([]); // nothing written yet when put() returns
    await p;
    expect(state.appends.length).toBe(1);
    expect(state.appends[0]!.sync).toBe(true);
    expect(onDisk(dir, 42)).toBeUndefined(); // the snapshot is written later, off the write path
    expect(await (await afterCrash(dir)).users.get(42)).toEqual(user(42));
  });

  it("group commit: 100 concurrent puts are all durable with a few journal writes", async () => {
    const dir = tmp();
    const { state, fs } = faultyFs();
    const s = await openStore(dir, { fs });
    open.push(s);
    state.renames.length = 0; // opening wrote meta.json
    const first = s.users.put(user(1));
    await new Promise((r) => setImmediate(r));
    await Promise.all([first, ...Array.from({ length: 99 }, (_, i) => s.users.put(user(i + 2)))]);
    expect(state.appends.length).toBeGreaterThanOrEqual(1);
    expect(state.appends.length).toBeLessThanOrEqual(3);
    expect(state.renames).toEqual([]); // no shard file was rewritten for them
    const after = await afterCrash(dir);
    for (let id = 1; id <= 100; id++) expect(await after.users.get(id)).toEqual(user(id));
  });

  it("a write's cost does not grow with the data: one more put appends its own line and rewrites no file", async () => {
    const dir = tmp();
    const { state, fs } = faultyFs();
    const s = await openStore(dir, { fs });
    open.push(s);
    await Promise.all(Array.from({ length: 5000 }, (_, i) => s.users.put(user(i + 1, `用户${i + 1}号`.repeat(20)))));
    await s.flush(); // every shard is now a big snapshot file
    state.appends.length = 0;
    state.renames.length = 0;
    await s.users.put(user(3, "改了名字"));
    expect(state.renames).toEqual([]);
    expect(state.appends.map((a) => a.bytes)).toHaveLength(1);
    expect(state.appends[0]!.bytes).toBeLessThan(400);
    expect((await (await afterCrash(dir)).users.get(3))?.name).toBe("改了名字");
  });

  it("a checkpoint writes each changed shard once, then removes the journal it folded", async () => {
    const dir = tmp();
    const { state, fs } = faultyFs();
    const s = await openStore(dir, { fs });
    open.push(s);
    await Promise.all(Array.from({ length: 1000 }, (_, i) => s.users.put(user(i + 1))));
    expect(readdirSync(join(dir, "journal"))).toHaveLength(1);
    state.renames.length = 0;
    await s.flush();
    expect(state.renames.length).toBe(USER_SHARDS);
    expect(readdirSync(join(dir, "journal"))).toEqual([]);
    for (const id of [1, 500, 1000]) expect(onDisk(dir, id)).toEqual(user(id));
    expect((await s.users.count()).total).toBe(1000);
  });

  it("a background checkpoint starts once the journal has grown by checkpointBytes, and writes go on meanwhile", async () => {
    const dir = tmp();
    const s = await openStore(dir, { checkpointBytes: 20_000 });
    open.push(s);
    for (let round = 0; round < 20; round++) await Promise.all(Array.from({ length: 50 }, (_, i) => s.users.put(user(round * 50 + i + 1))));
    while (s.checkpoints === 0) await new Promise((r) => setTimeout(r, 10)); // (the test's timeout bounds it)
    expect(s.checkpoints).toBeGreaterThan(0);
    const after = await afterCrash(dir);
    expect((await after.users.count()).total).toBe(1000);
  });

  it("directory fsyncs are group-committed: many shard writes in one folder share few", async () => {
    const dir = tmp();
    let dirSyncs = 0;
    const s = await openStore(dir, {
      fs: {
        async syncDir(path) {
          dirSyncs++;
          await nodeFs.syncDir(path);
        },
      },
    });
    open.push(s);
    dirSyncs = 0;
    await Promise.all(Array.from({ length: 1000 }, (_, i) => s.users.put(user(i + 1))));
    expect(dirSyncs).toBeGreaterThanOrEqual(1);
    expect(dirSyncs).toBeLessThan(USER_SHARDS / 2);
  });

  it("a record JSON cannot hold is refused before anything changes", async () => {
    const s = await openStore(tmp());
    open.push(s);
    await expect(s.users.put({ ...user(1), name: 1n as unknown as string })).rejects.toThrow(TypeError);
    expect((await s.users.get(1))).toBeUndefined();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(s.audit.append({ at: "2024-05-01T00:00:00.000Z", actor: 1, action: "x", detail: cyclic })).rejects.toThrow(TypeError);
    expect((await allAudit(s))).toEqual([]);
    await s.users.put(user(2)); // the shard is not poisoned
    expect((await s.users.get(2))).toEqual(user(2));
  });

  it.each(["ENOSPC", "EROFS", "EACCES"])("%s: put rejects, memory kept, nothing half-written, the next write persists it", async (code) => {
    const dir = tmp();
    const { state, fs } = faultyFs();
    let s = await openStore(dir, { fs });
    open.push(s);
    await s.users.put(user(1, "before"));

    state.failWrite = code;
    state.partial = true;
    const err = await s.users.put(user(1, "after")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreWriteError);
    expect((err as StoreWriteError).code).toBe(code);
    expect((err as StoreWriteError).userMessage).toMatch(/保存失败/);
    expect((err as StoreWriteError).diskProblem).toBe(true);
    expect((await s.users.get(1))?.name).toBe("after"); // the user's input is not lost
    expect(allFiles(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]); // no partial temp file
    // What a crash now would leave: the acknowledged "before"; the half-written line is dropped.
    expect((await (await afterCrash(dir)).users.get(1))?.name).toBe("before");
    await expect(s.flush()).rejects.toBeInstanceOf(StoreWriteError); // still not on disk

    state.failWrite = undefined;
    // the next write (any record) persists the earlier change too
    await s.users.put(user(2));
    const after = await afterCrash(dir);
    expect((await after.users.get(1))?.name).toBe("after");
    expect(await after.users.get(2)).toEqual(user(2));
    await s.close();
    s = await openStore(dir);
    open.push(s);
    expect((await s.users.get(1))?.name).toBe("after");
  });

  it("after a failure, a successful write elsewhere persists the failed change; close() too", async () => {
    const dir = tmp();
    const { state, fs } = faultyFs();
    const s = await openStore(dir, { fs });
    open.push(s);
    state.failWrite = "ENOSPC";
    await expect(s.users.put(user(1))).rejects.toThrow(/ENOSPC/);
    await expect(s.audit.append({ at: "2024-05-01T00:00:00.000Z", actor: 1, action: "x" })).rejects.toThrow(/ENOSPC/);
    state.failWrite = undefined;
    await s.sessions.put({ userId: 9, flow: "f", nonce: "n", state: {}, updatedAt: "2024-05-01T00:00:00.000Z" });
    expect(await (await afterCrash(dir)).users.get(1)).toEqual(user(1));
    await s.flush();
    expect(onDisk(dir, 1)).toEqual(user(1));
    await s.close();
    const again = await openStore(dir);
    open.push(again);
    expect((await allAudit(again))).toHaveLength(1);
    expect((await again.users.get(1))).toEqual(user(1));
  });

  it("close() rejects but still releases the lock when the disk stays full", async () => {
    const dir = tmp();
    const { state, fs } = faultyFs();
    const s = await openStore(dir, { fs });
    state.failWrite = "ENOSPC";
    await s.users.put(user(1)).catch(() => {});
    await expect(s.close()).rejects.toBeInstanceOf(StoreWriteError);
    expect(existsSync(join(dir, ".lock"))).toBe(false);
  });

  it("a dropped put promise that fails does not crash the process", async () => {
    const dir = tmp();
    const { state, fs } = faultyFs();
    const s = await openStore(dir, { fs });
    open.push(s);
    state.failWrite = "ENOSPC";
    void s.users.put(user(1));
    void s.ledger.record("broadcast:x", 1);
    await new Promise((r) => setTimeout(r, 50));
    state.failWrite = undefined;
    await s.flush();
    expect(onDisk(dir, 1)).toEqual(user(1));
  });

  it("leftover temp files from a crash are removed at start-up and never replace data", async () => {
    const dir = tmp();
    let s = await openStore(dir);
    await s.users.put(user(1, "good"));
    await s.close();
    const shard = shardPath(dir, "users", "1", USER_SHARDS);
    const tmpFile = join(dir, "users", `.${shardFileName(shardOf("1", USER_SHARDS))}.12345-1.tmp`);
    writeFileSync(tmpFile, '{"records":{"1":{"id":1,"name":"half-writ');
    writeFileSync(join(dir, "meta.json.999-3.tmp"), "garbage");
    s = await openStore(dir);
    open.push(s);
    expect((await s.users.get(1))?.name).toBe("good");
    expect(existsSync(tmpFile)).toBe(false);
    expect(existsSync(join(dir, "meta.json.999-3.tmp"))).toBe(false);
    expect(shardRecords(readFileSync(shard, "utf8"))).toMatchObject({ "1": user(1, "good") });
  });
});
