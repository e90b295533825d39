import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { V1_LAYOUT } from "../../src/store/migrations.js";
import { MIGRATIONS, openStore, StoreError, type Migration, type StoreHandle } from "../../src/store/index.js";
import { shardOf } from "../../src/store/hash.js";
import { shardFileName } from "../../src/store/sharded-collection.js";
import type { AuditRecord, DeclarationRecord, UserRecord } from "../../src/store/types.js";
import { allAudit, reachedAmong, nextRef } from "../support/store-helpers.js";

const dirs: string[] = [];
const open: StoreHandle[] = [];
const children: ChildProcess[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "store-startup-"));
  dirs.push(d);
  return d;
}
async function openIn(dir: string, opts?: Parameters<typeof openStore>[1]): Promise<StoreHandle> {
  const s = await openStore(dir, opts);
  open.push(s);
  return s;
}
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T = "2024-05-01T00:00:00.000Z";
/** The version a test's own extra migration produces. */
const NEXT = MIGRATIONS.length + 1;
const user = (id: number): UserRecord => ({ id, chatId: id, name: `u${id}`, roles: [], subscribed: true, reachable: true, createdAt: T });
const declaration = (ref: string, ownerId: number): DeclarationRecord => ({
  ref,
  ownerId,
  plan: "guopei",
  subProjectId: "sp",
  rowId: "r",
  answers: { 单位: "x" },
  budget: { perYear: 1, cycle: 1 },
  status: "submitted",
  submittedAt: T,
  updatedAt: T,
  history: [],
});

/** A populated, closed data folder; returns the path of one file of each kind. */
async function populated(): Promise<{ dir: string; files: Record<string, string> }> {
  const dir = tmp();
  const s = await openStore(dir);
  await s.users.put(user(1));
  await s.declarations.put(declaration("GP2024-0001", 1));
  await s.audit.append({ at: T, actor: 1, action: "a" });
  await s.ledger.record("broadcast:b1", 1);
  await s.close();
  const find = (sub: string) => {
    const name = readdirSync(join(dir, sub), { recursive: true, encoding: "utf8" }).find((f) => f.endsWith(".json"));
    return join(dir, sub, name!);
  };
  return { dir, files: { users: find("users"), declarations: find("declarations"), audit: find("audit"), ledger: find("ledger"), meta: join(dir, "meta.json") } };
}

describe("corrupt data files stop start-up and are left untouched", () => {
  const cases: [string, string, string][] = [
    ["users", "{\"records\":{\"1\":{\"id\":1,", "invalid JSON"],
    ["declarations", "", "file is empty"],
    ["audit", '{"entries":{}}', "entries"],
    ["ledger", '{"delivery":"broadcast:b1","entries":["x"]}', "chat id"],
    ["meta", '{"schemaVersion":"one"}', "schemaVersion"],
    ["users", '{"records":{"1":{"id":2}}}', "has key"],
  ];
  it.each(cases)("%s file with %j", async (kind, content, reason) => {
    const { dir, files } = await populated();
    const file = files[kind]!;
    writeFileSync(file, content);
    const before = readFileSync(file);
    const err = (await openStore(dir).catch((e: unknown) => e)) as StoreError;
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toContain("数据文件损坏，已停止启动");
    expect(err.message).toContain(file);
    expect(err.message).toContain(reason);
    expect(err.file).toBe(file);
    expect(readFileSync(file)).toEqual(before);
    expect(existsSync(join(dir, ".lock"))).toBe(false); // released, so an operator can retry after fixing
  });

  it("a record in the wrong shard (shard count mismatch) is refused", async () => {
    const { dir } = await populated();
    const home = shardOf("1", V1_LAYOUT.users.shards);
    let stranger = 2;
    while (shardOf(String(stranger), V1_LAYOUT.users.shards) === home) stranger++;
    const file = join(dir, "users", shardFileName(home));
    writeFileSync(file, JSON.stringify({ records: { "1": user(1), [stranger]: user(stranger) } }));
    await expect(openStore(dir)).rejects.toThrow(new RegExp(`record "${stranger}" belongs in ${shardFileName(shardOf(String(stranger), V1_LAYOUT.users.shards))}`));
  });

  it("an unexpected file in a collection folder is refused", async () => {
    const { dir } = await populated();
    const extra = shardFileName(V1_LAYOUT.users.shards); // one past the last shard
    writeFileSync(join(dir, "users", extra), '{"records":{}}');
    await expect(openStore(dir)).rejects.toThrow(new RegExp(`${extra.replace(".", "\\.")}.*unexpected file`));
  });
});

describe("schema versions and migrations", () => {
  it("a new folder is created at the current version with its layout", async () => {
    const s = await openIn(tmp());
    const meta = JSON.parse(readFileSync(join(s.dataDir, "meta.json"), "utf8")) as Record<string, unknown>;
    expect(meta.schemaVersion).toBe(MIGRATIONS.length);
    expect(meta.collections).toEqual(V1_LAYOUT);
  });

  it("migrates a v0 single-file db.json into the sharded layout", async () => {
    const dir = tmp();
    const audit: AuditRecord[] = Array.from({ length: 1500 }, (_, i) => ({ at: T, actor: 1, action: "old", detail: { i } }));
    const v0 = {
      users: [user(1), user(2)],
      sessions: [{ userId: 1, flow: "apply", nonce: "n", state: { s: 1 }, updatedAt: T }],
      drafts: [{ id: "d1", ownerId: 2, stepId: "s", answers: {}, createdAt: T, updatedAt: T }],
      declarations: [declaration("GP2024-0007", 1), declaration("QP2024-0003", 2)],
      audit,
      deadlines: [{ id: "dl", date: "2024-06-30", title: "t", scope: { kind: "all" }, createdBy: 1, createdAt: T }],
      broadcasts: [{ id: "b", text: "hi", createdBy: 1, createdAt: T }],
      ledger: { "broadcast:b": [1, 2, 2] },
    };
    writeFileSync(join(dir, "db.json"), JSON.stringify(v0));
    let s = await openIn(dir);
    const check = async (st: StoreHandle) => {
      expect((await st.users.count()).total).toBe(2);
      expect((await st.sessions.get(1))?.state).toEqual({ s: 1 });
      expect((await st.drafts.byOwner(2)).map((d) => d.id)).toEqual(["d1"]);
      expect((await st.declarations.byOwner(1)).map((d) => d.ref)).toEqual(["GP2024-0007"]);
      expect((await allAudit(st))).toEqual(audit);
      expect((await st.deadlines.get("dl"))?.scope).toEqual({ kind: "all" });
      expect((await st.broadcasts.get("b"))?.text).toBe("hi");
      expect(await reachedAmong(st, "broadcast:b", [1, 2, 3])).toEqual([1, 2]);
    };
    await check(s);
    expect((await nextRef(s, "guopei", 2024))).toBe("GP2024-0008");
    expect(existsSync(join(dir, "db.json"))).toBe(false);
    expect(readFileSync(join(dir, "db.json.v0-imported"), "utf8")).toBe(JSON.stringify(v0));
    expect(JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")).schemaVersion).toBe(MIGRATIONS.length);
    expect(readdirSync(join(dir, "audit")).sort()).toEqual(["000001.json", "000002.json"]);
    await s.close();
    s = await openIn(dir);
    await check(s);
  });

  it("a corrupt v0 db.json stops start-up and is not touched", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "db.json"), '{"users":[{"id":1}],"drafts":{}}');
    await expect(openStore(dir)).rejects.toThrow(/db\.json.*"drafts" must be an array/);
    expect(readFileSync(join(dir, "db.json"), "utf8")).toBe('{"users":[{"id":1}],"drafts":{}}');
    expect(existsSync(join(dir, "meta.json"))).toBe(false);
  });

  it("runs a later migration once, and then older code refuses the newer folder", async () => {
    const dir = tmp();
    let runs = 0;
    const v2: Migration = {
      to: NEXT,
      description: "fake: mark users",
      async up(ctx) {
        runs++;
        ctx.meta.v2Flag = true;
      },
    };
    let s = await openIn(dir);
    await s.users.put(user(1));
    await s.close();
    s = await openIn(dir, { migrations: [...MIGRATIONS, v2] });
    expect(runs).toBe(1);
    expect((await s.users.get(1))).toEqual(user(1));
    await s.close();
    s = await openIn(dir, { migrations: [...MIGRATIONS, v2] });
    expect(runs).toBe(1);
    await s.close();
    const metaBefore = readFileSync(join(dir, "meta.json"));
    expect(JSON.parse(metaBefore.toString())).toMatchObject({ schemaVersion: NEXT, v2Flag: true });
    const err = (await openStore(dir).catch((e: unknown) => e)) as StoreError;
    expect(err).toBeInstanceOf(StoreError);
    expect(err.code).toBe("ENEWER");
    expect(err.message).toMatch(new RegExp(`schemaVersion ${NEXT}.*最高支持 ${MIGRATIONS.length}`));
    expect(readFileSync(join(dir, "meta.json"))).toEqual(metaBefore);
  });

  it("refuses a folder from a much newer version without touching it", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "meta.json"), '{"schemaVersion":99}');
    await expect(openStore(dir)).rejects.toThrow(/newer version.*99/);
    expect(readFileSync(join(dir, "meta.json"), "utf8")).toBe('{"schemaVersion":99}');
  });

  it("a failing migration leaves meta.json at the previous version; the next start retries it", async () => {
    const dir = tmp();
    await (await openStore(dir)).close();
    const broken: Migration = {
      to: NEXT,
      description: "fails",
      async up() {
        throw new Error("boom");
      },
    };
    await expect(openStore(dir, { migrations: [...MIGRATIONS, broken] })).rejects.toThrow(/数据迁移失败.*boom/);
    expect(JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")).schemaVersion).toBe(MIGRATIONS.length);
    const s = await openIn(dir, { migrations: [...MIGRATIONS, { ...broken, up: async () => {} }] });
    expect(s).toBeTruthy();
    expect(JSON.parse(readFileSync(join(dir, "meta.json"), "utf8")).schemaVersion).toBe(NEXT);
  });

  it("data without meta.json is refused rather than guessed", async () => {
    const { dir } = await populated();
    rmSync(join(dir, "meta.json"));
    await expect(openStore(dir)).rejects.toThrow(/meta\.json is missing/);
  });
});

describe("one process per data folder", () => {
  const root = resolve(import.meta.dirname, "../..");

  function spawnHolder(dir: string): Promise<ChildProcess> {
    const script = join(dir, "..", `holder-${Date.now()}.mts`);
    dirs.push(script);
    writeFileSync(
      script,
      `import { openStore } from ${JSON.stringify(join(root, "src/store/index.ts"))};
       const s = await openStore(${JSON.stringify(dir)});
       await s.users.put({ id: 77, chatId: 77, name: "child", roles: [], subscribed: true, reachable: true, createdAt: "${T}" });
       process.stdout.write("ready\\n");
       setInterval(() => {}, 1000);`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    return new Promise((res, rej) => {
      child.stdout!.on("data", (b: Buffer) => b.toString().includes("ready") && res(child));
      child.on("exit", (code) => rej(new Error(`holder exited with ${code}`)));
    });
  }

  it("a live process's lock is respected; after kill -9 the lock is taken over and its data is there", async () => {
    const dir = tmp();
    mkdirSync(dir, { recursive: true });
    const child = await spawnHolder(dir);
    const err = (await openStore(dir).catch((e: unknown) => e)) as StoreError;
    expect(err).toBeInstanceOf(StoreError);
    expect(err.code).toBe("ELOCKED");
    expect(err.message).toContain(`pid ${child.pid}`);
    const exited = new Promise((r) => child.on("exit", r));
    child.kill("SIGKILL");
    await exited;
    const s = await openIn(dir);
    expect((await s.users.get(77))?.name).toBe("child");
    expect(JSON.parse(readFileSync(join(dir, ".lock"), "utf8")).pid).toBe(process.pid);
  });

  it("takes over a lock file left by a dead pid", async () => {
    const dir = tmp();
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((r) => dead.on("exit", r));
    writeFileSync(join(dir, ".lock"), JSON.stringify({ pid: dead.pid }));
    const s = await openIn(dir);
    expect(JSON.parse(readFileSync(join(dir, ".lock"), "utf8")).pid).toBe(process.pid);
    await s.close();
    expect(existsSync(join(dir, ".lock"))).toBe(false);
  });

  it("takes over a lock with our own pid from an earlier life (container restart) and a garbage lock", async () => {
    const dir = tmp();
    writeFileSync(join(dir, ".lock"), String(process.pid));
    await (await openStore(dir)).close();
    writeFileSync(join(dir, ".lock"), "not a lock");
    const past = new Date(Date.now() - 60_000);
    const { utimesSync } = await import("node:fs");
    utimesSync(join(dir, ".lock"), past, past);
    await (await openStore(dir)).close();
  });

  it("refuses a second open of the same folder in this process", async () => {
    const dir = tmp();
    await openIn(dir);
    await expect(openStore(dir)).rejects.toThrow(/already open in this process/);
  });
});
