/**
 * The bot's heap by part, season-peak store (50,000 users, 20,000 declarations, 5,000 drafts): in a
 * fresh process (--expose-gc) each part is loaded in turn and the heap measured after a full GC, so
 * each figure is what that part keeps resident:
 *
 *   modules       the code: grammY, zod, pino, lowdb, the app's own modules (imported, nothing built);
 *   knowledge     knowledge/ loaded and validated;
 *   search index  the Fuse indexes and vocabulary built from it;
 *   store cache   the embedded store opened (every record's bytes, the records read so far, indexes);
 *   bot           createDeps + createBot (features, flows, the command catalogue);
 *   traffic       what stays after 100 users walked journeys (sessions, JIT, caches): the rest.
 *
 *   npx tsx bench/heap.ts [--scale 1] [--users 100] [--steps 12]
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { seedStore } from "./store-seed.js";
import { cliFlags, load1, runIfMain } from "./stats.js";

export interface HeapPart {
  part: string;
  /** heapUsed after this part, less heapUsed before it (after a full GC each time). */
  heapMB: number;
  /** The same for external memory (Buffers and other memory held outside the JS heap). */
  externalMB: number;
  /** RSS after this part, less RSS before it: what loading it left in the process (heap grown for its peak included). */
  rssMB: number;
}

export interface HeapResult {
  store: { users: number; declarations: number; drafts: number };
  parts: HeapPart[];
  totalHeapMB: number;
  /** RSS at the start of the measuring process (node + tsx loader), and at the end. */
  startRssMB: number;
  rssMB: number;
  load1: number;
}

function args() {
  const val = cliFlags().text;
  return { scale: Number(val("scale") ?? 1), users: Number(val("users") ?? 100), steps: Number(val("steps") ?? 12), child: val("child") };
}

const MB = 2 ** 20;

/** In the fresh process: load each part and measure what it adds. */
async function child(dir: string, users: number, steps: number): Promise<Omit<HeapResult, "store" | "load1">> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");
  const measure = () => {
    for (let i = 0; i < 3; i++) gc();
    const m = process.memoryUsage();
    // `external` already includes `arrayBuffers` (every Buffer): adding them counted Buffers twice.
    return { heap: m.heapUsed, external: m.external, rss: m.rss };
  };
  const parts: HeapPart[] = [];
  let last = measure();
  const first = last;
  const startRssMB = Math.round(first.rss / MB);
  const mark = (part: string) => {
    const now = measure();
    parts.push({ part, heapMB: Math.round(((now.heap - last.heap) / MB) * 10) / 10, externalMB: Math.round(((now.external - last.external) / MB) * 10) / 10, rssMB: Math.round((now.rss - last.rss) / MB) });
    last = now;
  };
  const [{ loadKnowledge }, { createSearchIndex }, { openStore }, { createDeps }, { createBot }, { loadConfig }, { pino }, { LocalBotApi }, sim] = await Promise.all([
    import("../src/knowledge/load.js"),
    import("../src/nlu/search.js"),
    import("../src/store/index.js"),
    import("../src/bot/context.js"),
    import("../src/bot/create-bot.js"),
    import("../src/config.js"),
    import("pino"),
    import("./fake-api-client.js"),
    import("./simulated-users.js"),
  ]);
  mark("modules (grammY, zod, pino, lowdb, the app's code)");
  const knowledge = loadKnowledge();
  mark("knowledge");
  const search = createSearchIndex(knowledge);
  mark("search index");
  const config = loadConfig({ BOT_TOKEN: "123:TEST", DATA_DIR: dir, TZ: "Asia/Shanghai", LOG_LEVEL: "silent" });
  const store = await openStore(dir, { fsync: false });
  mark("store cache (every record: its bytes, and the objects of those read)");
  const deps = createDeps({ config, knowledge, search, store, logger: pino({ level: "silent" }) });
  const api = new LocalBotApi();
  const bot = createBot(config, deps, { botInfo: api.botInfo, transformer: api.transformer });
  mark("bot (deps, features, flows)");
  const { rng, userIdOf } = await import("./store-seed.js");
  const r = rng(5);
  const phrasings = sim.loadPhrasings();
  const walkers = Array.from({ length: users }, (_, i) => new sim.SimUser(userIdOf(i * 131), api, r, phrasings));
  for (let s = 0; s < steps; s++) await Promise.all(walkers.map((u) => bot.handleUpdate(u.next().update)));
  await deps.settle();
  mark(`after ${users} users × ${steps} updates (the rest: sessions, caches, JIT)`);
  const rssMB = Math.round(process.memoryUsage().rss / MB);
  await store.close();
  return { parts, startRssMB, totalHeapMB: Math.round(((last.heap - first.heap) / MB) * 10) / 10, rssMB };
}

export async function runHeap(o = args()): Promise<HeapResult> {
  const counts = { users: 50_000 * o.scale, declarations: 20_000 * o.scale, drafts: 5_000 * o.scale };
  const dir = await mkdtemp(join(tmpdir(), "bench-heap-"));
  try {
    await seedStore(dir, counts, { fsync: false });
    const measured = await new Promise<Omit<HeapResult, "store" | "load1">>((resolve, reject) => {
      const p = spawn(process.execPath, ["--expose-gc", ...process.execArgv, fileURLToPath(import.meta.url), "--child", dir, "--users", String(o.users), "--steps", String(o.steps)], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let out = "";
      p.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
      p.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as Omit<HeapResult, "store" | "load1">) : reject(new Error(`heap child exited ${code}`))));
    });
    for (const p of measured.parts) process.stderr.write(`  ${p.part}: ${p.heapMB} MB heap, ${p.externalMB} MB external, RSS +${p.rssMB} MB\n`);
    return { store: counts, ...measured, load1: load1() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const o = args();
const childDir = o.child;
if (childDir) runIfMain(import.meta.url, () => child(childDir, o.users, o.steps), (r: unknown) => void process.stdout.write(JSON.stringify(r)));
else runIfMain(import.meta.url, () => runHeap(o));
