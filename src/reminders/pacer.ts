/**
 * Paces outgoing messages: one global slot every 1/rate seconds (a token bucket that never banks a
 * burst, so no 1-second sliding window sees more than `rate` sends), at most one message per chat
 * per `perChatMs`, and a global pause after a 429.
 *
 * Slots are reserved in call order, so concurrent callers get evenly spaced, distinct slots. The
 * spacing keeps a small headroom below the configured rate: the server counts arrivals, which jitter
 * by a few milliseconds, and the bot's interactive replies share the same limit.
 */

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (without error) when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
};

export interface PacerOptions {
  /** Messages per second across all chats. */
  rate: number;
  /** Fraction of the rate actually used (default 0.94). */
  headroom?: number;
  /** Minimum spacing of two messages to one chat (default 1000 ms). */
  perChatMs?: number;
  clock?: Clock;
}

/** After this long without a 429, the rate goes back to normal. */
const SLOWDOWN_RECOVERY_MS = 5_000;
const MAX_SLOWDOWN = 4;
/** Behind the beat by more than this (idle, or a long stall): restart the beat instead of catching up. */
const MAX_LAG_MS = 250;
/**
 * The half-interval spacing is kept only where it is at least this long. Below it, keeping it
 * means a timer per send, and timers fire at 1 ms resolution and later on a busy event loop: at
 * BROADCAST_RATE=1000 that alone held a broadcast to about 800 msg/s (efficiency 0.76–0.84 with an
 * instant send, bench/broadcast.ts). There, sends behind the beat go out together in one turn;
 * the beat (at most MAX_LAG_MS of catch-up) and the 1-second window still bound every burst.
 */
const MIN_SPACING_MS = 2;

export class Pacer {
  readonly clock: Clock;
  readonly perChatMs: number;
  readonly #baseInterval: number;
  /** Sends allowed in any 1-second window (rate × headroom). */
  readonly #windowCap: number;
  /** Start times of the last #windowCap sends (a ring). */
  readonly #recent: number[] = [];
  #ring = 0;
  /** The beat: when the next send is due. */
  #next = 0;
  #last = -Infinity;
  #pausedUntil = 0;
  #slowdown = 1;
  #last429 = 0;
  readonly #chatNext = new Map<number, number>();

  constructor(opts: PacerOptions) {
    if (!(opts.rate > 0)) throw new Error(`Pacer: rate must be positive, got ${opts.rate}`);
    this.clock = opts.clock ?? realClock;
    this.perChatMs = opts.perChatMs ?? 1000;
    const effective = opts.rate * (opts.headroom ?? 0.94);
    this.#baseInterval = 1000 / effective;
    this.#windowCap = Math.max(1, Math.floor(effective));
  }

  /** Current spacing between two sends, in ms. */
  get interval(): number {
    return this.#baseInterval * this.#slowdown;
  }

  /**
   * Waits until this chat may receive a message and a global slot is free, and takes both.
   * Returns false if the signal aborted first (nothing is taken then).
   */
  async acquire(chatId: number, signal?: AbortSignal): Promise<boolean> {
    const { clock } = this;
    // The chat's own spacing first, without holding a global slot meanwhile.
    for (;;) {
      if (signal?.aborted) return false;
      const wait = (this.#chatNext.get(chatId) ?? 0) - clock.now();
      if (wait <= 0) break;
      await clock.sleep(wait, signal);
    }
    // Check and take happen in one synchronous step, so concurrent callers never share a slot.
    for (;;) {
      if (signal?.aborted) return false;
      const now = clock.now();
      const wait = this.waitMs(now);
      if (wait <= 0) {
        this.take(now);
        this.#chatNext.set(chatId, now + this.perChatMs);
        this.#forgetOldChats(now);
        return true;
      }
      await clock.sleep(wait, signal);
    }
  }

  /** How long until a global slot is free (0: one is free now). Takes nothing. */
  waitMs(now: number): number {
    return Math.max(0, this.#earliest(now) - now);
  }

  /** Takes the global slot that waitMs() said is free (callers check first, in the same turn). */
  take(now: number): void {
    this.#take(now);
  }

  /**
   * The beat advances one interval per send, so timers firing a little late do not slow a long
   * broadcast down: a caller behind the beat may go at once, but never closer than half an
   * interval to the previous send (where that is ≥ MIN_SPACING_MS), and never more than
   * #windowCap sends in any 1 s (a sliding window, like the server's). Idle or stalled for long:
   * the beat restarts, no burst is banked.
   */
  #beat(now: number): number {
    const beat = now - this.#next > MAX_LAG_MS ? now : this.#next;
    return Math.max(beat, this.#pausedUntil);
  }

  #earliest(now: number): number {
    if (this.#slowdown > 1 && now - this.#last429 > SLOWDOWN_RECOVERY_MS) this.#slowdown = 1;
    const windowFull = this.#recent.length >= this.#windowCap;
    const windowOpen = windowFull ? this.#recent[this.#ring]! + 1000 : -Infinity;
    const spacing = this.interval / 2 >= MIN_SPACING_MS ? this.interval / 2 : 0;
    return Math.max(this.#beat(now), this.#last + spacing, windowOpen);
  }

  #take(now: number): void {
    this.#next = this.#beat(now) + this.interval;
    this.#last = now;
    if (this.#recent.length < this.#windowCap) this.#recent.push(now);
    else {
      this.#recent[this.#ring] = now;
      this.#ring = (this.#ring + 1) % this.#windowCap;
    }
  }

  /** A 429: nobody sends for `ms`, and the pace slows down for a while. */
  tooManyRequests(ms: number, chatId?: number): void {
    const now = this.clock.now();
    this.#last429 = now;
    this.#pausedUntil = Math.max(this.#pausedUntil, now + ms);
    this.#slowdown = Math.min(MAX_SLOWDOWN, this.#slowdown * 1.1);
    if (chatId !== undefined) this.#chatNext.set(chatId, Math.max(this.#chatNext.get(chatId) ?? 0, now + ms));
  }

  #forgetOldChats(now: number): void {
    if (this.#chatNext.size < 10_000) return;
    for (const [chat, at] of this.#chatNext) if (at <= now) this.#chatNext.delete(chat);
  }
}
