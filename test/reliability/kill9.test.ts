/**
 * kill -9, repeatedly, at random moments, against the real bot process and the HTTP fake Bot API:
 *
 * - during declaration saves: six users fill in declarations (simulated users deciding each step
 *   from the bot's last reply) while the bot is killed and restarted five times. Every answer the
 *   bot acknowledged with "已保存" is in the store afterwards, the store opens cleanly after every
 *   crash (the bot restarts on it), nothing is submitted twice and reference numbers are unique.
 * - during a broadcast: a deadline reminder to 400 subscribers at 100 msg/s, killed three times
 *   mid-way: every subscriber is reached, and only messages in flight at a crash may repeat.
 *   (test/e2e/reminders.test.ts covers one kill at a third of 1,000 subscribers, and /broadcast.)
 */
import { afterAll, describe, expect, it } from "vitest";
import { httpDriver } from "../../bench/http-driver.js";
import { SimUser } from "../../bench/simulated-users.js";
import { rng } from "../../bench/store-seed.js";
import { addDays } from "../../src/domain/reminders.js";
import { todayIn } from "../../src/domain/time.js";
import { openStore } from "../../src/store/index.js";
import type { UserRecord } from "../../src/store/types.js";
import { makeTempDataDir, removeTempDataDir, startBotProcess, type BotProcess } from "../support/bot-process.js";
import { startFakeBotApi } from "../support/fake-bot-api.js";
import { damage } from "./support.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

describe("kill -9 during declaration saves", () => {
  it("loses no acknowledged answer, corrupts nothing, submits nothing twice", async () => {
    const api = await startFakeBotApi();
    const dataDir = await makeTempDataDir("rel-kill-declare-");
    // This emulator has no per-chat limit: the users walk at their own pace, not Telegram's 1/s per chat.
    const env = { OUTGOING_PER_CHAT_RATE: "20", OUTGOING_PER_CHAT_BURST: "20" };
    let bot: BotProcess = await startBotProcess({ api, dataDir, env });
    cleanup.push(async () => {
      await bot.stop();
      await api.close();
      await removeTempDataDir(dataDir);
    });
    const r = rng(99);
    const driver = httpDriver(api);
    const users = Array.from({ length: 6 }, (_, i) => new SimUser(9101 + i, driver, rng(i + 1), [], undefined, [["declaration", 1]]));
    /** Typed answers acknowledged with 已保存, per user. */
    const acked = new Map<number, Set<string>>(users.map((u) => [u.id, new Set()]));
    let acks = 0;
    let unanswered = 0;
    let stop = false;

    const walkOne = async (user: SimUser) => {
      while (!stop) {
        const before = api.transcript(user.id).at(-1)?.seq ?? 0;
        const action = user.next();
        try {
          await api.waitFor(() => (api.transcript(user.id).at(-1)?.seq ?? 0) > before, 8000, "reply");
        } catch {
          unanswered++; // handled by a process that was killed, after its offset was confirmed
          continue;
        }
        // A reply may be several messages, paced by the outgoing path: wait until the chat is quiet.
        for (let seen = -1; seen !== api.transcript(user.id).length; ) {
          seen = api.transcript(user.id).length;
          await sleep(300);
        }
        const replies = api.transcript(user.id).filter((o) => o.seq > before);
        const typed = action.update.message?.text;
        if (typed && !typed.startsWith("/") && replies.some((o) => o.text.startsWith("💾 已保存"))) {
          acked.get(user.id)!.add(typed);
          acks++;
        }
      }
    };
    const walking = Promise.all(users.map(walkOne));

    const KILLS = 5;
    const MIN_ACKS = 15;
    for (let k = 0; k < KILLS; k++) {
      await sleep(300 + Math.floor(r() * 900));
      await bot.kill9();
      // Whatever the crash left, the store must open cleanly: the bot starts on it.
      bot = await startBotProcess({ api, dataDir, env });
    }
    // Walk on until enough answers were acknowledged to make the check below meaningful (on a busy
    // machine restarts take seconds, so a fixed time would prove little).
    await api.waitFor(() => acks >= MIN_ACKS, 60_000, `${MIN_ACKS} acknowledged answers`).catch(() => undefined);
    stop = true;
    await walking;
    await api.waitForUpdatesConfirmed(10_000);
    await bot.stop();

    expect(damage(dataDir)).toEqual({ temp: [], unparsable: [] });
    const store = await openStore(dataDir);
    try {
      let checked = 0;
      for (const u of users) {
        const records = [...(await store.drafts.byOwner(u.id)), ...(await store.declarations.byOwner(u.id))].map((x) => JSON.stringify(x.answers));
        for (const value of acked.get(u.id)!) {
          checked++;
          // Lists (协同单位) are stored split at 、; every part must be there.
          const parts = value.split("、").map((p) => JSON.stringify(p).slice(1, -1));
          expect(records.some((json) => parts.every((p) => json.includes(p))), `user ${u.id}: acknowledged "${value}" not stored`).toBe(true);
        }
      }
      const declarations = (await store.declarations.find({}, { limit: 1000 })).items;
      expect(new Set(declarations.map((d) => d.ref)).size).toBe(declarations.length);
      const fromDrafts = declarations.map((d) => d.fromDraft).filter((id): id is string => !!id);
      expect(new Set(fromDrafts).size).toBe(fromDrafts.length);
      // Submission is one unit of work: a submitted declaration's draft is gone, and its audit entry is there.
      for (const d of declarations) {
        if (d.fromDraft) expect(await store.drafts.get(d.fromDraft), `${d.ref}: draft left behind`).toBeUndefined();
        expect(await store.audit.count({ target: d.ref, action: "declaration.submitted" }), `${d.ref}: audit entry`).toBe(1);
      }
      const openDrafts = await store.drafts.count();
      console.log(
        `[kill -9 declarations] ${KILLS} kills; ${acks} acknowledged answers (${checked} distinct, all stored); ${declarations.length} declarations submitted; ${openDrafts} drafts open; ${unanswered} updates unanswered (their process was killed after confirming them)`,
      );
      expect(acks).toBeGreaterThanOrEqual(MIN_ACKS);
    } finally {
      await store.close();
    }
  }, 150_000);
});

describe("kill -9 during a broadcast", () => {
  it("reaches every subscriber after repeated crashes; only messages in flight repeat", async () => {
    const ADMIN = 1;
    const RATE = 100;
    const ids = Array.from({ length: 400 }, (_, i) => 40_001 + i);
    const dataDir = await makeTempDataDir("rel-kill-broadcast-");
    const seed = await openStore(dataDir, { fsync: false });
    const now = new Date().toISOString();
    await Promise.all(ids.map((id) => seed.users.put({ id, chatId: id, name: `用户${id}`, roles: [], subscribed: true, reachable: true, createdAt: now } satisfies UserRecord)));
    await seed.close();
    const api = await startFakeBotApi({ rateLimit: { perSecond: RATE, perChat: { perSecond: 1, burst: 3 } } });
    const env = { ADMIN_IDS: String(ADMIN), BROADCAST_RATE: String(RATE), REMINDER_CRON: "*/2 * * * * *" };
    let bot = await startBotProcess({ api, dataDir, env });
    cleanup.push(async () => {
      await bot.stop();
      await api.close();
      await removeTempDataDir(dataDir);
    });
    const title = "材料补交截止";
    const subscribers = new Set(ids);
    const received = () => {
      const counts = new Map<number, number>();
      for (const c of api.calls("sendMessage")) {
        if (c.status === 200 && subscribers.has(c.chatId!) && String(c.params.text ?? "").includes(title)) counts.set(c.chatId!, (counts.get(c.chatId!) ?? 0) + 1);
      }
      return counts;
    };
    api.sendText(ADMIN, `/deadline ${addDays(todayIn(new Date(), "Asia/Shanghai"), 3)} ${title}`);
    await api.waitForMessage(ADMIN, "已添加截止日期", 10_000);

    const r = rng(7);
    const KILLS = 3;
    for (let k = 0; k < KILLS; k++) {
      const reached = received().size;
      // Some way into this run of the broadcast, at a random point.
      const target = Math.min(ids.length - 20, reached + 20 + Math.floor(r() * 80));
      await api.waitFor(() => received().size >= target, 20_000, `broadcast past ${target}`);
      await bot.kill9();
      bot = await startBotProcess({ api, dataDir, env });
    }
    await api.waitFor(() => received().size >= ids.length, 30_000, "every subscriber reached");
    await sleep(2500); // a cron tick more sends nothing
    const counts = received();
    const duplicates = [...counts.values()].reduce((s, n) => s + n - 1, 0);
    console.log(`[kill -9 broadcast] ${KILLS} kills; ${counts.size}/${ids.length} reached; ${duplicates} duplicate(s)`);
    for (const id of ids) expect(counts.get(id) ?? 0, `subscriber ${id}`).toBeGreaterThanOrEqual(1);
    expect(duplicates).toBeLessThanOrEqual(5 * KILLS);
  }, 90_000);
});
