/**
 * A deadline reminder to 5,000 subscribers: the real bot process with BROADCAST_RATE=1000 against
 * the HTTP fake Bot API limited like Telegram (1,000 messages/s globally, ~1/s per chat, 429 with
 * retry_after beyond). An admin adds a deadline 3 days ahead with /deadline; the reminder service
 * sends the 3-day reminder at once.
 *
 *   efficiency = ideal time (recipients ÷ 1,000/s) ÷ actual time (first send → last successful send)
 *   429s       = sends the fake refused for flood control
 *   duplicates = reminders beyond the first, summed over chats
 *
 *   npx tsx bench/broadcast.ts [--subscribers 5000] [--rate 1000] [--cpu-prof DIR]
 *
 * --cpu-prof DIR writes the bot process's V8 CPU profile there (where its time goes).
 */
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addDays } from "../src/domain/reminders.js";
import { todayIn } from "../src/domain/time.js";
import { openStore } from "../src/store/index.js";
import type { UserRecord } from "../src/store/types.js";
import { startBotProcess, type BotProcess } from "../test/support/bot-process.js";
import { startFakeBotApi } from "../test/support/fake-bot-api.js";
import { cliFlags, load1, runIfMain } from "./stats.js";

export interface BroadcastBenchResult {
  subscribers: number;
  rate: number;
  sends: number;
  delivered: number;
  idealSeconds: number;
  actualSeconds: number;
  /** From the admin's /deadline to the last delivery. */
  fromCommandSeconds: number;
  efficiency: number;
  tooManyRequests: number;
  tooManyRequestsShare: number;
  duplicates: number;
  missed: number;
  /** Most flood-controlled calls the fake accepted in any 1-second window. */
  peakPerSecond: number;
  /** Median of five users' /deadlines answered while the broadcast ran (ask → reply), and the worst. */
  interactiveReplyMs: number;
  interactiveReplyMaxMs: number;
  /** CPU used from /deadline to the last delivery, in % of one core: the bot process and this one (the fake API). */
  /** The longest pauses between two accepted reminders at the fake (ms, longest first): a stall shows here. */
  longestGapsMs: number[];
  cpuPercent: { bot: number; fake: number };
  /** The bot process's CPU per reminder sent, in ms: user (JS, HTTP client) and system (syscalls, loopback TCP). */
  botCpuMsPerSend: { user: number; system: number };
  load1: number;
}

const ADMIN = 1;
const FIRST_ID = 700_001;
const TITLE = "第一批申报材料提交";

/** CPU time of a process so far, in ms, user and system (Linux /proc; system includes loopback TCP). */
function cpuTimes(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return { user: Number(fields[11]) * (1000 / 100), system: Number(fields[12]) * (1000 / 100) };
}
const cpuMs = (pid: number) => {
  const t = cpuTimes(pid);
  return t.user + t.system;
};

function args() {
  const { num, text } = cliFlags();
  const cpuProfDir = text("cpu-prof");
  return { subscribers: num("subscribers", 5000), rate: num("rate", 1000), ...(cpuProfDir !== undefined ? { cpuProfDir } : {}) };
}

export async function runBroadcast(o: { subscribers: number; rate: number; cpuProfDir?: string } = args()): Promise<BroadcastBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), "bench-broadcast-"));
  const ids = Array.from({ length: o.subscribers }, (_, i) => FIRST_ID + i);
  const store = await openStore(dir, { fsync: false });
  const now = new Date().toISOString();
  await Promise.all(ids.map((id) => store.users.put({ id, chatId: id, name: `用户${id}`, roles: [], subscribed: true, reachable: true, createdAt: now } satisfies UserRecord)));
  await store.close();

  const api = await startFakeBotApi({ rateLimit: { perSecond: o.rate, perChat: { perSecond: 1, burst: 3 } } });
  let bot: BotProcess | undefined;
  try {
    bot = await startBotProcess({
      api,
      dataDir: dir,
      env: {
        ADMIN_IDS: String(ADMIN),
        // One outgoing path: replies and the broadcast share OUTGOING_RATE; the broadcast may use all of it.
        OUTGOING_RATE: String(o.rate),
        BROADCAST_RATE: String(o.rate),
        REMINDER_OFFSETS: "7,3,1,0",
        REMINDER_CRON: "0 0 9 * * *",
      },
      readyTimeoutMs: 30_000,
      ...(o.cpuProfDir ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${o.cpuProfDir}`] } : {}),
    });
    const subscribers = new Set(ids);
    const isReminder = (c: { method: string; chatId: number | undefined; params: Record<string, unknown> }) =>
      c.method === "sendMessage" && subscribers.has(c.chatId!) && String(c.params.text ?? "").includes(TITLE);
    const reminderCalls = () => api.calls("sendMessage").filter(isReminder);
    const delivered = () => {
      let n = 0;
      for (const id of ids) if ((api.stats.messagesPerChat.get(id) ?? 0) > 0) n++;
      return n;
    };
    // Checks at most every 100 ms: counting over every call is not free, and the fake must keep up.
    let lastCheck = 0;
    const throttled = (check: () => boolean) => () => {
      if (Date.now() - lastCheck < 100) return false;
      lastCheck = Date.now();
      return check();
    };

    const botCpu0 = cpuTimes(bot.pid);
    const fakeCpu0 = process.cpuUsage();
    const commandAt = Date.now();
    api.sendText(ADMIN, `/deadline ${addDays(todayIn(new Date(), "Asia/Shanghai"), 3)} ${TITLE}`);
    await api.waitForMessage(ADMIN, "已添加截止日期", 10_000);
    await api.waitFor(throttled(() => reminderCalls().length >= o.subscribers / 4), 30_000, "a quarter of the broadcast");
    // Five users ask while the broadcast runs, 300 ms apart: how long does a reply wait its turn?
    const waits: number[] = [];
    for (let k = 0; k < 5; k++) {
      const user = 99_990 + k;
      const askedAt = Date.now();
      api.sendText(user, "/deadlines");
      await api.waitForMessage(user, TITLE, 30_000);
      waits.push(Date.now() - askedAt);
      await new Promise((r) => setTimeout(r, 300));
    }
    const sortedWaits = [...waits].sort((x, y) => x - y);
    const interactiveReplyMs = sortedWaits[2]!;
    const interactiveReplyMaxMs = sortedWaits[4]!;
    await api.waitFor(throttled(() => delivered() >= ids.length), 120_000, "every subscriber reached");
    const wall = Date.now() - commandAt;
    const fakeCpu = process.cpuUsage(fakeCpu0);
    const botCpu1 = cpuTimes(bot.pid);
    const cpu = { bot: Math.round(((cpuMs(bot.pid) - botCpu0.user - botCpu0.system) / wall) * 100), fake: Math.round(((fakeCpu.user + fakeCpu.system) / 1000 / wall) * 100) };
    const perSend = (ms: number) => Math.round((ms / o.subscribers) * 1000) / 1000;
    const botCpuMsPerSend = { user: perSend(botCpu1.user - botCpu0.user), system: perSend(botCpu1.system - botCpu0.system) };
    await new Promise((r) => setTimeout(r, 1500)); // anything more would be a duplicate

    const calls = reminderCalls();
    const ok = calls.filter((c) => c.status === 200);
    const first = calls[0]!.at;
    const last = ok.at(-1)!.at;
    const perChat = new Map<number, number>();
    for (const c of ok) perChat.set(c.chatId!, (perChat.get(c.chatId!) ?? 0) + 1);
    const duplicates = [...perChat.values()].reduce((s, n) => s + n - 1, 0);
    const tooMany = calls.filter((c) => c.status === 429).length;
    const gaps: number[] = [];
    for (let i = 1; i < ok.length; i++) gaps.push(ok[i]!.at - ok[i - 1]!.at);
    const longestGapsMs = gaps.sort((x, y) => y - x).slice(0, 3);
    const idealSeconds = ids.length / o.rate;
    const actualSeconds = (last - first) / 1000;
    return {
      subscribers: ids.length,
      rate: o.rate,
      sends: calls.length,
      delivered: perChat.size,
      idealSeconds,
      actualSeconds: Math.round(actualSeconds * 1000) / 1000,
      fromCommandSeconds: Math.round((last - commandAt) / 10) / 100,
      efficiency: Math.round((idealSeconds / actualSeconds) * 1000) / 1000,
      tooManyRequests: tooMany,
      tooManyRequestsShare: Math.round((tooMany / calls.length) * 10_000) / 10_000,
      duplicates,
      missed: ids.filter((id) => !perChat.has(id)).length,
      peakPerSecond: api.stats.peakPerSecond,
      interactiveReplyMs,
      interactiveReplyMaxMs,
      longestGapsMs,
      cpuPercent: cpu,
      botCpuMsPerSend,
      load1: load1(),
    };
  } finally {
    await bot?.stop().catch(() => undefined);
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, () => runBroadcast());
