/**
 * Short-lived, single-use numeric codes the bot hands to a user: to log in at the coordinators' desk,
 * or to carry drafts between Telegram and the web. Held in memory (they live minutes; a restart
 * simply means asking for a new one). Codes are compared in constant time, and a user holds at most
 * one live code per purpose.
 */
import { randomInt } from "node:crypto";
import { safeEqual } from "./session.js";

export type CodePurpose = "desk" | "link";

interface Issued {
  code: string;
  userId: number;
  purpose: CodePurpose;
  expiresAt: number;
}

export const CODE_TTL_MS = 5 * 60 * 1000;

export class OneTimeCodes {
  private issued: Issued[] = [];

  constructor(private readonly now: () => number = Date.now, private readonly ttlMs = CODE_TTL_MS) {}

  issue(userId: number, purpose: CodePurpose): string {
    this.prune();
    this.issued = this.issued.filter((c) => !(c.userId === userId && c.purpose === purpose));
    let code: string;
    do code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    while (this.issued.some((c) => c.code === code));
    this.issued.push({ code, userId, purpose, expiresAt: this.now() + this.ttlMs });
    return code;
  }

  /** The user a live code was issued to; the code is spent. Undefined for a wrong, used or expired code. */
  redeem(input: string, purpose: CodePurpose): number | undefined {
    this.prune();
    const code = input.trim();
    if (!/^\d{6}$/.test(code)) return undefined;
    let found: Issued | undefined;
    // Every live code is compared, matching or not, so timing does not tell how close a guess was.
    for (const c of this.issued) if (safeEqual(c.code, code) && c.purpose === purpose) found = c;
    if (!found) return undefined;
    this.issued = this.issued.filter((c) => c !== found);
    return found.userId;
  }

  private prune(): void {
    const now = this.now();
    this.issued = this.issued.filter((c) => c.expiresAt > now);
  }
}

/** Counts events per key in a sliding window: login attempts per address, and in total. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True if another attempt is allowed now (and counts it). */
  take(key: string): boolean {
    const now = this.now();
    const recent = (this.hits.get(key) ?? []).filter((t) => t > now - this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return false;
    }
    recent.push(now);
    this.hits.set(key, recent);
    if (this.hits.size > 10_000) this.sweep(now);
    return true;
  }

  private sweep(now: number): void {
    for (const [key, times] of this.hits) if (!times.some((t) => t > now - this.windowMs)) this.hits.delete(key);
  }
}
