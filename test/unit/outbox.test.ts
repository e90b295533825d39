/**
 * The outgoing path on a virtual clock: the rate and per-chat limits, replies before bulk sends,
 * retry_after, and which failures end a send. Outcomes only: times are the virtual clock's.
 */
import { HttpError } from "grammy";
import { describe, expect, it } from "vitest";
import { StaleSocketError } from "../../src/outgoing/json-transport.js";
import { CallTimeoutError, DeliveryUnknownError, Outbox, type Priority } from "../../src/outgoing/outbox.js";
import type { Clock } from "../../src/reminders/pacer.js";

/** Time moves only when every pending callback has run and something sleeps. */
function virtualClock() {
  let t = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  const clock: Clock = {
    now: () => t,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const timer = { at: t + Math.max(0, ms), resolve };
        timers.push(timer);
        signal?.addEventListener("abort", () => {
          timers.splice(timers.indexOf(timer), 1);
          resolve();
        });
      }),
  };
  const settle = () => new Promise<void>((r) => setImmediate(r));
  /** Runs until `done` resolves, advancing the clock to the next timer whenever everything waits. */
  async function run<T>(done: Promise<T>): Promise<T> {
    let finished = false;
    const result = done.finally(() => (finished = true));
    result.catch(() => {}); // the caller handles it; not "unhandled" while the clock runs
    for (let i = 0; i < 1_000_000 && !finished; i++) {
      await settle();
      if (finished) break;
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (!next) {
        await settle();
        continue;
      }
      t = Math.max(t, next.at);
      next.resolve();
    }
    return result;
  }
  return { clock, run, now: () => t };
}

type Answer = { ok: true; result: unknown } | { ok: false; error_code: number; description: string; parameters?: { retry_after: number } };

/** A scripted Bot API behind the outbox: per chat a list of answers (default ok), a log of calls. */
function fakeApi(now: () => number, script: Record<number, (Answer | Error)[]> = {}) {
  const calls: { chatId: number; at: number; text: string; ok: boolean }[] = [];
  const prev = async (_method: string, payload: { chat_id: number; text: string }) => {
    const next = script[payload.chat_id]?.shift();
    calls.push({ chatId: payload.chat_id, at: now(), text: payload.text, ok: next === undefined || (!(next instanceof Error) && next.ok) });
    if (next instanceof Error) throw next;
    return next ?? { ok: true as const, result: { message_id: calls.length } };
  };
  return { prev, calls };
}

function setup(opts: { rate?: number; bulkRate?: number; burst?: number } = {}, script?: Record<number, (Answer | Error)[]>) {
  const v = virtualClock();
  const outbox = new Outbox({ rate: opts.rate ?? 100, bulkRate: opts.bulkRate, perChatBurst: opts.burst ?? 3, clock: v.clock, backoffMs: () => 1000 });
  const api = fakeApi(v.now, script);
  const send = (priority: Priority, chatId: number, text = "hi", method = "sendMessage") =>
    outbox.transformer(priority)(api.prev as never, method as never, { chat_id: chatId, text } as never) as unknown as Promise<Answer>;
  return { ...v, outbox, api, send };
}

const maxInWindow = (times: number[], windowMs = 1000) => {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
};

describe("outbox limits", () => {
  it("never exceeds the global rate in any 1-second window, and delivers everything once", async () => {
    const { run, api, send } = setup({ rate: 50 });
    const results = await run(Promise.all(Array.from({ length: 300 }, (_, i) => send("bulk", 1000 + i))));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(api.calls).toHaveLength(300);
    expect(new Set(api.calls.map((c) => c.chatId)).size).toBe(300);
    expect(maxInWindow(api.calls.map((c) => c.at))).toBeLessThanOrEqual(50);
  });

  it("keeps bulk sends under BROADCAST_RATE while replies may use the whole rate", async () => {
    const { run, api, send } = setup({ rate: 100, bulkRate: 20 });
    await run(Promise.all([...Array.from({ length: 100 }, (_, i) => send("bulk", 1000 + i, "bulk")), ...Array.from({ length: 150 }, (_, i) => send("reply", 5000 + i, "reply"))]));
    expect(maxInWindow(api.calls.filter((c) => c.text === "bulk").map((c) => c.at))).toBeLessThanOrEqual(20);
    expect(maxInWindow(api.calls.map((c) => c.at))).toBeLessThanOrEqual(100);
  });

  it("allows a short burst to one chat, then about one message per second, in order", async () => {
    const { run, api, send } = setup({ burst: 3 });
    await run(Promise.all(Array.from({ length: 8 }, (_, i) => send("reply", 7, `m${i}`))));
    expect(api.calls.map((c) => c.text)).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7"]);
    const at = api.calls.map((c) => c.at);
    expect(at[2]! - at[0]!).toBeLessThan(100); // the burst
    // Sustained: the bucket refills at 1/s (a little refilled during the burst itself).
    for (let i = 4; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(999);
    expect(maxInWindow(at)).toBeLessThanOrEqual(4);
  });

  it("sends a reply before every queued bulk send", async () => {
    const { run, api, send } = setup({ rate: 10 });
    const bulk = Array.from({ length: 40 }, (_, i) => send("bulk", 1000 + i, "bulk"));
    const reply = send("reply", 42, "reply");
    await run(Promise.all([...bulk, reply]));
    const position = api.calls.findIndex((c) => c.text === "reply");
    // Whatever was already started may go first; the reply takes the next free slot.
    expect(position).toBeLessThanOrEqual(2);
  });
});

describe("outbox batches at high rates", () => {
  it("sends bulk messages in batches a tick apart, within the rate, and a reply at once between them", async () => {
    const v = virtualClock();
    const outbox = new Outbox({ rate: 1000, perChatBurst: 3, clock: v.clock, bulkTickMs: 5 });
    const api = fakeApi(v.now);
    const send = (priority: Priority, chatId: number, text: string) =>
      outbox.transformer(priority)(api.prev as never, "sendMessage" as never, { chat_id: chatId, text } as never) as unknown as Promise<Answer>;
    const bulk = Array.from({ length: 2000 }, (_, i) => send("bulk", 1000 + i, "bulk"));
    // A reply asked 12.5 ms in (between two batches) goes at once, not at the next batch.
    let replyAskedAt = -1;
    const reply = v.clock.sleep(12.5).then(() => ((replyAskedAt = v.now()), send("reply", 42, "reply")));
    await v.run(Promise.all([...bulk, reply]));
    const bulkTimes = api.calls.filter((c) => c.text === "bulk").map((c) => c.at);
    expect(bulkTimes).toHaveLength(2000);
    const instants = [...new Set(bulkTimes)].sort((x, y) => x - y);
    // Several per batch, the batches at least a tick apart…
    expect(bulkTimes.length / instants.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < instants.length; i++) expect(instants[i]! - instants[i - 1]!).toBeGreaterThanOrEqual(5);
    // …and still within the rate in every 1-second window (with the pace's headroom).
    expect(maxInWindow(bulkTimes)).toBeLessThanOrEqual(940);
    expect(api.calls.find((c) => c.text === "reply")!.at).toBe(replyAskedAt);
  });
});

describe("outbox failures", () => {
  const tooMany = (s: number): Answer => ({ ok: false, error_code: 429, description: `Too Many Requests: retry after ${s}`, parameters: { retry_after: s } });

  it("waits out retry_after after a 429: that chat alone for one chat's 429, everyone when different chats get one", async () => {
    const { run, api, send } = setup({ rate: 100 }, { 5: [tooMany(3)], 6: [tooMany(2), tooMany(2)], 7: [tooMany(2)] });
    const others = Array.from({ length: 10 }, (_, i) => send("reply", 100 + i));
    const results = await run(Promise.all([send("reply", 5, "first"), ...others]));
    expect(results.every((r) => r.ok)).toBe(true);
    const hit = api.calls.find((c) => c.chatId === 5 && !c.ok)!;
    const retry = api.calls.find((c) => c.chatId === 5 && c.ok)!;
    expect(retry.at - hit.at).toBeGreaterThanOrEqual(3000);
    // The others were not held up by chat 5's pause.
    expect(api.calls.filter((c) => c.chatId >= 100).every((c) => c.at - hit.at < 1000)).toBe(true);

    // Now two chats meet a 429 at once: the global limit, so nobody sends for retry_after.
    api.calls.length = 0;
    const second = await run(Promise.all([send("reply", 6), send("reply", 7), ...Array.from({ length: 5 }, (_, i) => send("reply", 200 + i))]));
    expect(second.every((r) => r.ok)).toBe(true);
    const bothHit = Math.max(...api.calls.filter((c) => !c.ok && c.chatId === 7).map((c) => c.at));
    for (const c of api.calls.filter((x) => x.at > bothHit)) expect(c.at - bothHit).toBeGreaterThanOrEqual(2000);
  });

  it("a reply is never dropped because the API was busy: 429s, 5xx and network errors until it goes through", async () => {
    const script = [tooMany(1), { ok: false as const, error_code: 502, description: "Bad Gateway" }, new HttpError("Network request failed", new Error("ECONNRESET")), tooMany(2), new CallTimeoutError("sendMessage", 30)];
    const { run, api, send } = setup({}, { 9: [...script, ...script] });
    const r = await run(send("reply", 9));
    expect(r.ok).toBe(true);
    expect(api.calls).toHaveLength(11);
  });

  it("ends a send on 403 or a 400 at once (one call), answering the error", async () => {
    const { run, api, send } = setup({}, {
      3: [{ ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" }],
      4: [{ ok: false, error_code: 400, description: "Bad Request: chat not found" }],
    });
    const [a, b] = await run(Promise.all([send("reply", 3), send("bulk", 4)]));
    expect(a).toMatchObject({ ok: false, error_code: 403 });
    expect(b).toMatchObject({ ok: false, error_code: 400 });
    expect(api.calls).toHaveLength(2);
  });

  it("does not resend a bulk send that timed out after it went out: DeliveryUnknownError, one call", async () => {
    const { run, api, send } = setup({}, { 8: [new CallTimeoutError("sendMessage", 30)] });
    await expect(run(send("bulk", 8))).rejects.toBeInstanceOf(DeliveryUnknownError);
    expect(api.calls).toHaveLength(1);
  });

  it("resends a bulk send the server never received (connection refused), and gives up on 5xx after a few attempts", async () => {
    const refused = new HttpError("Network request failed", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    const bad = { ok: false as const, error_code: 500, description: "Internal Server Error" };
    const { run, api, send } = setup({}, { 1: [refused], 2: [bad, bad, bad, bad, bad, bad] });
    const [a, b] = await run(Promise.all([send("bulk", 1), send("bulk", 2)]));
    expect(a.ok).toBe(true);
    expect(b).toMatchObject({ ok: false, error_code: 500 });
    expect(api.calls.filter((c) => c.chatId === 2)).toHaveLength(5);
  });

  it("resends a bulk send reset on a reused keep-alive socket (never read: not 'outcome unknown')", async () => {
    const stale = new HttpError("Network request failed", new StaleSocketError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" })));
    const cut = new HttpError("Network request failed", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    const { run, api, send } = setup({}, { 1: [stale], 2: [cut] });
    const [a, b] = await run(Promise.allSettled([send("bulk", 1), send("bulk", 2)]));
    expect(a).toMatchObject({ status: "fulfilled", value: { ok: true } });
    expect(api.calls.filter((c) => c.chatId === 1)).toHaveLength(2);
    // A reset that may have been read stays unknown: one call, no resend.
    expect(b.status === "rejected" && b.reason).toBeInstanceOf(DeliveryUnknownError);
    expect(api.calls.filter((c) => c.chatId === 2)).toHaveLength(1);
  });
});
