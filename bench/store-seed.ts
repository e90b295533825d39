/**
 * Seeds a data folder with realistic records (for benchmarks), and, when run directly, measures the
 * store: open time with the seeded data, RSS, and update latency (durable write included) at a
 * steady 300 updates/s and at full speed.
 *
 *   npx tsx bench/store-seed.ts [--users 50000] [--declarations 20000] [--drafts 5000] [--sessions 20000]
 *                               [--seconds 10] [--rate 300] [--no-fsync] [--dir <dataDir>]
 *
 * Reuse: `await seedStore(dir, { users: 50_000, declarations: 20_000, drafts: 5_000 })`, then open
 * the folder with openStore(); the returned ids let a benchmark pick existing records.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { openStore, type StoreHandle } from "../src/store/index.js";
import { formatRef } from "../src/store/refs.js";
import type { DeclarationRecord, DraftRecord, SessionRecord, Store, UserRecord } from "../src/store/types.js";
import { cliFlags } from "./stats.js";

export interface SeedCounts {
  users: number;
  declarations: number;
  drafts: number;
  /** Open conversations (default 0). */
  sessions?: number;
}

export interface SeedResult {
  userIds: number[];
  declarationRefs: string[];
  draftIds: string[];
  ms: number;
}

/** Small deterministic PRNG (mulberry32), so every run seeds the same data. */
export function rng(seed = 20240501): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

const PREFECTURES = ["乌鲁木齐市", "喀什地区", "和田地区", "阿克苏地区", "伊犁哈萨克自治州", "昌吉回族自治州", "巴音郭楞蒙古自治州", "克孜勒苏柯尔克孜自治州", "哈密市", "吐鲁番市", "塔城地区", "阿勒泰地区"];
const COUNTIES = ["疏附县", "莎车县", "墨玉县", "库车市", "伊宁县", "呼图壁县", "轮台县", "阿图什市", "伊吾县", "鄯善县", "沙湾市", "布尔津县"];
const SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "马", "阿不都", "买买提", "古丽", "艾力", "热依汗"];
const GIVEN = ["建国", "丽娜", "晓燕", "海燕", "志强", "阿依古丽", "努尔", "帕丽达", "红梅", "伟", "芳", "明"];
const SUBJECTS = ["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "道德与法治", "音乐", "体育", "美术", "信息技术", "学前教育"];
const STAGES = ["幼儿园", "小学", "初中", "高中"];
const FORMS = ["集中培训", "集中培训+跟岗实践", "线上研修+线下集中", "送教下乡", "工作坊研修"];
const INSTITUTIONS = ["新疆师范大学", "新疆大学", "喀什大学", "伊犁师范大学", "昌吉学院", "新疆教育学院", "和田师范专科学校"];
const SUB_PROJECTS: { plan: "guopei" | "qupei"; subProjectId: string; rowId: string }[] = [
  { plan: "guopei", subProjectId: "county-backbone", rowId: "county-teachers" },
  { plan: "guopei", subProjectId: "kindergarten-relief-teaching", rowId: "kindergarten-teachers" },
  { plan: "guopei", subProjectId: "principal-leadership", rowId: "principals" },
  { plan: "guopei", subProjectId: "digital-literacy-trainers", rowId: "trainers" },
  { plan: "qupei", subProjectId: "hs-backbone", rowId: "hs-teachers" },
  { plan: "qupei", subProjectId: "hs-new-curriculum", rowId: "hs-teachers" },
  { plan: "qupei", subProjectId: "hs-career-guidance", rowId: "guidance-teachers" },
];

const iso = (ms: number) => new Date(ms).toISOString();
const BASE = Date.parse("2024-03-01T02:00:00.000Z");

export function makeUser(r: () => number, id: number): UserRecord {
  return {
    id,
    chatId: id,
    name: `${pick(r, SURNAMES)}${pick(r, GIVEN)}`,
    roles: r() < 0.002 ? ["coordinator"] : [],
    subscribed: r() < 0.8,
    reachable: r() < 0.97,
    createdAt: iso(BASE + Math.floor(r() * 60 * 86400_000)),
  };
}

/** Answers of a filled-in declaration form, about 1 KB as JSON. */
export function makeAnswers(r: () => number): Record<string, unknown> {
  const prefecture = pick(r, PREFECTURES);
  const county = pick(r, COUNTIES);
  const stage = pick(r, STAGES);
  const subject = pick(r, SUBJECTS);
  const people = 20 + Math.floor(r() * 200);
  return {
    applicantUnit: `${prefecture}${county}教育局`,
    unitType: pick(r, ["县级教育行政部门", "地州教育局", "教师发展中心", "中小学校"]),
    contactName: `${pick(r, SURNAMES)}${pick(r, GIVEN)}`,
    contactTitle: pick(r, ["师训股股长", "教研员", "副校长", "办公室主任"]),
    phone: `1${3 + Math.floor(r() * 6)}${String(Math.floor(r() * 1e9)).padStart(9, "0")}`,
    email: `teacher${Math.floor(r() * 1e6)}@xj-edu.cn`,
    stage,
    subject,
    audience: `${county}${stage}${subject}骨干教师`,
    participants: people,
    form: pick(r, FORMS),
    hours: 40 + Math.floor(r() * 8) * 10,
    institution: pick(r, INSTITUTIONS),
    schedule: { start: "2024-07-10", end: "2024-07-20" },
    needsAnalysis: `${county}现有${stage}${subject}教师${people * 3}人，乡村教师占${40 + Math.floor(r() * 50)}%，大单元教学设计和课堂评价能力亟待提升。`,
    plan: `“集中研修—跟岗实践—返岗实践”三段式，围绕${subject}学科核心素养开展课例研磨和同课异构。`,
    outcomes: "形成优秀课例20节、教学设计汇编1册，培养县级学科带头人10名。",
    previousTraining: r() < 0.5 ? "2023年参加国培计划县级骨干教师培训" : "无",
    remarks: "",
  };
}

export function makeDeclaration(r: () => number, ref: string, ownerId: number, plan: DeclarationRecord["plan"]): DeclarationRecord {
  const sp = pick(
    r,
    SUB_PROJECTS.filter((s) => s.plan === plan),
  );
  const submittedAt = iso(BASE + Math.floor(r() * 90 * 86400_000));
  const status = pick(r, ["submitted", "submitted", "approved", "returned"] as const);
  const history: DeclarationRecord["history"] = [{ at: submittedAt, by: ownerId, action: "submitted" }];
  if (status !== "submitted") history.push({ at: submittedAt, by: 1, action: status === "approved" ? "approved" : "returned", comment: status === "returned" ? "请补充实施方案中的考核办法" : undefined });
  return {
    ref,
    ownerId,
    plan,
    subProjectId: sp.subProjectId,
    rowId: sp.rowId,
    answers: makeAnswers(r),
    budget: { perYear: 50 + Math.floor(r() * 20) * 10, cycle: pick(r, [1, 2, 3]) },
    status,
    submittedAt,
    updatedAt: submittedAt,
    history,
  };
}

export function makeDraft(r: () => number, id: string, ownerId: number): DraftRecord {
  const at = iso(BASE + Math.floor(r() * 90 * 86400_000));
  const answers = makeAnswers(r);
  // a draft is partly filled in
  const keys = Object.keys(answers).slice(0, 4 + Math.floor(r() * 12));
  return { id, ownerId, stepId: pick(r, ["unit", "contact", "audience", "plan", "budget", "confirm"]), answers: Object.fromEntries(keys.map((k) => [k, answers[k]])), createdAt: at, updatedAt: at };
}

export function makeSession(r: () => number, userId: number): SessionRecord {
  return {
    userId,
    flow: pick(r, ["apply", "search", "my-declarations", "menu"]),
    nonce: Math.floor(r() * 36 ** 8).toString(36),
    state: { step: pick(r, ["unit", "contact", "audience"]), page: Math.floor(r() * 5), query: pick(r, SUBJECTS) },
    updatedAt: iso(BASE + Math.floor(r() * 90 * 86400_000)),
  };
}

export const userIdOf = (i: number) => 5_000_000_000 + i * 7919;

/** Fills `dataDir` (new or existing) through the store API, so the files are exactly what the store writes. */
/**
 * The keys of a seeded folder, read back through the store's queries: user ids follow userIdOf (the
 * seed writes users 0…n-1 and never others), declarations are scanned, drafts fetched a page at a time.
 */
export async function seededKeys(store: Store): Promise<SeedResult> {
  const { total } = await store.users.count();
  const userIds = Array.from({ length: total }, (_, i) => userIdOf(i));
  const declarationRefs: string[] = [];
  for await (const d of store.declarations.scan({}, { by: "ref", dir: "asc" })) declarationRefs.push(d.ref);
  const draftIds: string[] = [];
  for (let offset = 0; ; offset += 1000) {
    const { items } = await store.drafts.find({}, { limit: 1000, offset });
    draftIds.push(...items.map((d) => d.id));
    if (items.length < 1000) break;
  }
  return { userIds, declarationRefs, draftIds, ms: 0 };
}

export async function seedStore(dataDir: string, counts: SeedCounts, opts: { seed?: number; fsync?: boolean } = {}): Promise<SeedResult> {
  const t0 = performance.now();
  const r = rng(opts.seed);
  const store = await openStore(dataDir, { fsync: opts.fsync ?? true });
  try {
    const userIds = Array.from({ length: counts.users }, (_, i) => userIdOf(i));
    const draftIds: string[] = [];
    const declarationRefs: string[] = [];
    const owner = () => userIds[Math.floor(r() * userIds.length)] ?? 1;
    // Put in batches: everything in a batch lands in memory at once and each touched shard is written once.
    const batch = async (n: number, one: (i: number) => Promise<void>) => {
      for (let start = 0; start < n; start += 10_000) {
        await Promise.all(Array.from({ length: Math.min(10_000, n - start) }, (_, k) => one(start + k)));
      }
    };
    await batch(counts.users, (i) => store.users.put(makeUser(r, userIds[i]!)));
    await batch(counts.sessions ?? 0, (i) => store.sessions.put(makeSession(r, userIds[i % userIds.length] ?? i)));
    await batch(counts.declarations, (i) => {
      const plan = i % 3 === 0 ? "qupei" : "guopei";
      const ref = formatRef(plan === "qupei" ? "QP" : "GP", 2024, i + 1);
      declarationRefs.push(ref);
      return store.declarations.put(makeDeclaration(r, ref, owner(), plan));
    });
    await batch(counts.drafts, (i) => {
      const id = `dr-${i.toString(36)}-${Math.floor(r() * 36 ** 6).toString(36)}`;
      draftIds.push(id);
      return store.drafts.put(makeDraft(r, id, owner()));
    });
    return { userIds, declarationRefs, draftIds, ms: performance.now() - t0 };
  } finally {
    await store.close();
  }
}

function dirSize(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const st = statSync(join(dir, name));
    if (st.isFile()) {
      files++;
      bytes += st.size;
    }
  }
  return { files, bytes };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** One bot update: the session is always saved, plus sometimes a draft, a user or a declaration. */
async function update(store: StoreHandle, r: () => number, seeded: SeedResult): Promise<void> {
  const userId = pick(r, seeded.userIds);
  const writes: Promise<void>[] = [store.sessions.put(makeSession(r, userId))];
  const x = r();
  if (x < 0.3) writes.push(store.drafts.put(makeDraft(r, pick(r, seeded.draftIds), userId)));
  else if (x < 0.4) writes.push(store.users.put(makeUser(r, userId)));
  else if (x < 0.45) {
    const ref = pick(r, seeded.declarationRefs);
    writes.push(store.declarations.get(ref).then((old) => store.declarations.put({ ...old!, status: "approved", updatedAt: new Date().toISOString() })));
  }
  await Promise.all(writes);
}

function parseArgs(args: string[]) {
  const { num, text } = cliFlags(args);
  return {
    fsync: !args.includes("--no-fsync"),
    measureOnly: args.includes("--measure"),
    dir: text("dir"),
    counts: { users: num("users", 50_000), declarations: num("declarations", 20_000), drafts: num("drafts", 5_000), sessions: num("sessions", 20_000) },
    seconds: num("seconds", 10),
    rate: num("rate", 300),
  };
}

/** Runs in a fresh process (so seeding garbage does not count towards RSS): open, steady rate, full speed. */
async function measure(dir: string, o: ReturnType<typeof parseArgs>): Promise<void> {
  const cpuMs = (since: NodeJS.CpuUsage) => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1000;
  };
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const store = await openStore(dir, { fsync: o.fsync });
  const openMs = performance.now() - t0;
  const openCpu = cpuMs(c0);
  const mem = process.memoryUsage();
  console.log(`open: ${openMs.toFixed(0)} ms wall, ${openCpu.toFixed(0)} ms CPU; RSS ${(mem.rss / 1e6).toFixed(0)} MB, heap used ${(mem.heapUsed / 1e6).toFixed(0)} MB`);
  const seeded = await seededKeys(store);
  const userIds = seeded.userIds;
  console.log(`loaded: ${userIds.length} users, ${seeded.declarationRefs.length} declarations, ${seeded.draftIds.length} drafts`);

  const r = rng(7);
  // Steady rate: start one update every 1000/rate ms regardless of completions (open loop).
  // First right after start-up (each shard's first write also builds its serialisation image),
  // then again once warm.
  const steady = async (label: string) => {
    const lat: number[] = [];
    const inflight: Promise<void>[] = [];
    const total = o.seconds * o.rate;
    const start = performance.now();
    const c1 = process.cpuUsage();
    let lag = 0;
    for (let i = 0; i < total; i++) {
      const due = start + (i * 1000) / o.rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      else lag = Math.max(lag, -wait);
      const t = performance.now();
      inflight.push(update(store, r, seeded).then(() => void lat.push(performance.now() - t)));
    }
    await Promise.all(inflight);
    const elapsed = (performance.now() - start) / 1000;
    const cpu = cpuMs(c1);
    lat.sort((a, b) => a - b);
    const rss = (process.memoryUsage().rss / 1e6).toFixed(0);
    console.log(
      `[RSS ${rss} MB] steady ${o.rate}/s, ${label}: ${total} updates in ${elapsed.toFixed(1)} s; latency p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms, max ${lat[lat.length - 1]!.toFixed(1)} ms; max timer lag ${lag.toFixed(1)} ms; CPU ${(cpu / total).toFixed(2)} ms/update (${((cpu / 1000 / elapsed) * 100).toFixed(0)}% of a core)`,
    );
  };
  await steady("cold (just opened)");
  await steady("warm");

  // Full speed: 64 concurrent users updating as fast as the store allows.
  const lat2: number[] = [];
  const until = performance.now() + 5000;
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        await update(store, r, seeded);
        lat2.push(performance.now() - t);
      }
    }),
  );
  const fullCpu = cpuMs(c2);
  lat2.sort((a, b) => a - b);
  console.log(
    `full speed (64 concurrent): ${(lat2.length / ((performance.now() - t2) / 1000)).toFixed(0)} updates/s; latency p50 ${percentile(lat2, 50).toFixed(1)} ms, p99 ${percentile(lat2, 99).toFixed(1)} ms; CPU ${(fullCpu / lat2.length).toFixed(2)} ms/update`,
  );
  const m = (x: number) => `${(x / 1e6).toFixed(0)} MB`;
  const end = process.memoryUsage();
  console.log(`at end: RSS ${m(end.rss)}, heap ${m(end.heapUsed)} used / ${m(end.heapTotal)} total, external ${m(end.external)}`);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    const after = process.memoryUsage();
    console.log(`after a full GC: RSS ${m(after.rss)}, heap ${m(after.heapUsed)} used / ${m(after.heapTotal)} total, external ${m(after.external)}`);
  }
  await store.close();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const o = parseArgs(args);
  if (o.measureOnly) {
    if (!o.dir) throw new Error("--measure needs --dir");
    return measure(o.dir, o);
  }
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), "store-bench-"));
  console.log(`seeding ${JSON.stringify(o.counts)} into ${dir} (fsync ${o.fsync})`);
  const seeded = await seedStore(dir, o.counts, { fsync: o.fsync });
  const size = dirSize(dir);
  console.log(`seeded in ${seeded.ms.toFixed(0)} ms: ${size.files} files, ${(size.bytes / 1e6).toFixed(1)} MB`);
  const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...args, "--measure", "--dir", dir], { stdio: "inherit" });
  if (!o.dir) rmSync(dir, { recursive: true, force: true });
  if (child.status !== 0) throw new Error(`measurement failed (${child.status ?? child.signal})`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
