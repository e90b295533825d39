/**
 * The embedded store's unit of work through crashes: a submission (reference number, declaration,
 * draft removal, audit entry) is all or nothing.
 * - a real kill -9 at random moments of a process submitting four at a time, once with the
 *   journal folded into the snapshot files only at close, and once with checkpoints running all the
 *   time (so kills land in the middle of compactions too);
 * - a crash frozen at chosen points: the data folder is copied while some writes are stuck (the
 *   journal's append, or a checkpoint's shard files), and the copy is opened as the next start-up would.
 */
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { nodeFs } from "../../src/store/fs.js";
import { openStore, type StoreFs, type StoreHandle } from "../../src/store/index.js";
import type { Store } from "../../src/store/types.js";
import { allAudit } from "../support/store-helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "store-tx-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Every declaration has no draft left and exactly one audit entry; every draft left has no declaration. */
async function expectAllOrNothing(store: Store): Promise<{ declarations: number; drafts: number }> {
  const declarations = (await store.declarations.find({}, { limit: 1000 })).items;
  const audit = await allAudit(store);
  for (const d of declarations) {
    expect(await store.drafts.get(d.fromDraft!), `${d.ref}: its draft is still there`).toBeUndefined();
    expect(audit.filter((a) => a.target === d.ref), `${d.ref}: audit entries`).toHaveLength(1);
  }
  const drafts = (await store.drafts.find({}, { limit: 1000 })).items;
  for (const dr of drafts) expect(await store.declarations.count({ fromDraft: dr.id }), `draft ${dr.id} was also submitted`).toBe(0);
  expect(audit.every((a) => declarations.some((d) => d.ref === a.target)), "an audit entry without its declaration").toBe(true);
  expect(new Set(declarations.map((d) => d.ref)).size).toBe(declarations.length);
  return { declarations: declarations.length, drafts: drafts.length };
}

describe("unit of work through crashes (embedded store)", () => {
  it.each([
    ["the journal folded at close only", undefined],
    ["checkpoints folding the journal all the time", 4096],
  ])("kill -9 at random moments, %s: every acknowledged submission is whole, nothing is half done", { timeout: 120_000 }, async (_what, checkpointBytes) => {
    const dir = tmp();
    const acked = new Map<string, string>();
    const KILLS = 6;
    for (let k = 0; k < KILLS; k++) {
      const env = { ...process.env, ...(checkpointBytes ? { STORE_CHECKPOINT_BYTES: String(checkpointBytes) } : {}) };
      const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "test/support/tx-writer.ts"), dir, String(k + 1)], { cwd: ROOT, env, stdio: ["ignore", "pipe", "inherit"] });
      let buf = "";
      let ready!: () => void;
      const isReady = new Promise<void>((r) => (ready = r));
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        buf += chunk;
        const lines = buf.split("\n");
        buf = lines.pop()!;
        for (const line of lines) {
          if (line === "ready") ready();
          const m = /^ack (\S+) (\S+)$/.exec(line);
          if (m) acked.set(m[1]!, m[2]!);
        }
      });
      const exited = new Promise<void>((r) => child.on("exit", () => r()));
      await isReady;
      // Let it write a while, then kill it at a moment that varies run by run.
      const before = acked.size;
      while (acked.size < before + 10) await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, Math.random() * 150));
      child.kill("SIGKILL");
      await exited;
    }
    const store = await openStore(dir);
    try {
      const { declarations } = await expectAllOrNothing(store);
      for (const [ref, draftId] of acked) expect(await store.declarations.get(ref), `acknowledged ${ref}`).toMatchObject({ fromDraft: draftId });
      expect(declarations).toBeGreaterThanOrEqual(acked.size);
      expect(existsSync(join(dir, "txn"))).toBe(false); // the journal replaced the commit records
      console.log(`[store transactions] ${KILLS} kills (${_what}); ${acked.size} acknowledged submissions, ${declarations} stored, all whole`);
    } finally {
      await store.close();
    }
  });

  /**
   * A file system whose writes to files matching `stuck` never finish (the process "dies" mid-way);
   * `reached` resolves when the first stuck write is attempted (nothing after it can happen).
   */
  function freezing(stuck: (path: string) => boolean): Partial<StoreFs> & { reached: Promise<void> } {
    let hit!: () => void;
    const reached = new Promise<void>((r) => (hit = r));
    const hang = () => {
      hit();
      return new Promise<void>(() => {});
    };
    return {
      reached,
      async writeFile(path, data, sync) {
        if (stuck(path)) return hang();
        return nodeFs.writeFile(path, data, sync);
      },
      async appendFile(path, data, sync) {
        if (stuck(path)) return hang();
        return nodeFs.appendFile(path, data, sync);
      },
    };
  }

  async function crashCopy(dir: string): Promise<StoreHandle> {
    const copy = tmp();
    cpSync(dir, copy, { recursive: true });
    rmSync(join(copy, ".lock"), { force: true });
    return openStore(copy);
  }

  async function submitOne(store: StoreHandle): Promise<void> {
    const now = "2024-05-01T00:00:00.000Z";
    await store.transaction(async (tx) => {
      const ref = await tx.declarations.nextRef("guopei", 2024);
      await tx.declarations.put({ ref, ownerId: 1, plan: "guopei", subProjectId: "sp", rowId: "r", answers: {}, budget: { perYear: 1, cycle: 1 }, status: "submitted", submittedAt: now, updatedAt: now, history: [], fromDraft: "dr1" });
      await tx.drafts.delete("dr1");
      await tx.audit.append({ at: now, actor: 1, action: "declaration.submitted", target: ref });
    });
  }

  /** Whether the draft shard on disk still holds dr1 (a checkpoint that got past the drafts shard removed it). */
  const draftOnDisk = (dir: string) => readdirSync(join(dir, "drafts")).some((f) => f.endsWith(".json") && readFileSync(join(dir, "drafts", f), "utf8").includes('"dr1"'));

  it.each([
    ["before its journal line is on disk", (p: string) => p.includes("/journal/"), 0, true],
    ["after its journal line, before any snapshot file", (p: string) => /\/(declarations|drafts|audit)\//.test(p), 1, true],
    ["in a checkpoint: after the draft's removal, before the declaration's shard", (p: string) => /\/(declarations|audit)\//.test(p), 1, false],
    ["in a checkpoint: after every shard, before the audit chunk", (p: string) => p.includes("/audit/"), 1, false],
  ])("a crash %s leaves all or nothing", async (_what, stuck, expected, draftStillOnDisk) => {
    const dir = tmp();
    const setup = await openStore(dir);
    await setup.drafts.put({ id: "dr1", ownerId: 1, stepId: "summary", answers: {}, createdAt: "2024-05-01T00:00:00.000Z", updatedAt: "2024-05-01T00:00:00.000Z" });
    await setup.close();
    const fs = freezing(stuck);
    const store = await openStore(dir, { fs });
    const tx = submitOne(store);
    void tx.then(() => store.flush()).catch(() => {}); // a checkpoint starts as soon as it is acknowledged
    await fs.reached; // every write before the stuck one is done; nothing after it will happen
    expect(draftOnDisk(dir), "where the crash is: the drafts shard on disk").toBe(draftStillOnDisk);
    const after = await crashCopy(dir);
    try {
      const { declarations, drafts } = await expectAllOrNothing(after);
      expect(declarations).toBe(expected);
      expect(drafts).toBe(1 - expected);
      if (expected) expect(await after.audit.count({ action: "declaration.submitted" })).toBe(1);
    } finally {
      await after.close();
    }
  });

  it("replay never undoes a newer write to a record the interrupted transaction touched", async () => {
    const dir = tmp();
    // A checkpoint writes the declaration's shard and is stuck at the audit chunk, so the journal
    // with the transaction stays; meanwhile the declaration is changed again by a plain put.
    const fs = freezing((p) => p.includes("/audit/"));
    const store = await openStore(dir, { fs });
    await store.drafts.put({ id: "dr1", ownerId: 1, stepId: "summary", answers: {}, createdAt: "2024-05-01T00:00:00.000Z", updatedAt: "2024-05-01T00:00:00.000Z" });
    await submitOne(store);
    void store.flush().catch(() => {});
    await fs.reached;
    const d = (await store.declarations.get("GP2024-0001"))!;
    await store.declarations.put({ ...d, status: "approved" });
    const after = await crashCopy(dir);
    try {
      expect((await after.declarations.get("GP2024-0001"))?.status).toBe("approved");
      expect(await after.drafts.get("dr1")).toBeUndefined();
      expect(await after.audit.count()).toBe(1); // replayed
    } finally {
      await after.close();
    }
  });
});
