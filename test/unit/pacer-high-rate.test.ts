/**
 * The pacer at BROADCAST_RATE=1000, with timers as they are: 1 ms resolution, a little late. The
 * spacing (~1 ms) is below what timers can keep, so several sends go in one turn; the broadcast
 * must still reach ~0.94 of the rate and never exceed it in any 1-second window.
 */
import { describe, expect, it } from "vitest";
import { Pacer, type Clock } from "../../src/reminders/pacer.js";

/** A virtual clock whose sleeps last at least 1 ms, rounded up to whole ms, plus `lateMs`. */
function timerClock(lateMs: number): Clock & { t: number } {
  const c = {
    t: 0,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.t += Math.max(1, Math.ceil(ms)) + lateMs;
    },
  };
  return c;
}

describe("pacer at 1,000 msg/s", () => {
  it.each([0, 0.3, 2])("reaches 0.9 of the rate with timers %s ms late, within the 1-second limit", async (lateMs) => {
    const clock = timerClock(lateMs);
    const pacer = new Pacer({ rate: 1000, clock });
    const times: number[] = [];
    for (let chat = 1; chat <= 5000; chat++) {
      await pacer.acquire(chat);
      times.push(clock.t);
    }
    const seconds = (times.at(-1)! - times[0]!) / 1000;
    expect(5000 / seconds).toBeGreaterThanOrEqual(900);
    let j = 0;
    for (let i = 0; i < times.length; i++) {
      while (times[j]! <= times[i]! - 1000) j++;
      expect(i - j + 1).toBeLessThanOrEqual(1000);
    }
  });
});
