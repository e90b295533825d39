import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GrammyError, HttpError } from "grammy";
import { afterEach, describe, expect, it } from "vitest";
import { parseDeadlineArgs, parseScope } from "../../src/bot/features/reminders.js";
import { daysLeft, deliveryKey, dueOffset, dueReminders, upcomingDeadlines } from "../../src/domain/reminders.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { broadcast, classifyError, type OutgoingMessage } from "../../src/reminders/broadcaster.js";
import { audience, reminderRenderer } from "../../src/reminders/content.js";
import { DeliveryUnknownError } from "../../src/outgoing/outbox.js";
import { Pacer, type Clock } from "../../src/reminders/pacer.js";
import { openStore, type StoreHandle } from "../../src/store/index.js";
import type { DeadlineRecord, LedgerRepo, UserRecord } from "../../src/store/types.js";

const TZ = "Asia/Shanghai";
const OFFSETS = [7, 3, 1, 0];

function deadline(date: string, id = "d1", extra: Partial<DeadlineRecord> = {}): DeadlineRecord {
  return { id, date, title: "国培项目申报材料提交", scope: { kind: "all" }, createdBy: 1, createdAt: "2025-01-01T00:00:00.000Z", ...extra };
}

/** 09:00 in Shanghai on a calendar day. */
const at9 = (day: string) => new Date(`${day}T01:00:00.000Z`);

describe("due reminders", () => {
  it("follows the offsets day by day: 7, then 7 until the 3-day day, 3, 1 and 0, nothing after", () => {
    const d = [deadline("2025-03-10")];
    const due = (day: string) => dueReminders(d, OFFSETS, at9(day), TZ).map((r) => r.offset);
    expect(due("2025-03-01")).toEqual([]); // 9 days left
    expect(due("2025-03-02")).toEqual([]); // 8 days left
    expect(due("2025-03-03")).toEqual([7]);
    expect(due("2025-03-06")).toEqual([7]); // 4 days left: still the 7-day one (already sent → nothing new)
    expect(due("2025-03-07")).toEqual([3]);
    expect(due("2025-03-08")).toEqual([3]);
    expect(due("2025-03-09")).toEqual([1]);
    expect(due("2025-03-10")).toEqual([0]);
    expect(due("2025-03-11")).toEqual([]);
  });

  it("keys deliveries by deadline and offset, with days left in calendar days", () => {
    const [r] = dueReminders([deadline("2025-03-10", "abc")], OFFSETS, at9("2025-03-07"), TZ);
    expect(r).toMatchObject({ offset: 3, daysLeft: 3, delivery: "deadline:abc:3" });
    expect(deliveryKey("abc", 0)).toBe("deadline:abc:0");
  });

  it("catches up after days of downtime with the latest due offset only", () => {
    // The bot was down from before the 7-day day until 2 days before the deadline.
    const r = dueReminders([deadline("2025-03-10")], OFFSETS, at9("2025-03-08"), TZ);
    expect(r.map((x) => x.offset)).toEqual([1 + 2]); // the 3-day reminder, not the 7-day one too
    expect(r).toHaveLength(1);
  });

  it("a deadline added 3 days ahead is due at once with the 3-day reminder; a far one is not", () => {
    const now = at9("2025-03-07");
    const r = dueReminders([deadline("2025-03-10", "near"), deadline("2025-04-30", "far")], OFFSETS, now, TZ);
    expect(r.map((x) => x.delivery)).toEqual(["deadline:near:3"]);
  });

  it("sends nothing for past deadlines, and lists only coming ones", () => {
    const ds = [deadline("2025-03-01", "past"), deadline("2025-03-05", "today"), deadline("2025-03-06", "tomorrow")];
    const now = at9("2025-03-05");
    expect(dueReminders(ds, OFFSETS, now, TZ).map((x) => [x.deadline.id, x.offset])).toEqual([
      ["today", 0],
      ["tomorrow", 1],
    ]);
    expect(upcomingDeadlines(ds, now, TZ).map((x) => [x.deadline.id, x.daysLeft])).toEqual([
      ["today", 0],
      ["tomorrow", 1],
    ]);
  });

  it("without a 0 offset, a missed 1-day reminder still goes out on the deadline day", () => {
    expect(dueOffset(0, [7, 3, 1])).toBe(1);
    expect(dueOffset(-1, [7, 3, 1])).toBeUndefined();
    expect(dueOffset(8, [7, 3, 1])).toBeUndefined();
  });

  it("counts days in Asia/Shanghai across midnight (UTC+8)", () => {
    const d = [deadline("2025-03-01")];
    // 2025-02-28 23:59:59 in Shanghai: one day left.
    const before = new Date("2025-02-28T15:59:59Z");
    // 2025-03-01 00:00:00 in Shanghai: the deadline day.
    const midnight = new Date("2025-02-28T16:00:00Z");
    expect(daysLeft("2025-03-01", before, TZ)).toBe(1);
    expect(daysLeft("2025-03-01", midnight, TZ)).toBe(0);
    expect(dueReminders(d, OFFSETS, before, TZ).map((r) => r.offset)).toEqual([1]);
    expect(dueReminders(d, OFFSETS, midnight, TZ).map((r) => r.offset)).toEqual([0]);
    // The same instants read in UTC are both still 2025-02-28.
    expect(daysLeft("2025-03-01", midnight, "UTC")).toBe(1);
    // The deadline day ends at 24:00 Shanghai time, 16:00 UTC.
    expect(dueReminders(d, OFFSETS, new Date("2025-03-01T15:59:59Z"), TZ).map((r) => r.offset)).toEqual([0]);
    expect(dueReminders(d, OFFSETS, new Date("2025-03-01T16:00:00Z"), TZ)).toEqual([]);
  });

  it("the 7-day send day starts at 00:00 Shanghai time, not 00:00 UTC", () => {
    const d = [deadline("2025-03-08")];
    expect(dueReminders(d, OFFSETS, new Date("2025-02-28T15:59:59Z"), TZ)).toEqual([]); // Feb 28, 8 days left
    expect(dueReminders(d, OFFSETS, new Date("2025-02-28T16:00:00Z"), TZ).map((r) => r.offset)).toEqual([7]); // Mar 1
  });

  it("handles month and leap-year ends", () => {
    expect(daysLeft("2024-03-01", new Date("2024-02-28T04:00:00Z"), TZ)).toBe(2); // 2024 has Feb 29
    expect(daysLeft("2025-01-02", new Date("2024-12-31T16:30:00Z"), TZ)).toBe(1); // 2025-01-01 00:30 in Shanghai
  });
});

// ------------------------------------------------------------------ pacer

/** Virtual time: sleeping advances the clock at once. */
function virtualClock(): Clock & { t: number } {
  const c = {
    t: 1_000_000,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += Math.max(0, ms);
    },
  };
  return c;
}

describe("pacer", () => {
  it("spaces sends evenly below the rate, with no burst after idling", async () => {
    const clock = virtualClock();
    const pacer = new Pacer({ rate: 100, clock });
    const times: number[] = [];
    for (let chat = 1; chat <= 300; chat++) {
      await pacer.acquire(chat);
      times.push(clock.t);
    }
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 / 100);
    // any 1-second window holds at most 100 sends
    for (let i = 0; i < times.length; i++) expect(times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length).toBeLessThanOrEqual(100);
    // idle for a minute, then again evenly spaced (no banked tokens)
    clock.t += 60_000;
    const start = clock.t;
    for (let chat = 1000; chat < 1010; chat++) await pacer.acquire(chat);
    expect(clock.t - start).toBeGreaterThanOrEqual(9 * 10);
  });

  it("does not drift when timers fire late, and still never exceeds the rate in any 1-second window", async () => {
    const clock = virtualClock();
    const late = { ...clock, now: () => clock.t, sleep: async (ms: number) => void (clock.t += Math.max(0, ms) + 4) }; // every timer 4 ms late
    const pacer = new Pacer({ rate: 100, clock: late });
    const times: number[] = [];
    for (let chat = 1; chat <= 500; chat++) {
      await pacer.acquire(chat);
      times.push(clock.t);
    }
    const span = times.at(-1)! - times[0]!;
    expect(span).toBeLessThan((499 * 1000) / (100 * 0.94) + 50); // on the beat, not 4 ms × 500 later
    for (let i = 0; i < times.length; i++) expect(times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length).toBeLessThanOrEqual(100);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(pacer.interval / 2);
  });

  it("keeps about one message per second per chat", async () => {
    const clock = virtualClock();
    const pacer = new Pacer({ rate: 100, clock });
    await pacer.acquire(7);
    const first = clock.t;
    await pacer.acquire(7);
    expect(clock.t - first).toBeGreaterThanOrEqual(1000);
  });

  it("pauses everyone for retry_after after a 429, then sends slower for a while", async () => {
    const clock = virtualClock();
    const pacer = new Pacer({ rate: 100, clock });
    const base = pacer.interval;
    await pacer.acquire(1);
    const hit = clock.t;
    pacer.tooManyRequests(3000);
    await pacer.acquire(2);
    expect(clock.t - hit).toBeGreaterThanOrEqual(3000);
    expect(pacer.interval).toBeGreaterThan(base);
    clock.t += 6_000;
    await pacer.acquire(3);
    expect(pacer.interval).toBe(base);
  });
});

// ------------------------------------------------------------------ broadcaster

class MemoryLedger implements Pick<LedgerRepo, "has" | "missing" | "record" | "flush"> {
  readonly sets = new Map<string, Set<number>>();
  records = 0;
  async has(d: string, c: number) {
    return this.hasNow(d, c);
  }
  hasNow(d: string, c: number) {
    return this.sets.get(d)?.has(c) ?? false;
  }
  async missing(d: string, chats: readonly number[]) {
    return chats.filter((c) => !this.hasNow(d, c));
  }
  async record(d: string, c: number) {
    this.records++;
    let s = this.sets.get(d);
    if (!s) this.sets.set(d, (s = new Set()));
    s.add(c);
  }
  async flush() {}
}

const apiError = (code: number, description: string, retryAfter?: number) =>
  new GrammyError(`Call to 'sendMessage' failed! (${code}: ${description})`, { ok: false, error_code: code, description, ...(retryAfter ? { parameters: { retry_after: retryAfter } } : {}) }, "sendMessage", {});

interface Call {
  chatId: number;
  at: number;
  ok: boolean;
}

/** A fake sendMessage: scripted failures per chat, a little latency, a log of calls. */
function fakeSend(script: Record<number, (Error | undefined)[]> = {}, latencyMs = 5) {
  const calls: Call[] = [];
  const send = async (chatId: number, _m: OutgoingMessage) => {
    const at = Date.now();
    const err = script[chatId]?.shift();
    await new Promise((r) => setTimeout(r, latencyMs));
    calls.push({ chatId, at, ok: !err });
    if (err) throw err;
    return true;
  };
  return { send, calls };
}

const range = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);
const job = (chats: number[], delivery = "deadline:d1:3") => ({ delivery, chats, render: () => ({ text: "提醒" }) });

describe("broadcaster", () => {
  it("classifies Bot API errors", () => {
    expect(classifyError(apiError(429, "Too Many Requests: retry after 5", 5))).toMatchObject({ kind: "rate", retryAfterMs: 5000 });
    expect(classifyError(apiError(403, "Forbidden: bot was blocked by the user")).kind).toBe("blocked");
    expect(classifyError(apiError(400, "Bad Request: chat not found")).kind).toBe("rejected");
    expect(classifyError(apiError(502, "Bad Gateway")).kind).toBe("transient");
    expect(classifyError(new HttpError("Network request for 'sendMessage' failed!", new Error("ECONNRESET"))).kind).toBe("transient");
    expect(classifyError(apiError(401, "Unauthorized")).kind).toBe("fatal");
  });

  it("sends each chat once and records every success in the ledger, reporting progress", async () => {
    const { send, calls } = fakeSend();
    const ledger = new MemoryLedger();
    const progress: number[] = [];
    const r = await broadcast(job([...range(60), 7, 8]), {
      send,
      ledger,
      markUnreachable: async () => {},
      progressEveryMs: 0,
      onProgress: (p) => void progress.push(p.sent),
    });
    expect(r).toMatchObject({ total: 60, sent: 60, failed: 0, remaining: 0, tooManyRequests: 0 });
    expect(new Set(calls.map((c) => c.chatId)).size).toBe(60);
    expect(calls).toHaveLength(60);
    expect(ledger.sets.get("deadline:d1:3")?.size).toBe(60);
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBe(60);
  });

  it("honours a 429's retry_after reaching it: the chat is retried after the pause", async () => {
    const { send, calls } = fakeSend({ 5: [apiError(429, "Too Many Requests: retry after 1", 1)] }, 2);
    const ledger = new MemoryLedger();
    const r = await broadcast(job(range(20)), { send, ledger, markUnreachable: async () => {} });
    expect(r).toMatchObject({ sent: 20, failed: 0, tooManyRequests: 1 });
    const hit = calls.find((c) => c.chatId === 5 && !c.ok)!;
    const retry = calls.find((c) => c.chatId === 5 && c.ok)!;
    expect(retry.at - hit.at).toBeGreaterThanOrEqual(1000);
    expect(ledger.sets.get("deadline:d1:3")?.size).toBe(20);
  });

  it("never repeats a send whose outcome is unknown (timed out after it went out): recorded once, counted", async () => {
    const unknown = new DeliveryUnknownError("sendMessage", new HttpError("Bot API call sendMessage not answered within 1 s", new Error("timeout")));
    const { send, calls } = fakeSend({ 2: [unknown], 9: [unknown] });
    const ledger = new MemoryLedger();
    const r = await broadcast(job(range(10)), { send, ledger, markUnreachable: async () => {}, backoffMs: () => 1 });
    expect(calls.filter((c) => c.chatId === 2)).toHaveLength(1);
    expect(r).toMatchObject({ sent: 10, failed: 0, uncertain: 2, retries: 0 });
    expect(ledger.sets.get("deadline:d1:3")?.size).toBe(10);
  });

  it("retries 5xx and network errors with backoff", async () => {
    const { send, calls } = fakeSend({ 3: [apiError(502, "Bad Gateway"), apiError(500, "Internal Server Error")], 4: [new HttpError("Network request failed", new Error("ECONNRESET"))] });
    const ledger = new MemoryLedger();
    const backoffs: number[] = [];
    const r = await broadcast(job(range(6)), {
      send,
      ledger,
      markUnreachable: async () => {},
      backoffMs: (n) => (backoffs.push(n), 30 * n),
    });
    expect(r).toMatchObject({ sent: 6, failed: 0, retries: 3, deferred: 0 });
    expect(backoffs.sort()).toEqual([1, 1, 2]);
    expect(calls.filter((c) => c.chatId === 3).map((c) => c.ok)).toEqual([false, false, true]);
    expect(ledger.sets.get("deadline:d1:3")?.size).toBe(6);
  });

  it("leaves a chat whose sends keep failing for the next run, unrecorded", async () => {
    const { send } = fakeSend({ 2: Array.from({ length: 3 }, () => apiError(502, "Bad Gateway")) });
    const ledger = new MemoryLedger();
    const r = await broadcast(job(range(3)), { send, ledger, markUnreachable: async () => {}, maxAttempts: 3, backoffMs: () => 10 });
    expect(r).toMatchObject({ sent: 2, failed: 1, deferred: 1 });
    expect(ledger.hasNow("deadline:d1:3", 2)).toBe(false);
    // the next run sends it
    const again = await broadcast(job(range(3)), { send, ledger, markUnreachable: async () => {} });
    expect(again).toMatchObject({ total: 1, sent: 1 });
  });

  it("drops a blocked chat after one try: marked unreachable, recorded, never tried again", async () => {
    const blocked = () => apiError(403, "Forbidden: bot was blocked by the user");
    const { send, calls } = fakeSend({ 4: [blocked(), blocked(), blocked()] });
    const ledger = new MemoryLedger();
    const unreachable: number[] = [];
    const deps = { send, ledger, markUnreachable: async (c: number) => void unreachable.push(c) };
    const r = await broadcast(job(range(5)), deps);
    expect(r).toMatchObject({ sent: 4, failed: 1, blocked: 1, remaining: 0 });
    expect(unreachable).toEqual([4]);
    expect(ledger.hasNow("deadline:d1:3", 4)).toBe(true);
    const again = await broadcast(job(range(5)), deps);
    expect(again.total).toBe(0);
    expect(calls.filter((c) => c.chatId === 4)).toHaveLength(1);
  });

  it("stops when aborted; a later run finishes without repeating anyone", async () => {
    const { send, calls } = fakeSend();
    const ledger = new MemoryLedger();
    const abort = new AbortController();
    // Stopped once 20 sends have gone out (at any speed).
    const stopAt20: typeof send = async (chatId, m) => {
      if (calls.length >= 19) abort.abort();
      return send(chatId, m);
    };
    const r1 = await broadcast(job(range(100)), { send: stopAt20, ledger, markUnreachable: async () => {}, signal: abort.signal, maxInFlight: 4 });
    expect(r1.stopped).toBe(true);
    expect(r1.sent).toBeGreaterThan(10);
    expect(r1.sent).toBeLessThan(100);
    const r2 = await broadcast(job(range(100)), { send, ledger, markUnreachable: async () => {} });
    expect(r1.sent + r2.sent).toBe(100);
    expect(calls).toHaveLength(100);
    expect(new Set(calls.map((c) => c.chatId)).size).toBe(100);
  });

  it("stops on a fatal error (bad token) without recording anyone", async () => {
    const { send } = fakeSend({ 1: [apiError(401, "Unauthorized")] });
    const ledger = new MemoryLedger();
    const r = await broadcast(job([1, 2, 3]), { send, ledger, markUnreachable: async () => {} });
    expect(r.fatal).toBe("Unauthorized");
    expect(r.stopped).toBe(true);
    expect(ledger.hasNow("deadline:d1:3", 1)).toBe(false);
  });
});

// ------------------------------------------------------------------ content and commands

describe("reminder content and recipients", () => {
  const k = loadKnowledge();
  const dirs: string[] = [];
  const stores: StoreHandle[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  async function store(): Promise<StoreHandle> {
    const dir = mkdtempSync(join(tmpdir(), "reminders-unit-"));
    dirs.push(dir);
    const s = await openStore(dir, { fsync: false });
    stores.push(s);
    return s;
  }
  const user = (id: number, extra: Partial<UserRecord> = {}): UserRecord => ({ id, chatId: id, name: `U${id}`, roles: [], subscribed: false, reachable: true, createdAt: "2025-01-01T00:00:00.000Z", ...extra });

  it("reaches subscribers, coordinators, admins and draft owners, not unreachable or opted-out users", async () => {
    const s = await store();
    const sp = k.subProjects[0]!;
    await Promise.all([
      s.users.put(user(1, { subscribed: true })),
      s.users.put(user(2)), // nothing: not reached
      s.users.put(user(3, { subscribed: true, reachable: false })),
      s.users.put(user(4, { roles: ["coordinator"] })),
      s.users.put(user(5, { roles: ["coordinator"], unsubscribedAt: "2025-01-02T00:00:00.000Z" })),
      s.users.put(user(6)), // owns a draft
      s.drafts.put({ id: "dr6", ownerId: 6, stepId: "lead", answers: { plan: sp.plan, subProject: sp.id }, createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-01-01T00:00:00.000Z" }),
    ]);
    const ids = async (scope?: Parameters<typeof audience>[2]) => (await audience({ store: s, adminIds: [9] }, k, scope)).map((r) => r.chatId).sort((a, b) => a - b);
    expect(await ids()).toEqual([1, 4, 6, 9]);
    const otherPlan = sp.plan === "guopei" ? "qupei" : "guopei";
    expect(await ids({ kind: "plan", plan: otherPlan })).toEqual([1, 4, 9]); // the draft is for the other plan
    expect((await audience({ store: s, adminIds: [9] }, k)).find((r) => r.chatId === 4)?.staff).toBe(true);
  });

  it("says the deadline, date and days left; coordinators get a digest; draft owners a nudge with a resume button", async () => {
    const s = await store();
    const sp = k.subProjects[0]!;
    await s.users.put(user(1, { subscribed: true }));
    await s.users.put(user(4, { roles: ["coordinator"] }));
    await s.users.put(user(6));
    await s.drafts.put({ id: "dr6", ownerId: 6, stepId: "lead", answers: { plan: sp.plan, subProject: sp.id, institution: "新疆师范大学" }, createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-01-01T00:00:00.000Z" });
    const d = deadline("2025-03-10", "d1", { title: "材料提交 <附件> & 盖章" });
    const recipients = await audience({ store: s, adminIds: [] }, k);
    const render = reminderRenderer({ store: s, knowledge: k, now: at9("2025-03-07"), timeZone: TZ }, d, 3, recipients);

    const plain = await render(1);
    expect(plain.text).toContain("还剩3天");
    expect(plain.text).toContain("2025年3月10日（星期一）");
    expect(plain.text).toContain("材料提交 &lt;附件&gt; &amp; 盖章");
    expect(plain.text).not.toContain("申报进度");
    expect(plain.replyMarkup).toBeUndefined();

    const coordinator = await render(4);
    expect(coordinator.text).toContain("申报进度");
    expect(coordinator.text).toContain(sp.name); // the one sub-project with activity
    expect(coordinator.text.split("\n").filter((l) => l.startsWith("• "))).toHaveLength(1);

    const owner = await render(6);
    expect(owner.text).toContain("未提交的申报草稿");
    expect(owner.text).toContain(sp.name);
    expect(owner.text).toMatch(/待填：.*联系人/);
    expect(owner.replyMarkup?.inline_keyboard[0]?.[0]).toMatchObject({ callback_data: "dc|r|dr6" });
    for (const m of [plain, coordinator, owner]) expect(m.text.length).toBeLessThanOrEqual(4096);
  });
});

describe("/deadline arguments", () => {
  const k = loadKnowledge();
  const now = at9("2025-02-20");
  it("accepts a date and title, with an optional plan or sub-project scope", () => {
    expect(parseDeadlineArgs(k, "2025-03-01 申报材料提交", now, TZ)).toEqual({ ok: true, date: "2025-03-01", title: "申报材料提交", scope: { kind: "all" } });
    expect(parseDeadlineArgs(k, "2025/3/1 国培 申报材料提交", now, TZ)).toMatchObject({ scope: { kind: "plan", plan: "guopei" } });
    expect(parseDeadlineArgs(k, "2025-03-01 区培计划 材料", now, TZ)).toMatchObject({ scope: { kind: "plan", plan: "qupei" } });
    const sp = k.subProjects[0]!;
    expect(parseDeadlineArgs(k, `2025-03-01 ${sp.name} 材料`, now, TZ)).toMatchObject({ scope: { kind: "subProject", subProjectId: sp.id }, title: "材料" });
    expect(parseScope(k, sp.id)).toEqual({ kind: "subProject", subProjectId: sp.id });
    expect(parseDeadlineArgs(k, "2025-02-20 今天截止", now, TZ)).toMatchObject({ ok: true, date: "2025-02-20" });
  });

  it("refuses bad, unreal and past dates and a missing title, saying what to type", () => {
    const err = (args: string) => {
      const r = parseDeadlineArgs(k, args, now, TZ);
      return r.ok ? "" : r.error;
    };
    expect(err("")).toContain("用法：/deadline");
    expect(err("3月1日 材料")).toContain("日期格式不正确");
    expect(err("2025-02-30 材料")).toContain("不存在");
    expect(err("2025-02-19 材料")).toContain("已经过去");
    expect(err("2025-03-01")).toContain("请在日期后写上标题");
    expect(err("2205-03-01 材料")).toContain("请检查年份");
    expect(err(`2025-03-01 ${"长".repeat(61)}`)).toContain("最多60个字");
  });
});
