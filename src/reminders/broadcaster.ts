/**
 * Sends one delivery (a reminder or a one-off broadcast) to many chats, once each:
 *
 * - `send` is the outgoing path's bulk entry (src/outgoing/outbox.ts): it paces (one pace shared
 *   with every reply, replies first), waits out 429s and retries 5xx itself; the broadcaster only
 *   keeps enough sends queued there to reach the rate;
 * - a send whose outcome is unknown (DeliveryUnknownError: timed out or cut off after it went out)
 *   is recorded as reached and not sent again: Telegram may have delivered it, and resending such
 *   sends is what gave 2 of 1,176 recipients the same reminder twice;
 * - 429 reaching here (a send function without the outbox): wait retry_after, then retry;
 * - 5xx and network errors: retry with exponential backoff; after maxAttempts the chat is left for
 *   the next run (not recorded, so it is tried again at the next tick);
 * - 403 (blocked, deactivated): the user is marked unreachable and recorded as given up, so they
 *   are never tried again for this delivery; 400 for one chat (chat not found, …) is given up too;
 * - 401/404 (bad token, wrong API root): the whole broadcast stops, nothing is recorded;
 * - every success is recorded in the ledger at once (in memory; the ledger group-commits to disk),
 *   so a crash repeats at most the sends in flight and the last uncommitted batch.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { InlineKeyboardMarkup } from "grammy/types";
import type { LedgerRepo } from "../store/types.js";
import { DeliveryUnknownError } from "../outgoing/outbox.js";
import { realClock, type Clock } from "./pacer.js";

export interface OutgoingMessage {
  /** Telegram HTML, escaped, ≤ 4096 characters. */
  text: string;
  replyMarkup?: InlineKeyboardMarkup;
}

export type SendFn = (chatId: number, message: OutgoingMessage) => Promise<unknown>;

export type Failure =
  | { kind: "rate"; retryAfterMs: number; description: string }
  | { kind: "blocked"; description: string }
  | { kind: "rejected"; description: string }
  | { kind: "transient"; description: string }
  | { kind: "unknown"; description: string }
  | { kind: "fatal"; description: string };

/** Sorts an error from the Bot API (grammY's GrammyError/HttpError, or anything shaped like them). */
export function classifyError(err: unknown): Failure {
  const e = err as { error_code?: unknown; description?: unknown; parameters?: { retry_after?: unknown }; message?: unknown } | null;
  const description = typeof e?.description === "string" ? e.description : typeof e?.message === "string" ? e.message : String(err);
  const code = typeof e?.error_code === "number" ? e.error_code : undefined;
  if (err instanceof DeliveryUnknownError) return { kind: "unknown", description };
  if (code === undefined) return { kind: "transient", description }; // network error, timeout, HttpError
  if (code === 429) {
    const seconds = typeof e?.parameters?.retry_after === "number" ? e.parameters.retry_after : 1;
    return { kind: "rate", retryAfterMs: Math.max(0, seconds) * 1000, description };
  }
  if (code === 403) return { kind: "blocked", description };
  if (code === 400) return { kind: "rejected", description };
  if (code >= 500) return { kind: "transient", description };
  return { kind: "fatal", description };
}

export interface Progress {
  total: number;
  sent: number;
  /** Includes the deferred ones: not sent in this run, but not given up either. */
  failed: number;
  remaining: number;
  /** Of `failed`, those left for a later run (claimed by another instance, retries exhausted for now). */
  deferred?: number;
}

export interface BroadcastResult extends Progress {
  /** 429 answers met. */
  tooManyRequests: number;
  /** Retries after 5xx/network errors. */
  retries: number;
  /** Chats answered 403. */
  blocked: number;
  /** Sends whose outcome is unknown (timed out after they went out): recorded, not repeated. */
  uncertain: number;
  /** Failed for now (transient errors exhausted): not recorded, tried again next run. */
  deferred: number;
  /** Ended early (stop requested, or a fatal error). */
  stopped: boolean;
  fatal?: string;
  elapsedMs: number;
}

export interface BroadcastJob {
  /** Ledger key, e.g. "deadline:d1:3" or "broadcast:b1". */
  delivery: string;
  chats: readonly number[];
  /** The message for one chat; undefined skips the chat (nothing recorded). */
  render(chatId: number): OutgoingMessage | undefined | Promise<OutgoingMessage | undefined>;
}

export interface BroadcastLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface BroadcastDeps {
  send: SendFn;
  /** Default: the real clock. */
  clock?: Clock;
  /** With claim/release (the store's ledger), each chat is claimed before its send, so of several instances on one database exactly one sends it. */
  ledger: Pick<LedgerRepo, "has" | "missing" | "record" | "flush"> & Partial<Pick<LedgerRepo, "claim" | "release">>;
  /** Who claims (default: this process). */
  owner?: string;
  /**
   * Called synchronously the moment a chat is reached, before the ledger records it (which is
   * durable only after its group commit): a crash-proof note, so a kill -9 in between does not
   * send it again (the scheduler's journal of sends).
   */
  onReached?(chatId: number): void;
  /** A 403: mark the user unreachable (users.put reachable: false). */
  markUnreachable(chatId: number): Promise<void>;
  onProgress?(progress: Progress): void | Promise<void>;
  /** Minimum time between two onProgress calls (default 1000 ms); the final one always comes. */
  progressEveryMs?: number;
  /** Aborting stops dispatching; sends in flight finish and are recorded. */
  signal?: AbortSignal;
  /** Checked before each send (e.g. the deadline was deleted). */
  shouldStop?(): boolean | Promise<boolean>;
  /** Requests in flight at once (default 64). */
  maxInFlight?: number;
  /** Attempts per chat for 5xx/network errors (default 5). */
  maxAttempts?: number;
  /** Delay before retry number `attempt` (1-based) after a 5xx/network error. */
  backoffMs?(attempt: number): number;
  /** 429s tolerated per chat before leaving it for the next run (default 10). */
  maxRateHits?: number;
  logger?: BroadcastLogger;
}

const silent: BroadcastLogger = { info() {}, warn() {}, error() {} };

/** This process as a ledger claimant: another instance's claims are not ours. */
const PROCESS_OWNER = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
/**
 * How long a claimed chat stays ours without being recorded: a killed instance's chats pass to
 * another after this (the sends it had in flight may then repeat: at-least-once).
 */
const CLAIM_LEASE_MS = 30_000;

const WAIT_OVER = new Error("broadcast wait over");

export function defaultBackoff(attempt: number): number {
  const base = Math.min(30_000, 1000 * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

interface Item {
  chatId: number;
  message: OutgoingMessage;
  attempt: number;
  rateHits: number;
  readyAt: number;
}

export async function broadcast(job: BroadcastJob, deps: BroadcastDeps): Promise<BroadcastResult> {
  const { ledger, signal } = deps;
  const clock = deps.clock ?? realClock;
  const log = deps.logger ?? silent;
  const maxInFlight = deps.maxInFlight ?? 64;
  const maxAttempts = deps.maxAttempts ?? 5;
  const maxRateHits = deps.maxRateHits ?? 10;
  const backoff = deps.backoffMs ?? defaultBackoff;
  const progressEvery = deps.progressEveryMs ?? 1000;
  const owner = deps.owner ?? PROCESS_OWNER;
  const started = clock.now();

  const queue = await ledger.missing(job.delivery, [...new Set(job.chats)]);
  const r: BroadcastResult = { total: queue.length, sent: 0, failed: 0, remaining: queue.length, tooManyRequests: 0, retries: 0, blocked: 0, uncertain: 0, deferred: 0, stopped: false, elapsedMs: 0 };
  const retryQueue: Item[] = [];
  const tasks = new Set<Promise<void>>();
  const records: Promise<void>[] = [];
  let cursor = 0;
  let fatal: string | undefined;

  // A promise that settles whenever a send completes, so the loop can wait for "something changed".
  let notify!: () => void;
  let changed = new Promise<void>((res) => (notify = res));
  const signalChange = () => {
    const n = notify;
    changed = new Promise<void>((res) => (notify = res));
    n();
  };
  // Aborting counts as a change. The timer is cancelled when something changes first: at 1,000
  // sends/s, uncancelled 1-s timers (and their listeners on the shared abort signal) piled up by
  // the thousand.
  const onAbort = () => signalChange();
  signal?.addEventListener("abort", onAbort, { once: true });
  const waitForChange = async (ms: number): Promise<void> => {
    const timer = new AbortController();
    try {
      await Promise.race([changed, clock.sleep(ms, timer.signal)]);
    } finally {
      timer.abort(WAIT_OVER); // with a reason: no DOMException built per wait
    }
  };
  // shouldStop asks the store: its answer is refreshed before each dispatch, and read synchronously in between.
  let stopRequested = false;
  const refreshStop = async () => {
    if (deps.shouldStop && !stopRequested) stopRequested = await deps.shouldStop();
  };
  const stopping = () => signal?.aborted === true || fatal !== undefined || stopRequested;

  const progress = (): Progress => ({ total: r.total, sent: r.sent, failed: r.failed, remaining: r.total - r.sent - r.failed, deferred: r.deferred });
  let lastProgress = clock.now();
  const maybeProgress = () => {
    if (!deps.onProgress || clock.now() - lastProgress < progressEvery) return;
    lastProgress = clock.now();
    Promise.resolve(deps.onProgress(progress())).catch((err: unknown) => log.warn({ err }, "broadcast progress report failed"));
  };

  /** Gives back a chat taken but not sent (left for a later run), so that run may take it at once. */
  const release = (chatId: number) => {
    ledger.release?.(job.delivery, chatId, owner).catch((err: unknown) => log.warn({ err, delivery: job.delivery, chatId }, "ledger release failed"));
  };

  const record = (chatId: number) => {
    try {
      deps.onReached?.(chatId);
    } catch (err) {
      log.error({ err, delivery: job.delivery, chatId }, "cannot note a send in the journal");
    }
    records.push(ledger.record(job.delivery, chatId).catch((err: unknown) => log.error({ err, delivery: job.delivery, chatId }, "ledger record failed")));
  };

  const attempt = async (item: Item): Promise<void> => {
    try {
      await deps.send(item.chatId, item.message);
      r.sent++;
      record(item.chatId);
      return;
    } catch (err) {
      const f = classifyError(err);
      const now = clock.now();
      switch (f.kind) {
        case "rate":
          r.tooManyRequests++;
          if (++item.rateHits <= maxRateHits) {
            retryQueue.push({ ...item, readyAt: now + f.retryAfterMs });
          } else {
            r.failed++;
            r.deferred++;
            release(item.chatId);
          }
          return;
        case "blocked":
          r.failed++;
          r.blocked++;
          record(item.chatId);
          await deps.markUnreachable(item.chatId).catch((e: unknown) => log.error({ err: e, chatId: item.chatId }, "cannot mark a user unreachable"));
          return;
        case "unknown":
          r.sent++;
          r.uncertain++;
          record(item.chatId);
          log.warn({ chatId: item.chatId, delivery: job.delivery, description: f.description }, "send outcome unknown; recorded as reached, not repeated");
          return;
        case "rejected":
          r.failed++;
          record(item.chatId);
          log.warn({ chatId: item.chatId, delivery: job.delivery, description: f.description }, "message refused for this chat; given up");
          return;
        case "transient":
          if (item.attempt + 1 < maxAttempts) {
            r.retries++;
            retryQueue.push({ ...item, attempt: item.attempt + 1, readyAt: now + backoff(item.attempt + 1) });
          } else {
            r.failed++;
            r.deferred++;
            release(item.chatId);
            log.warn({ chatId: item.chatId, delivery: job.delivery, description: f.description }, "send kept failing; left for the next run");
          }
          return;
        case "fatal":
          r.failed++;
          r.deferred++;
          release(item.chatId);
          fatal ??= f.description;
          log.error({ delivery: job.delivery, description: f.description }, "broadcast stopped by a fatal API error");
          return;
      }
    }
  };

  for (;;) {
    await refreshStop();
    if (stopping()) break;
    const now = clock.now();
    let item: Item | undefined;
    const ready = retryQueue.findIndex((x) => x.readyAt <= now);
    if (ready >= 0) {
      item = retryQueue.splice(ready, 1)[0]!;
    } else if (cursor < queue.length) {
      const chatId = queue[cursor++]!;
      // Take the chat: recorded meanwhile is done; claimed by another instance is left for a later run
      // (if that instance dies, its lease runs out and the chat is sent then).
      const mine = ledger.claim ? (await ledger.claim(job.delivery, [chatId], owner, CLAIM_LEASE_MS)).length > 0 : !(await ledger.has(job.delivery, chatId));
      if (!mine) {
        if (!ledger.claim || (await ledger.has(job.delivery, chatId))) r.total--;
        else {
          r.failed++;
          r.deferred++;
        }
        continue;
      }
      let message: OutgoingMessage | undefined;
      try {
        message = await job.render(chatId);
      } catch (err) {
        log.error({ err, chatId, delivery: job.delivery }, "cannot render the message; chat left for the next run");
      }
      if (!message) {
        r.total--;
        release(chatId);
        continue;
      }
      item = { chatId, message, attempt: 0, rateHits: 0, readyAt: now };
    } else if (retryQueue.length > 0) {
      const soonest = retryQueue.reduce((m, x) => Math.min(m, x.readyAt), Infinity);
      await waitForChange(Math.max(1, Math.min(1000, soonest - now)));
      continue;
    } else if (tasks.size > 0) {
      await changed;
      continue;
    } else {
      break;
    }

    // No timer for a free slot: a send in flight always settles (and signals), so does an abort. A
    // timer and an AbortController per send were ~12% of the bot's main thread at 1,000 sends/s.
    while (tasks.size >= maxInFlight && !stopping()) await changed;
    await refreshStop();
    if (stopping()) {
      retryQueue.push(item); // not sent: stays unrecorded for a later run
      break;
    }
    const task: Promise<void> = attempt(item).finally(() => {
      tasks.delete(task);
      signalChange();
    });
    tasks.add(task);
    maybeProgress();
  }

  await Promise.allSettled([...tasks]);
  signal?.removeEventListener("abort", onAbort);
  for (const item of retryQueue) release(item.chatId);
  await Promise.all(records);
  await ledger.flush().catch((err: unknown) => log.error({ err, delivery: job.delivery }, "ledger flush failed"));
  const p = progress();
  r.remaining = p.remaining;
  r.stopped = r.remaining > 0 || fatal !== undefined;
  if (fatal !== undefined) r.fatal = fatal;
  r.elapsedMs = clock.now() - started;
  if (deps.onProgress) await Promise.resolve(deps.onProgress(p)).catch((err: unknown) => log.warn({ err }, "broadcast progress report failed"));
  return r;
}
