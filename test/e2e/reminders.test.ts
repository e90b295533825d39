/**
 * Deadline reminders end to end: the real bot process (node --import tsx src/main.ts) against the
 * fake Bot API over HTTP, with 1,000 seeded subscribers, an API limit of 100 msg/s and
 * BROADCAST_RATE=100. An admin adds a deadline 3 days ahead; everyone reachable gets exactly one
 * reminder (speed and 429s are figures of npm run bench); blocked chats are tried once, never again.
 * Then a second deadline, a kill -9 a third of the way through, a restart: everyone reached, at
 * most 5 duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays, deliveryKey } from "../../src/domain/reminders.js";
import { todayIn } from "../../src/domain/time.js";
import { openE2EStore } from "../support/e2e-store.js";
import { join } from "node:path";
import { Journal } from "../../src/store/line-journal.js";
import { broadcastDelivery } from "../../src/reminders/scheduler.js";
import type { Store, UserRecord } from "../../src/store/types.js";
import { makeTempDataDir, removeTempDataDir, startBotProcess, type BotProcess } from "../support/bot-process.js";
import { startFakeBotApi, type FakeBotApi } from "../support/fake-bot-api.js";

const ADMIN = 1;
const SUBSCRIBERS = 1000;
const FIRST_ID = 10_001;
const RATE = 100;
const BLOCKED = [10_050, 10_150, 10_250, 10_350, 10_450];
const subscriberIds = Array.from({ length: SUBSCRIBERS }, (_, i) => FIRST_ID + i);
const reachable = subscriberIds.filter((id) => !BLOCKED.includes(id));

let api: FakeBotApi;
let dataDir: string;
const bots: BotProcess[] = [];

async function startBot(): Promise<BotProcess> {
  const bot = await startBotProcess({
    api,
    dataDir,
    env: { ADMIN_IDS: String(ADMIN), OUTGOING_RATE: String(RATE), BROADCAST_RATE: String(RATE), REMINDER_CRON: "*/3 * * * * *", REMINDER_OFFSETS: "7,3,1,0" },
  });
  bots.push(bot);
  return bot;
}

/** sendMessage calls that carried a reminder with this title (also failed ones), oldest first. */
function reminderCalls(title: string) {
  return api.calls("sendMessage").filter((c) => String(c.params.text ?? "").includes(title) && c.chatId !== ADMIN && String(c.params.text ?? "").includes("申报截止提醒"));
}

/** Successful reminders with this title per chat. */
function received(title: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const c of reminderCalls(title)) if (c.status === 200) counts.set(c.chatId!, (counts.get(c.chatId!) ?? 0) + 1);
  return counts;
}

/**
 * Chats a killed bot had noted as reached for the deliveries `which` names: its ledger plus its send
 * journal (DATA_DIR/outbox/sent.log, replayed into the ledger at start). Nothing noted may be sent again.
 */
async function notedAtKill(dir: string, chats: readonly number[], which: (store: Store) => Promise<string[]>): Promise<Set<number>> {
  const noted = new Set<number>();
  const store = await openE2EStore(dir);
  try {
    const deliveries = await which(store);
    for (const d of deliveries) {
      const missing = new Set(await store.ledger.missing(d, chats));
      for (const id of chats) if (!missing.has(id)) noted.add(id);
    }
    const { journal, lines } = Journal.open(join(dir, "outbox", "sent.log"));
    journal.close();
    for (const line of lines) {
      const [d, chatId] = JSON.parse(line) as [string, number];
      if (deliveries.includes(d)) noted.add(chatId);
    }
  } finally {
    await store.close();
  }
  return noted;
}

/**
 * After a kill -9 only the sends in flight may repeat: no chat noted as reached is sent again, and
 * no more chats repeat than the killed bot had sent (the emulator accepted them) without noting them.
 */
function expectOnlyUnnotedRepeats(counts: Map<number, number> | number[], chats: readonly number[], noted: Set<number>, acceptedBeforeKill: Set<number>, label: string) {
  const count = (id: number) => (Array.isArray(counts) ? counts[chats.indexOf(id)] : counts.get(id)) ?? 0;
  const repeated = chats.filter((id) => count(id) > 1);
  const unnotedOnTheWire = [...acceptedBeforeKill].filter((id) => !noted.has(id));
  console.log(`[reminders e2e] ${label}: noted at the kill ${noted.size}; accepted but not noted ${unnotedOnTheWire.length}; repeated ${repeated.length}`);
  expect(repeated.filter((id) => noted.has(id)), "noted as reached before the kill, sent again").toEqual([]);
  expect(repeated.length).toBeLessThanOrEqual(unnotedOnTheWire.length);
  for (const id of repeated) expect(count(id), `chat ${id}`).toBe(2); // one in flight at the kill, one after
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Checks an expensive condition at most every 100 ms (waitFor re-checks on every API call, and the fake must keep up). */
function throttled(check: () => boolean): () => boolean {
  let last = 0;
  return () => {
    if (Date.now() - last < 100) return false;
    last = Date.now();
    return check();
  };
}

beforeAll(async () => {
  dataDir = await makeTempDataDir("reminders-e2e-");
  // Seed the subscribers straight into the store (as /subscribe would leave them).
  const store = await openE2EStore(dataDir);
  const now = new Date().toISOString();
  await Promise.all(
    subscriberIds.map((id) => store.users.put({ id, chatId: id, name: `用户${id}`, roles: [], subscribed: true, reachable: true, createdAt: now } satisfies UserRecord)),
  );
  await store.close();
  api = await startFakeBotApi({ rateLimit: { perSecond: RATE, perChat: { perSecond: 1, burst: 3 } }, blockedChats: BLOCKED });
});

afterAll(async () => {
  for (const bot of bots) await bot.stop().catch(() => undefined);
  await api?.close();
  if (dataDir) await removeTempDataDir(dataDir);
});

describe("deadline reminders at scale", () => {
  const inThreeDays = () => addDays(todayIn(new Date(), "Asia/Shanghai"), 3);

  it("reaches every reachable subscriber exactly once, answers a user meanwhile, and tries blocked chats once", { timeout: 60_000 }, async () => {
    await startBot();
    const title = "第一批申报材料提交";
    api.sendText(ADMIN, `/deadline ${inThreeDays()} ${title}`);
    await api.waitForMessage(ADMIN, "已添加截止日期", 10_000);

    // Users are answered while the broadcast runs.
    await api.waitFor(throttled(() => reminderCalls(title).length >= 100), 10_000, "broadcast under way");
    const askedAt = Date.now();
    api.sendText(99_999, "/deadlines");
    await api.waitForMessage(99_999, title, 20_000);
    const answerMs = Date.now() - askedAt;

    await api.waitFor(throttled(() => received(title).size >= reachable.length), 30_000, `all ${reachable.length} reachable subscribers reached`);
    await api.waitForMessage(ADMIN, "提醒已发出", 10_000);
    // One more cron tick (every 3 s) must send nothing more, and must not retry the blocked chats.
    await sleep(3500);

    const counts = received(title);
    const calls = reminderCalls(title);
    const span = (calls.at(-1)!.at - calls[0]!.at) / 1000;
    const ideal = calls.length / RATE;
    const tooMany = calls.filter((c) => c.status === 429).length;
    console.log(
      `[reminders e2e] broadcast 1: ${calls.length} sends in ${span.toFixed(2)} s (ideal ${ideal.toFixed(2)} s, ×${(span / ideal).toFixed(3)}), ` +
        `429s ${tooMany}, peak ${api.stats.peakPerSecond}/s, /deadlines answered in ${answerMs} ms`,
    );

    for (const c of api.calls("sendMessage").filter((x) => x.status === 429)) {
      const all = api.calls().filter((x) => x.method === "sendMessage" || x.method === "editMessageText");
      const win = all.filter((x) => x.at > c.at - 1000 && x.at <= c.at);
      console.log(`[reminders e2e] a 429 at +${c.at - calls[0]!.at} ms, with ${win.length} flood-controlled calls in the second before it`);
    }
    for (const id of reachable) expect(counts.get(id), `subscriber ${id}`).toBe(1);
    for (const id of BLOCKED) {
      expect(counts.get(id)).toBeUndefined();
      expect(api.stats.blockedAttempts.get(id), `blocked chat ${id}`).toBe(1);
    }
    // How fast, how many 429s and how long the user waited are figures for npm run bench
    // (bench/broadcast.ts), not assertions: they depend on how busy the machine is.
  });

  it("finishes after a kill -9 a third of the way through: everyone reached, only the sends in flight repeated", { timeout: 60_000 }, async () => {
    const title = "第二批申报材料补交";
    api.sendText(ADMIN, `/deadline ${inThreeDays()} ${title}`);
    await api.waitForMessage(ADMIN, "已添加截止日期", 10_000);
    await api.waitFor(throttled(() => reminderCalls(title).length >= Math.round(reachable.length / 3)), 15_000, "a third of the broadcast");
    await bots.at(-1)!.kill9();
    const killedAt = Date.now();
    const atKill = received(title).size;
    const acceptedBeforeKill = new Set(received(title).keys());
    const inFlightAtKill = api.requestsInFlight().length;
    const noted = await notedAtKill(dataDir, reachable, async (store) =>
      (await store.deadlines.list()).filter((d) => d.title === title).flatMap((d) => [7, 3, 1, 0].map((o) => deliveryKey(d.id, o))),
    );
    console.log(`[reminders e2e] broadcast 2: ${inFlightAtKill} request(s) in flight at the fake when killed`);
    expect(noted.size).toBeGreaterThan(0); // the ledger was read: a third had been sent

    await startBot();
    await api.waitFor(throttled(() => received(title).size >= reachable.length), 30_000, `all ${reachable.length} reachable subscribers reached after the restart`);
    await sleep(3500); // and one more tick changes nothing

    const counts = received(title);
    const duplicates = [...counts.values()].reduce((sum, n) => sum + (n - 1), 0);
    console.log(`[reminders e2e] broadcast 2: killed after ${atKill} reminders; after restart ${counts.size} chats reached, ${duplicates} duplicate(s)`);
    for (const [id, n] of counts) if (n > 1) console.log(`[reminders e2e] dup ${id}: ${reminderCalls(title).filter((c) => c.chatId === id).map((c) => `${c.status}@${c.at - killedAt}`).join(" ")}`);
    for (const id of reachable) expect(counts.get(id) ?? 0, `subscriber ${id}`).toBeGreaterThanOrEqual(1);
    expectOnlyUnnotedRepeats(counts, reachable, noted, acceptedBeforeKill, "broadcast 2");
    // Blocked chats were marked unreachable by the first broadcast: not tried again.
    for (const id of BLOCKED) expect(api.stats.blockedAttempts.get(id), `blocked chat ${id}`).toBe(1);
    expect(api.internalErrors).toEqual([]);
  });
});

describe("/broadcast and subscriptions", () => {
  const COUNT = 200;
  const ids = Array.from({ length: COUNT }, (_, i) => 20_001 + i);
  let api2: FakeBotApi;
  let dir2: string;
  const procs: BotProcess[] = [];
  const start = async () => {
    const bot = await startBotProcess({ api: api2, dataDir: dir2, env: { ADMIN_IDS: String(ADMIN), OUTGOING_RATE: "50", BROADCAST_RATE: "50", REMINDER_CRON: "*/3 * * * * *" } });
    procs.push(bot);
    return bot;
  };

  beforeAll(async () => {
    dir2 = await makeTempDataDir("broadcast-e2e-");
    const store = await openE2EStore(dir2);
    const now = new Date().toISOString();
    await Promise.all(ids.map((id) => store.users.put({ id, chatId: id, name: `用户${id}`, roles: [], subscribed: true, reachable: true, createdAt: now })));
    await store.close();
    api2 = await startFakeBotApi({ rateLimit: { perSecond: 50, perChat: { perSecond: 1, burst: 3 } } });
  });

  afterAll(async () => {
    for (const bot of procs) await bot.stop().catch(() => undefined);
    await api2?.close();
    if (dir2) await removeTempDataDir(dir2);
  });

  it("subscribes and unsubscribes; refuses admin commands to others; a confirmed broadcast survives kill -9 and reports on one message", { timeout: 45_000 }, async () => {
    await start();
    const user = 30_001;
    api2.sendText(user, "/subscribe");
    await api2.waitForMessage(user, "已订阅截止提醒");
    api2.sendText(user, "/unsubscribe");
    await api2.waitForMessage(user, "已退订");
    api2.sendText(user, "/broadcast 大家好");
    await api2.waitForMessage(user, "仅限管理员");
    api2.sendText(user, "/deadline 2099-01-01 测试");
    await api2.waitForMessage(user, "仅限管理员");

    api2.sendText(ADMIN, "/deadline 2025-02-30 测试");
    await api2.waitForMessage(ADMIN, "不存在");

    const text = "请于3月1日前提交<申报书>和盖章材料 & 汇总表";
    api2.sendText(ADMIN, `/broadcast ${text}`);
    const confirm = await api2.waitForMessage(ADMIN, "确认群发");
    api2.tapButton(ADMIN, confirm, "确认发送");
    const isBroadcast = (chatId: number) => api2.transcript(chatId).filter((o) => o.kind === "sent" && o.text.includes("<申报书>")).length;
    await api2.waitFor(throttled(() => ids.filter((id) => isBroadcast(id) > 0).length >= 70), 10_000, "a third of the broadcast");
    await procs.at(-1)!.kill9();
    const acceptedBeforeKill = new Set(ids.filter((id) => isBroadcast(id) > 0));
    const noted = await notedAtKill(dir2, ids, async (store) => (await store.broadcasts.unfinished()).map((b) => broadcastDelivery(b.id)));
    expect(noted.size).toBeGreaterThan(0); // the ledger was read: a third had been sent

    await start();
    const done = await api2.waitFor(() => api2.botMessages(ADMIN).find((m) => m.messageId === confirm.messageId && m.text.includes("群发完成")), 20_000, "final report");
    expect(done.text).toMatch(/已发送 20[01]/); // the admin gets it too
    const counts = ids.map(isBroadcast);
    expect(counts.filter((n) => n === 0)).toEqual([]);
    expectOnlyUnnotedRepeats(counts, ids, noted, acceptedBeforeKill, "/broadcast");
    // the progress was shown by editing that one message
    expect(api2.transcript(ADMIN).filter((o) => o.messageId === confirm.messageId && o.kind === "edited").length).toBeGreaterThanOrEqual(2);
    // the unsubscribed user got nothing
    expect(isBroadcast(user)).toBe(0);
  });
});
