/**
 * The one outgoing path: every Bot API call the bot makes (replies, edits, callback answers,
 * documents, broadcasts, nudges, digests) passes through one Outbox, installed as a grammY API
 * transformer. It
 *
 * - keeps within Telegram's limits: a global pace (OUTGOING_RATE msg/s, a sliding 1-second window
 *   with a little headroom, see Pacer) and per chat a token bucket (OUTGOING_PER_CHAT_RATE msg/s
 *   sustained, OUTGOING_PER_CHAT_BURST at once); bulk sends also stay under BROADCAST_RATE;
 * - sends one call per chat at a time, in order, so a chat's messages never overtake each other;
 * - gives replies priority: a queued reply goes before any queued bulk send;
 * - honours retry_after: after a 429 the chat gets nothing until it has passed (after 429s for
 *   different chats, nobody does, and the pace slows for a while), then the call is sent again — a
 *   reply waits its turn, it is never dropped;
 * - retries 5xx and network errors with backoff (replies until delivered, bulk a few times);
 * - returns 400/401/403/404 answers at once: only Telegram refusing the call ends a send.
 *
 * A call whose outcome is unknown (timed out or cut off after it was sent: Telegram may have
 * delivered it) is sent again for a reply (a lost reply is worse than a repeated one) but not for a
 * bulk send: it rejects with DeliveryUnknownError, and the broadcaster records the chat as reached.
 * Resending such calls was how a broadcast to 1,176 reached two people twice.
 *
 * Why hand-written and not bottleneck or p-queue: grammY's docs deprecate transformer-throttler
 * (bottleneck, unmaintained since 2019) in favour of auto-retry, and auto-retry alone bounds its
 * attempts, so under a surge replies reached handlers as errors (697 of 1,200). p-queue has
 * priorities but neither per-key limits nor a sliding window (its interval is a fixed window, which
 * lets twice the cap through across a boundary). What we need is one small scheduler: priority
 * queues, a lane per chat and the existing Pacer as the global gate.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { HttpError, type Transformer } from "grammy";
import { Pacer, realClock, type Clock } from "../reminders/pacer.js";
import { whenWritten } from "./answered.js";

export type Priority = "reply" | "bulk";
const PRIORITIES: readonly Priority[] = ["reply", "bulk"];

/** Calls Telegram counts as messages (global and per-chat limits). */
const PACED_METHODS = /^(send|edit|copy|forward|stopPoll)/;
/** Calls that are not a send: setup, polling, files. They pass straight through. */
const DIRECT_METHODS = new Set(["getUpdates", "getMe", "setWebhook", "deleteWebhook", "getWebhookInfo", "setMyCommands", "deleteMyCommands", "getMyCommands", "getFile", "logOut", "close", "getChat"]);
/**
 * Network failures that prove the request never reached the server: safe to send again.
 * ESTALESOCKET: a reused keep-alive socket reset before any answer (json-transport.ts), which Node
 * documents as the request not having reached the server; not "outcome unknown".
 */
const NOT_SENT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ESTALESOCKET"]);

export interface OutboxOptions {
  /** Messages per second across all chats (Telegram: about 30). */
  rate: number;
  /** Bulk sends (broadcasts, reminders) per second, at most `rate`. */
  bulkRate?: number;
  /** Sustained messages per second to one chat (Telegram: about 1). */
  perChatRate?: number;
  /** Messages one chat may receive at once before the per-chat rate applies. */
  perChatBurst?: number;
  /** Calls in flight at once (default 64); bulk sends may use at most 3/4 of them. */
  maxInFlight?: number;
  /**
   * Bulk messages go out in batches at most this often (default: 5 ms at 200 msg/s or more, else
   * every slot): each batch is what the pace allows by then, so at 1,000 msg/s a timer and an
   * event-loop turn serve about five sends, not one. Replies never wait for a batch.
   */
  bulkTickMs?: number;
  /** Attempts of a bulk call after 5xx/network errors before it fails (default 5). */
  bulkAttempts?: number;
  /** Delay before retry number `attempt` after a 5xx/network error (default 0.5 s doubling to 30 s). */
  backoffMs?(attempt: number): number;
  clock?: Clock;
  /**
   * Called after every successful message send or edit (not callback answers, which handlers give
   * before their work), with the update being handled when it was queued, if any.
   */
  onSent?(info: { method: string; chatId: number | undefined; updateId: number | undefined; priority: Priority }): void;
  /**
   * A reply's request (message send or edit, while an update was handled) has been written to the
   * socket: it will reach Telegram even if the process dies now. notDelivered: Telegram refused it.
   */
  onWritten?(updateId: number): void;
  onNotDelivered?(updateId: number): void;
  logger?: { warn(obj: object, msg?: string): void };
}

/** A bulk send that timed out or was cut off after it went out: Telegram may or may not have delivered it. */
export class DeliveryUnknownError extends Error {
  constructor(
    readonly method: string,
    cause: unknown,
  ) {
    super(`${method}: outcome unknown (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = "DeliveryUnknownError";
  }
}

/** Thrown by callTimeout() when its own timer cut the call off (the server may have handled it). */
export class CallTimeoutError extends HttpError {
  constructor(method: string, seconds: number) {
    super(`Bot API call ${method} not answered within ${seconds} s`, new Error("timeout"));
    this.name = "CallTimeoutError";
  }
}

/** Which update is being handled, so the outbox can tell the inbox "this one has been answered". */
export const handlingUpdate = new AsyncLocalStorage<{ updateId: number }>();

/** grammY's own AbortSignal type (from abort-controller) differs from the DOM one; only these are used. */
type Signal = {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: "abort", fn: () => void, opts?: { once?: boolean }): void;
  removeEventListener(type: "abort", fn: () => void): void;
};
type ApiResponse = { ok: boolean; error_code?: number; description?: string; parameters?: { retry_after?: number } };
type Call = () => Promise<ApiResponse>;

interface Job {
  seq: number;
  method: string;
  chatId: number | undefined;
  priority: Priority;
  paced: boolean;
  call: Call;
  attempt: number;
  notBefore: number;
  updateId: number | undefined;
  signal: Signal | undefined;
  resolve(r: ApiResponse): void;
  reject(e: unknown): void;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function defaultOutboxBackoff(attempt: number): number {
  return Math.min(30_000, 500 * 2 ** (attempt - 1));
}

export class Outbox {
  readonly clock: Clock;
  readonly #pacer: Pacer;
  readonly #bulkPacer: Pacer | undefined;
  readonly #perChatRate: number;
  readonly #burst: number;
  readonly #maxInFlight: number;
  readonly #maxBulkInFlight: number;
  readonly #bulkAttempts: number;
  readonly #backoff: (attempt: number) => number;
  readonly #opts: OutboxOptions;
  readonly #queues: Record<Priority, Job[]> = { reply: [], bulk: [] };
  /** Queued jobs that are not messages (callback answers, chat actions…): not held by the pace. */
  readonly #unpaced: Record<Priority, number> = { reply: 0, bulk: 0 };
  readonly #busyChats = new Set<number>();
  readonly #bySignal = new Map<Signal, { jobs: Set<Job>; onAbort: () => void }>();
  readonly #buckets = new Map<number, Bucket>();
  #inFlight = 0;
  #bulkInFlight = 0;
  #seq = 0;
  #timer: AbortController | undefined;
  #timerAt = Infinity;
  #pumping = false;
  readonly #bulkTickMs: number;
  /** Bulk messages may next go out at this instant (the next batch). */
  #bulkBatchAt = 0;
  #recent429: { chat: number | undefined; at: number }[] = [];
  readonly #stats = { sent: 0, tooManyRequests: 0, retries: 0 };

  constructor(opts: OutboxOptions) {
    this.#opts = opts;
    this.clock = opts.clock ?? realClock;
    this.#pacer = new Pacer({ rate: opts.rate, clock: this.clock });
    this.#bulkPacer = opts.bulkRate !== undefined && opts.bulkRate < opts.rate ? new Pacer({ rate: opts.bulkRate, clock: this.clock }) : undefined;
    this.#perChatRate = opts.perChatRate ?? 1;
    this.#burst = Math.max(1, opts.perChatBurst ?? 3);
    this.#maxInFlight = Math.max(1, opts.maxInFlight ?? 64);
    this.#maxBulkInFlight = Math.max(1, Math.floor(this.#maxInFlight * 0.75));
    this.#bulkAttempts = Math.max(1, opts.bulkAttempts ?? 5);
    this.#backoff = opts.backoffMs ?? defaultOutboxBackoff;
    this.#bulkTickMs = Math.max(0, opts.bulkTickMs ?? (Math.min(opts.rate, opts.bulkRate ?? opts.rate) >= 200 ? 5 : 0));
  }

  /** Sends so far, 429s met, retries made (for logs and benchmarks). */
  get stats(): Readonly<{ sent: number; tooManyRequests: number; retries: number; queued: number; inFlight: number }> {
    return { ...this.#stats, queued: this.#queues.reply.length + this.#queues.bulk.length, inFlight: this.#inFlight };
  }

  /** The transformer for one entry point: the bot's own Api (replies) or the broadcaster's (bulk). */
  transformer(priority: Priority): Transformer {
    return (prev, method, payload, signal) => {
      if (DIRECT_METHODS.has(method)) return prev(method, payload, signal);
      const chat = (payload as { chat_id?: unknown } | undefined)?.chat_id;
      const chatId = typeof chat === "number" ? chat : typeof chat === "string" && /^-?\d+$/.test(chat) ? Number(chat) : undefined;
      const call = () => prev(method, payload, signal) as Promise<ApiResponse>;
      return this.#enqueue({ method, chatId, priority, paced: PACED_METHODS.test(method), call, signal: signal as Signal | undefined }) as never;
    };
  }

  #enqueue(j: Pick<Job, "method" | "chatId" | "priority" | "paced" | "call" | "signal">): Promise<ApiResponse> {
    return new Promise<ApiResponse>((resolve, reject) => {
      if (j.signal?.aborted) return reject(abortError(j.signal));
      // Only a reply answers the update being handled (a broadcast started by a command does not).
      const updateId = j.priority === "reply" ? handlingUpdate.getStore()?.updateId : undefined;
      const job: Job = { ...j, seq: ++this.#seq, attempt: 0, notBefore: 0, updateId, resolve, reject };
      this.#queue(job, "back");
      if (j.signal) {
        this.#watchSignal(job, j.signal);
        const off = () => this.#unwatchSignal(job, j.signal!);
        job.resolve = (r) => (off(), resolve(r));
        job.reject = (e) => (off(), reject(e));
      }
      this.#pump();
    });
  }

  /**
   * Aborted while queued: taken out and rejected. One listener per caller signal, not one per job:
   * every send of a broadcast shares the reminders' signal, and an EventTarget's listener list is
   * scanned on every add and remove.
   */
  #watchSignal(job: Job, signal: Signal): void {
    let w = this.#bySignal.get(signal);
    if (!w) {
      const jobs = new Set<Job>();
      const onAbort = () => {
        this.#bySignal.delete(signal);
        for (const queued of jobs) {
          const i = this.#queues[queued.priority].indexOf(queued);
          if (i >= 0) {
            this.#unqueue(queued, i);
            queued.reject(abortError(signal));
          }
        }
      };
      w = { jobs, onAbort };
      this.#bySignal.set(signal, w);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    w.jobs.add(job);
  }

  #unwatchSignal(job: Job, signal: Signal): void {
    const w = this.#bySignal.get(signal);
    if (!w) return;
    w.jobs.delete(job);
    if (w.jobs.size === 0) {
      this.#bySignal.delete(signal);
      signal.removeEventListener("abort", w.onAbort);
    }
  }

  /** Starts every job that may go now; sets one timer for the soonest one that may go later. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    let batched = false;
    try {
      for (;;) {
        const now = this.clock.now();
        const pick = this.#pick(now);
        if (pick.job) {
          batched ||= pick.job.paced && pick.job.priority === "bulk";
          this.#start(pick.job, now);
          continue;
        }
        if (batched && this.#bulkTickMs > 0) {
          // This batch is out: the next one after a tick (queued bulk jobs wait for it); look again.
          this.#bulkBatchAt = now + this.#bulkTickMs;
          batched = false;
          continue;
        }
        this.#wakeAt(pick.wakeAt);
        return;
      }
    } finally {
      this.#pumping = false;
    }
  }

  #pick(now: number): { job?: Job; wakeAt: number } {
    let wakeAt = Infinity;
    if (this.#inFlight >= this.#maxInFlight) return { wakeAt };
    const globalWait = this.#pacer.waitMs(now);
    for (const priority of PRIORITIES) {
      const bulk = priority === "bulk";
      if (bulk && this.#bulkInFlight >= this.#maxBulkInFlight) continue;
      let gateWait = bulk && this.#bulkPacer ? Math.max(globalWait, this.#bulkPacer.waitMs(now)) : globalWait;
      if (bulk) gateWait = Math.max(gateWait, this.#bulkBatchAt - now);
      const queue = this.#queues[priority];
      // The gate is shut and every queued job is a message: nothing here can go before it opens.
      // (Saves a scan of the queue per send when the pace, not the chats, is what holds it back.)
      if (gateWait > 0 && this.#pacedOnly(priority)) {
        if (queue.length > 0) wakeAt = Math.min(wakeAt, now + gateWait);
        continue;
      }
      // Chats seen in this scan: a later job of a chat never goes before an earlier one.
      const blocked = new Set<number>();
      for (let i = 0; i < queue.length; i++) {
        const job = queue[i]!;
        const chat = job.chatId;
        if (chat !== undefined && (blocked.has(chat) || this.#busyChats.has(chat))) {
          if (chat !== undefined) blocked.add(chat);
          continue;
        }
        let readyAt = job.notBefore;
        if (job.paced) {
          readyAt = Math.max(readyAt, now + gateWait);
          if (chat !== undefined) readyAt = Math.max(readyAt, this.#chatReadyAt(chat, now));
        }
        if (readyAt <= now) {
          this.#unqueue(job, i);
          return { job, wakeAt };
        }
        wakeAt = Math.min(wakeAt, readyAt);
        if (chat !== undefined) blocked.add(chat);
      }
    }
    return { wakeAt };
  }

  #queue(job: Job, where: "front" | "back"): void {
    if (where === "front") this.#queues[job.priority].unshift(job);
    else this.#queues[job.priority].push(job);
    if (!job.paced) this.#unpaced[job.priority]++;
  }

  #unqueue(job: Job, index: number): void {
    this.#queues[job.priority].splice(index, 1);
    if (!job.paced) this.#unpaced[job.priority]--;
  }

  #pacedOnly(priority: Priority): boolean {
    return this.#unpaced[priority] === 0;
  }

  #chatReadyAt(chat: number, now: number): number {
    const b = this.#bucket(chat, now);
    return b.tokens >= 1 ? now : now + ((1 - b.tokens) / this.#perChatRate) * 1000;
  }

  #bucket(chat: number, now: number): Bucket {
    let b = this.#buckets.get(chat);
    if (!b) {
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(chat, b);
      if (this.#buckets.size > 50_000) this.#forgetFullBuckets(now);
    }
    b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#perChatRate);
    b.at = now;
    return b;
  }

  #forgetFullBuckets(now: number): void {
    for (const [chat, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.#perChatRate >= this.#burst && !this.#busyChats.has(chat)) this.#buckets.delete(chat);
    }
  }

  #wakeAt(at: number): void {
    if (at === Infinity || at >= this.#timerAt) return;
    this.#timer?.abort(REARMED); // with a reason: no DOMException built per re-arm
    const timer = new AbortController();
    this.#timer = timer;
    this.#timerAt = at;
    void this.clock.sleep(Math.max(0, at - this.clock.now()), timer.signal).then(() => {
      if (timer.signal.aborted) return;
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#pump();
    });
  }

  #start(job: Job, now: number): void {
    if (job.paced) {
      this.#pacer.take(now);
      if (job.priority === "bulk") this.#bulkPacer?.take(now);
      if (job.chatId !== undefined) this.#bucket(job.chatId, now).tokens -= 1;
    }
    if (job.chatId !== undefined) this.#busyChats.add(job.chatId);
    this.#inFlight++;
    if (job.priority === "bulk") this.#bulkInFlight++;
    void this.#run(job);
  }

  async #run(job: Job): Promise<void> {
    let outcome: { retry: boolean; delayMs: number } = { retry: false, delayMs: 0 };
    // Replies of an update are watched on the wire (answered.ts), so a crash cannot repeat them.
    const watched = job.paced && job.priority === "reply" && job.updateId !== undefined ? job.updateId : undefined;
    let written = false;
    const markWritten = () => {
      written = true;
      this.#hook(() => this.#opts.onWritten?.(watched!));
    };
    try {
      const res = watched === undefined ? await job.call() : await whenWritten(markWritten, job.call);
      if (written && !res.ok) this.#hook(() => this.#opts.onNotDelivered?.(watched!));
      outcome = this.#afterResponse(job, res);
    } catch (err) {
      if (written) this.#hook(() => this.#opts.onNotDelivered?.(watched!));
      outcome = this.#afterThrow(job, err);
    } finally {
      if (job.chatId !== undefined) this.#busyChats.delete(job.chatId);
      this.#inFlight--;
      if (job.priority === "bulk") this.#bulkInFlight--;
    }
    if (outcome.retry) {
      if (job.signal?.aborted) {
        job.reject(abortError(job.signal));
      } else {
        job.notBefore = this.clock.now() + outcome.delayMs;
        // Back in front of its queue: it stays ahead of its chat's later messages.
        this.#queue(job, "front");
      }
    }
    this.#pump();
  }

  #hook(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#opts.logger?.warn({ err }, "outbox hook failed");
    }
  }

  #afterResponse(job: Job, res: ApiResponse): { retry: boolean; delayMs: number } {
    if (res.ok) {
      if (job.paced) {
        this.#stats.sent++;
        try {
          this.#opts.onSent?.({ method: job.method, chatId: job.chatId, updateId: job.updateId, priority: job.priority });
        } catch (err) {
          this.#opts.logger?.warn({ err }, "outbox onSent failed");
        }
      }
      job.resolve(res);
      return { retry: false, delayMs: 0 };
    }
    const code = res.error_code ?? 0;
    if (job.method === "answerCallbackQuery" && code === 400 && /query is too old|query ID is invalid/.test(res.description ?? "")) {
      // The spinner already stopped (answered before a crash, or too late): nothing for the handler to fix.
      job.resolve({ ok: true, result: true } as ApiResponse);
      return { retry: false, delayMs: 0 };
    }
    if (code === 429) {
      this.#stats.tooManyRequests++;
      const ms = Math.max(1, res.parameters?.retry_after ?? 1) * 1000;
      const now = this.clock.now();
      // A 429 for one chat (too fast in that chat) holds that chat; 429s for different chats within
      // a second mean the global limit: then nobody sends until retry_after has passed.
      this.#recent429 = this.#recent429.filter((x) => x.at > now - 1000);
      this.#recent429.push({ chat: job.chatId, at: now });
      if (job.chatId === undefined || new Set(this.#recent429.map((x) => x.chat)).size >= 2) this.#pacer.tooManyRequests(ms);
      if (job.chatId !== undefined) {
        const b = this.#bucket(job.chatId, now);
        b.tokens = Math.min(b.tokens, 0);
      }
      this.#stats.retries++;
      return { retry: true, delayMs: ms };
    }
    if (code >= 500 && (job.priority === "reply" || job.attempt + 1 < this.#bulkAttempts)) {
      job.attempt++;
      this.#stats.retries++;
      return { retry: true, delayMs: this.#backoff(job.attempt) };
    }
    job.resolve(res); // Telegram refused the call (400, 403, …) or a bulk call kept failing: the caller decides
    return { retry: false, delayMs: 0 };
  }

  #afterThrow(job: Job, err: unknown): { retry: boolean; delayMs: number } {
    if (job.signal?.aborted || !(err instanceof HttpError)) {
      job.reject(err);
      return { retry: false, delayMs: 0 };
    }
    const notSent = NOT_SENT_CODES.has(String((err.error as { code?: unknown } | undefined)?.code ?? ""));
    if (job.priority === "bulk") {
      if (!notSent && job.paced) {
        // It may have been delivered: sending it again could repeat it.
        job.reject(new DeliveryUnknownError(job.method, err));
        return { retry: false, delayMs: 0 };
      }
      if (job.attempt + 1 >= this.#bulkAttempts) {
        job.reject(err);
        return { retry: false, delayMs: 0 };
      }
    }
    job.attempt++;
    this.#stats.retries++;
    if (job.attempt % 5 === 0) this.#opts.logger?.warn({ err, method: job.method, attempt: job.attempt }, "Bot API unreachable; the call waits and is retried");
    return { retry: true, delayMs: this.#backoff(job.attempt) };
  }
}

/** Why the outbox's own timer was cancelled (a set-aside reason: Node builds a DOMException otherwise). */
const REARMED = new Error("outbox timer re-armed");

function abortError(signal: Signal): unknown {
  return signal.reason ?? new Error("aborted");
}

/**
 * Aborts any Bot API call not answered within `seconds` (getUpdates: within its long-poll timeout
 * plus `seconds`), so a half-open connection cannot hold up a chat for grammY's default of 500 s.
 * Installed innermost: the outbox sees a CallTimeoutError and decides whether to send again.
 */
export function callTimeout(seconds: number): Transformer {
  return async (prev, method, payload, signal) => {
    const longPoll = method === "getUpdates" ? Number((payload as { timeout?: number }).timeout ?? 0) : 0;
    const timer = new AbortController();
    let timedOut = false;
    const handle = setTimeout(
      () => {
        timedOut = true;
        timer.abort();
      },
      (longPoll + seconds) * 1000,
    );
    // The caller's signal (polling stopping) still aborts the call too.
    const forward = () => timer.abort();
    signal?.addEventListener("abort", forward);
    if (signal?.aborted) timer.abort();
    try {
      return await prev(method, payload, timer.signal as unknown as typeof signal);
    } catch (err) {
      if (timedOut) throw new CallTimeoutError(method, longPoll + seconds);
      throw err;
    } finally {
      clearTimeout(handle);
      signal?.removeEventListener("abort", forward);
    }
  };
}
