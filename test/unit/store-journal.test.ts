/**
 * The embedded store's journal (src/store/commit-log.ts) at start-up: a torn last line (a crash in
 * the middle of a write) is dropped and everything before it is kept; damage before a good line
 * stops start-up naming the file; a crash in the middle of a checkpoint loses nothing and undoes
 * nothing newer. Crashes are simulated by copying the data folder while the store is open.
 */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { journalLine } from "../../src/store/commit-log.js";
import { nodeFs } from "../../src/store/fs.js";
import { openStore, StoreError, type StoreHandle } from "../../src/store/index.js";
import type { UserRecord } from "../../src/store/types.js";
import { allAudit } from "../support/store-helpers.js";

const dirs: string[] = [];
const open: StoreHandle[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "store-journal-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T = "2024-05-01T00:00:00.000Z";
const user = (id: number, name = `u${id}`): UserRecord => ({ id, chatId: id, name, roles: [], subscribed: true, reachable: true, createdAt: T });

async function openIn(dir: string, opts?: Parameters<typeof openStore>[1]): Promise<StoreHandle> {
  const s = await openStore(dir, opts);
  open.push(s);
  return s;
}

/** The folder as a crash now would leave it (the lock of the live process removed). */
function crashCopy(dir: string): string {
  const copy = tmp();
  cpSync(dir, copy, { recursive: true });
  rmSync(join(copy, ".lock"), { force: true });
  return copy;
}

const segments = (dir: string) => readdirSync(join(dir, "journal")).filter((n) => n.endsWith(".log")).sort();
const lastSegment = (dir: string) => join(dir, "journal", segments(dir).at(-1)!);

describe("a torn journal tail", () => {
  it("a half-written last line is dropped, everything before it is kept, and the store opens and writes on", async () => {
    const live = await openIn(tmp());
    for (let id = 1; id <= 3; id++) await live.users.put(user(id));
    await live.users.put(user(4, "the torn one"));
    const dir = crashCopy(live.dataDir);
    const seg = lastSegment(dir);
    const text = readFileSync(seg, "utf8");
    const lastLine = text.slice(text.lastIndexOf("\n", text.length - 2) + 1);
    truncateSync(seg, Buffer.byteLength(text) - Math.floor(Buffer.byteLength(lastLine) / 2)); // cut the last line in half

    const s = await openIn(dir);
    expect(s.openStats.droppedLines).toBe(1);
    for (let id = 1; id <= 3; id++) expect(await s.users.get(id)).toEqual(user(id));
    expect(await s.users.get(4)).toBeUndefined();
    await s.users.put(user(5));
    // The torn line is now the last line of an older segment: a second crash and start-up still drop only it.
    const again = await openIn(crashCopy(dir));
    expect(segments(again.dataDir).length).toBe(2);
    expect((await again.users.count()).total).toBe(4);
    expect(await again.users.get(5)).toEqual(user(5));
  });

  it("garbage after the last line (a power cut mid-write) is dropped too", async () => {
    const live = await openIn(tmp());
    await live.users.put(user(1));
    const dir = crashCopy(live.dataDir);
    appendFileSync(lastSegment(dir), Buffer.alloc(300)); // zeros, then nothing
    const s = await openIn(dir);
    expect(await s.users.get(1)).toEqual(user(1));
  });

  it("a line whose checksum does not match its content counts as torn when it is the last", async () => {
    const live = await openIn(tmp());
    await live.users.put(user(1));
    await live.users.put(user(2, "AAAA"));
    const dir = crashCopy(live.dataDir);
    const seg = lastSegment(dir);
    writeFileSync(seg, readFileSync(seg, "utf8").replace("AAAA", "BBBB"));
    const s = await openIn(dir);
    expect(await s.users.get(1)).toEqual(user(1));
    expect(await s.users.get(2)).toBeUndefined();
  });

  it("a damaged line with good lines after it stops start-up, names the file, and changes nothing", async () => {
    const live = await openIn(tmp());
    await live.users.put(user(1, "AAAA"));
    await live.users.put(user(2));
    const dir = crashCopy(live.dataDir);
    const seg = lastSegment(dir);
    writeFileSync(seg, readFileSync(seg, "utf8").replace("AAAA", "BBBB"));
    const before = readFileSync(seg);
    const err = (await openStore(dir).catch((e: unknown) => e)) as StoreError;
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toContain("数据文件损坏，已停止启动");
    expect(err.file).toBe(seg);
    expect(err.message).toContain("line 1 is damaged");
    expect(readFileSync(seg)).toEqual(before);
  });

  it("a well-formed line with a change the store cannot apply is damage, not a torn tail", async () => {
    const dir = tmp();
    await (await openStore(dir)).close();
    writeFileSync(join(dir, "journal", "000001.log"), journalLine(`{"n":1,"o":[{"c":"nonsense","op":"put","record":{}}]}`));
    await expect(openStore(dir)).rejects.toThrow(/000001\.log.*unknown collection/);
  });

  it("a line written again after a failed write (same lsn, next segment) is applied once", async () => {
    const dir = tmp();
    let fail = false;
    const s = await openIn(dir, {
      fs: {
        async appendFile(path, data, sync) {
          if (fail) {
            appendFileSync(path, data); // the whole line reached the file, then the sync failed
            throw Object.assign(new Error("EIO: simulated"), { code: "EIO" });
          }
          return nodeFs.appendFile(path, data, sync);
        },
      },
    });
    await s.users.put(user(1));
    fail = true;
    await expect(s.audit.append({ at: T, actor: 1, action: "once" })).rejects.toThrow(/EIO/);
    fail = false;
    await s.users.put(user(2));
    const after = await openIn(crashCopy(dir));
    expect(segments(after.dataDir).length).toBe(2);
    expect((await allAudit(after)).map((a) => a.action)).toEqual(["once"]);
    expect((await after.users.count()).total).toBe(2);
  });
});

describe("a crash during a checkpoint", () => {
  it.each([
    ["writing a sessions shard (users shards written, audit not)", "write"],
    ["removing the folded segment (every file written)", "unlink"],
  ])("stuck %s: loses nothing, doubles no audit entry, and undoes no newer write", async (_where, at) => {
    const dir = tmp();
    let stuck = "";
    let reached!: () => void;
    const stuckReached = new Promise<void>((r) => (reached = r));
    // Not closed afterwards: its checkpoint never finishes (the process "died" in it).
    const s = await openStore(dir, {
      fs: {
        async writeFile(path, data, sync) {
          if (at === "write" && stuck && path.includes(stuck)) {
            reached();
            return new Promise<void>(() => {});
          }
          return nodeFs.writeFile(path, data, sync);
        },
        async unlink(path) {
          if (at === "unlink" && stuck && path.includes("/journal/")) {
            reached();
            return new Promise<void>(() => {});
          }
          return nodeFs.unlink(path);
        },
      },
    });
    for (let id = 1; id <= 300; id++) await s.users.put(user(id, "first"));
    for (let i = 0; i < 5; i++) await s.audit.append({ at: T, actor: 1, action: `a${i}` });
    await s.sessions.put({ userId: 1, flow: "f", nonce: "n", state: { v: 1 }, updatedAt: T });
    stuck = "/sessions/";
    void s.flush().catch(() => {});
    await stuckReached; // the checkpoint got as far as it ever will
    expect(readdirSync(join(dir, "users")).filter((n) => n.endsWith(".json")).length).toBeGreaterThan(0);
    expect(readdirSync(join(dir, "audit")).length > 0).toBe(at === "unlink");
    expect(segments(dir)).toContain("000001.log"); // the folded segment is still there
    // Newer writes after the checkpoint began: they are in the next segment only.
    await s.users.put(user(7, "second"));
    await s.audit.append({ at: T, actor: 1, action: "a5" });
    const after = await openIn(crashCopy(dir));
    expect((await after.users.count()).total).toBe(300);
    expect((await after.users.get(7))?.name).toBe("second");
    expect((await after.users.get(8))?.name).toBe("first");
    expect((await after.sessions.get(1))?.state).toEqual({ v: 1 });
    expect((await allAudit(after)).map((a) => a.action)).toEqual(["a0", "a1", "a2", "a3", "a4", "a5"]);
    // And once that start-up has folded everything, the next one still agrees.
    await after.close();
    open.splice(open.indexOf(after), 1);
    const third = await openIn(after.dataDir);
    expect(third.openStats.replayedLines).toBe(0);
    expect((await third.users.get(7))?.name).toBe("second");
    expect((await allAudit(third)).length).toBe(6);
  });
});
