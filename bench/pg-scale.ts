/**
 * The PostgreSQL store beside the embedded one (store-scale.ts): the season-peak data set (50,000
 * users, 20,000 declarations, 5,000 drafts, 20,000 open conversations) at 1×, 2×, 5× and 10×, on a
 * local server from the machine's binaries with durability ON (fsync, synchronous_commit). For each:
 * the database size, then in a fresh process the open time (connect + migration check), its RSS,
 * the latency of the same bot-like write mix at a steady 300 updates/s (a submission is a real
 * transaction: reference number, declaration, draft removal, audit entry), the desk's first page
 * with its total, full speed with 64 updates in flight, and full speed from two processes at once
 * (two instances on one database, 32 in flight each).
 *
 *   npx tsx bench/pg-scale.ts [--scales 1,2,5,10] [--seconds 10]
 */
import { spawn } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startPostgres } from "../scripts/postgres-server.js";
import { TABLES, bulkInsert } from "../src/store/pg/bulk.js";
import { migrate } from "../src/store/pg/migrate.js";
import { openPgStore } from "../src/store/pg/index.js";
import { makeDeclaration, makeDraft, makeSession, makeUser, rng, userIdOf } from "./store-seed.js";
import { settleDatabase } from "./pg-copy.js";
import { cliFlags, latency, load1, procMemory, runIfMain, type Latency } from "./stats.js";

export interface PgScalePoint {
  scale: number;
  counts: { users: number; declarations: number; drafts: number; sessions: number };
  seedS: number;
  dbMB: number;
  openMs: number;
  rssAfterOpenMB: number;
  peakRssMB: number;
  /** All postgres processes' RSS after the write test (shared buffers counted once per process touching them). */
  serverRssMB: number;
  writeLatencyMs: Latency;
  coldWriteLatencyMs: Latency;
  /** declarations.find({status: submitted}, 50 per page, newest first) with its total. */
  deskPageMs: Latency;
  maxUpdatesPerSecond: number;
  /** Both processes together, 32 in flight each. */
  twoInstanceUpdatesPerSecond: number;
  load1: number;
}

export interface PgScaleResult {
  points: PgScalePoint[];
}

const RATE = 300;

function args() {
  const val = cliFlags().text;
  return {
    scales: (val("scales") ?? "1,2,5,10").split(",").map(Number),
    seconds: Number(val("seconds") ?? 10),
    child: val("child"),
    mode: val("mode") ?? "measure",
    inFlight: Number(val("in-flight") ?? 64),
    seed: Number(val("seed") ?? 11),
    users: Number(val("users") ?? 0),
    drafts: Number(val("drafts") ?? 0),
  };
}

/** Bulk seed (bulk.ts: what put() writes, without a round trip per record: the API would take minutes at 10×). */
async function seed(url: string, counts: PgScalePoint["counts"]): Promise<void> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const r = rng(20240501);
  const owner = () => userIdOf(Math.floor(r() * counts.users));
  const gen = function* <T>(n: number, make: (i: number) => T) {
    for (let i = 0; i < n; i++) yield make(i);
  };
  await bulkInsert(pool, TABLES.users, gen(counts.users, (i) => makeUser(r, userIdOf(i))), (u) => u.id);
  await bulkInsert(pool, TABLES.sessions, gen(counts.sessions, (i) => makeSession(r, userIdOf(i % counts.users))), (s) => s.userId);
  const n = { guopei: 0, qupei: 0 };
  const declarations = gen(counts.declarations, (i) => {
    const plan = i % 3 === 0 ? "qupei" : "guopei";
    return makeDeclaration(r, `${plan === "guopei" ? "GP" : "QP"}2024-${String(++n[plan]).padStart(4, "0")}`, owner(), plan);
  });
  await bulkInsert(pool, TABLES.declarations, declarations, (d) => d.ref);
  await bulkInsert(pool, TABLES.drafts, gen(counts.drafts, (i) => makeDraft(r, `dr-${i.toString(36)}`, owner())), (d) => d.id);
  await pool.query("INSERT INTO ref_counters VALUES ('GP', 2024, $1), ('QP', 2024, $2)", [n.guopei, n.qupei]);
  // left as a long-running database would be: the seed's write-back must not land in the measurement
  await settleDatabase(pool);
  await pool.end();
}

/** Sum of VmRSS of the server and its backends. */
async function serverRss(pid: number): Promise<number> {
  let kb = 0;
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (Number(name) !== pid && ppid !== pid) continue;
    const status = await readFile(`/proc/${name}/status`, "utf8").catch(() => "");
    kb += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return Math.round(kb / 1024);
}

/** In a child: the write mix on an opened store. */
async function child(url: string, o: ReturnType<typeof args>): Promise<unknown> {
  const t0 = performance.now();
  const store = await openPgStore(url, { poolSize: 20 });
  await store.users.count();
  const openMs = Math.round(performance.now() - t0);
  const afterOpen = await procMemory(process.pid);
  const r = rng(o.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const userIds = Array.from({ length: o.users }, (_, i) => userIdOf(i));
  const draftIds = Array.from({ length: o.drafts }, (_, i) => `dr-${i.toString(36)}`);
  const refs = (await store.declarations.find({}, { limit: 1000 })).items.map((d) => d.ref);
  const update = async () => {
    const userId = pick(userIds);
    const writes: Promise<unknown>[] = [store.sessions.put(makeSession(r, userId))];
    const x = r();
    if (x < 0.3) writes.push(store.drafts.put(makeDraft(r, pick(draftIds), userId)));
    else if (x < 0.4) writes.push(store.users.put(makeUser(r, userId)));
    else if (x < 0.42)
      writes.push(
        store.transaction(async (tx) => {
          const ref = await tx.declarations.nextRef("guopei", 2024);
          await tx.declarations.put(makeDeclaration(r, ref, userId, "guopei"));
          await tx.drafts.delete(`gone-${ref}`);
          await tx.audit.append({ at: new Date().toISOString(), actor: userId, action: "submit", target: ref });
        }),
      );
    else if (x < 0.45)
      writes.push(
        store.transaction(async (tx) => {
          const d = await tx.declarations.get(pick(refs));
          if (d) await tx.declarations.put({ ...d, status: "approved", updatedAt: new Date().toISOString() });
        }),
      );
    await Promise.all(writes);
  };
  const fullSpeed = async (inFlight: number, ms: number) => {
    let done = 0;
    const until = performance.now() + ms;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (performance.now() < until) {
          await update();
          done++;
        }
      }),
    );
    return Math.round(done / ((performance.now() - t1) / 1000));
  };
  if (o.mode === "speed") {
    const ups = await fullSpeed(o.inFlight, o.seconds * 1000);
    await store.close();
    return { ups };
  }
  const lat: number[] = [];
  const cold: number[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < (o.seconds + 2) * RATE; i++) {
    const wait = start + (i * 1000) / RATE - performance.now();
    if (wait > 1) await new Promise((res) => setTimeout(res, wait));
    const t = performance.now();
    const into = i < 2 * RATE ? cold : lat;
    pending.push(update().then(() => void into.push(performance.now() - t)));
  }
  await Promise.all(pending);
  const desk: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await store.declarations.find({ status: "submitted" }, { limit: 50, offset: i * 50 }, { by: "submittedAt", dir: "desc" });
    desk.push(performance.now() - t);
  }
  const maxUpdatesPerSecond = await fullSpeed(64, 3000);
  const peak = await procMemory(process.pid);
  await store.close();
  return { openMs, rssAfterOpenMB: afterOpen?.rssMB ?? NaN, peakRssMB: peak?.peakMB ?? NaN, writeLatencyMs: latency(lat), coldWriteLatencyMs: latency(cold), deskPageMs: latency(desk), maxUpdatesPerSecond };
}

function runChild(url: string, extra: string[]): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--child", url, ...extra], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
    p.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, unknown>) : reject(new Error(`pg-scale child exited ${code}`))));
  });
}

export async function runPgScale(o = args()): Promise<PgScaleResult> {
  const server = await startPostgres({ fast: false });
  const points: PgScalePoint[] = [];
  try {
    const admin = new pg.Pool({ connectionString: server.adminUrl, max: 1 });
    admin.on("error", () => {}); // the server stopping ends its idle connection
    for (const scale of o.scales) {
      const counts = { users: 50_000 * scale, declarations: 20_000 * scale, drafts: 5_000 * scale, sessions: 20_000 * scale };
      const name = `bench_${scale}x`;
      await admin.query(`CREATE DATABASE ${name}`);
      const url = server.urlFor(name);
      const t0 = performance.now();
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      await migrate(pool);
      await pool.end();
      await seed(url, counts);
      const seedS = Math.round((performance.now() - t0) / 100) / 10;
      const size = await admin.query("SELECT pg_database_size($1) AS b", [name]);
      const common = ["--seconds", String(o.seconds), "--users", String(counts.users), "--drafts", String(counts.drafts)];
      const measured = await runChild(url, common);
      const serverRssMB = await serverRss(server.pid);
      // the first run's own writes are written out before the second starts, not during it
      await admin.query("CHECKPOINT");
      const [a, b] = await Promise.all([
        runChild(url, [...common, "--mode", "speed", "--in-flight", "32", "--seed", "21", "--seconds", "5"]),
        runChild(url, [...common, "--mode", "speed", "--in-flight", "32", "--seed", "22", "--seconds", "5"]),
      ]);
      const point = {
        scale,
        counts,
        seedS,
        dbMB: Math.round(Number(size.rows[0].b) / 2 ** 20),
        ...(measured as Omit<PgScalePoint, "scale" | "counts" | "seedS" | "dbMB" | "serverRssMB" | "twoInstanceUpdatesPerSecond" | "load1">),
        serverRssMB,
        twoInstanceUpdatesPerSecond: Number(a.ups) + Number(b.ups),
        load1: load1(),
      };
      points.push(point);
      process.stderr.write(
        `  pg ${scale}×: open ${point.openMs} ms, RSS ${point.rssAfterOpenMB} MB (server ${serverRssMB} MB), write p50/p99 ${point.writeLatencyMs.p50}/${point.writeLatencyMs.p99} ms, ${point.maxUpdatesPerSecond}/s, two instances ${point.twoInstanceUpdatesPerSecond}/s\n`,
      );
      await admin.query(`DROP DATABASE ${name}`);
    }
    await admin.end();
  } catch (e) {
    console.error(e);
    throw e;
  } finally {
    await server.stop();
  }
  return { points };
}

const o = args();
const childUrl = o.child;
if (childUrl) runIfMain(import.meta.url, () => child(childUrl, o), (r: unknown) => void process.stdout.write(JSON.stringify(r)));
else runIfMain(import.meta.url, () => runPgScale(o));
