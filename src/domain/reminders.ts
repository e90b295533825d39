/**
 * Which deadline reminders are due: pure, the clock and the time zone are passed in.
 *
 * A deadline is a calendar date in the configured time zone (the end of that day). A reminder with
 * offset N falls due from 00:00 (in that zone) of the day N days before the deadline, and stays due
 * until the deadline day is over, so ticks missed while the bot was down are caught up. Only the
 * most recent due offset counts: a subscriber who missed the 7-day reminder gets the 3-day one, not
 * both. Whether it was already sent is the delivery ledger's business, keyed by deliveryKey().
 */
import type { Deadline } from "./declaration-deadline.js";
import { todayIn } from "./time.js";

export interface DueReminder<D extends Deadline = Deadline> {
  deadline: D;
  /** The offset (days before the deadline) this reminder stands for. */
  offset: number;
  /** Calendar days from today (in the time zone) to the deadline day; 0 on the day itself. */
  daysLeft: number;
  /** Ledger key: "deadline:<id>:<offset>". */
  delivery: string;
}

const DAY_MS = 86_400_000;

function utcDays(date: string): number {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

/** Whole calendar days from `from` to `to` (both YYYY-MM-DD); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  return Math.round(utcDays(to) - utcDays(from));
}

/** YYYY-MM-DD plus n calendar days. */
export function addDays(date: string, n: number): string {
  return new Date((utcDays(date) + n) * DAY_MS).toISOString().slice(0, 10);
}

/** Calendar days left until a deadline date, counted in the time zone (0 on the day, negative after). */
export function daysLeft(deadlineDate: string, now: Date, timeZone: string): number {
  return daysBetween(todayIn(now, timeZone), deadlineDate);
}

/**
 * The offset whose reminder is due with `left` days to go: the smallest offset ≥ left (its send day
 * has arrived, and no later one has). Undefined when the deadline is past or no send day has come.
 */
export function dueOffset(left: number, offsets: readonly number[]): number | undefined {
  if (left < 0) return undefined;
  let best: number | undefined;
  for (const o of offsets) if (Number.isInteger(o) && o >= left && (best === undefined || o < best)) best = o;
  return best;
}

export function deliveryKey(deadlineId: string, offset: number): string {
  return `deadline:${deadlineId}:${offset}`;
}

/** Due reminders (at most one per deadline), soonest deadline first. */
export function dueReminders<D extends Deadline>(deadlines: readonly D[], offsets: readonly number[], now: Date, timeZone: string): DueReminder<D>[] {
  const today = todayIn(now, timeZone);
  const out: DueReminder<D>[] = [];
  for (const deadline of deadlines) {
    const left = daysBetween(today, deadline.date);
    const offset = dueOffset(left, offsets);
    if (offset === undefined) continue;
    out.push({ deadline, offset, daysLeft: left, delivery: deliveryKey(deadline.id, offset) });
  }
  return out.sort((a, b) => a.daysLeft - b.daysLeft || a.deadline.id.localeCompare(b.deadline.id));
}

/** Deadlines whose day has not passed (today included), soonest first, with days left. */
export function upcomingDeadlines<D extends Deadline>(deadlines: readonly D[], now: Date, timeZone: string): { deadline: D; daysLeft: number }[] {
  const today = todayIn(now, timeZone);
  return deadlines
    .map((deadline) => ({ deadline, daysLeft: daysBetween(today, deadline.date) }))
    .filter((d) => d.daysLeft >= 0)
    .sort((a, b) => a.daysLeft - b.daysLeft || a.deadline.id.localeCompare(b.deadline.id));
}

/** The day the reminder with this offset starts being due (YYYY-MM-DD in the time zone). */
export function sendDay(deadlineDate: string, offset: number): string {
  return addDays(deadlineDate, -offset);
}

/** "还剩3天" / "明天截止" / "今天截止". */
export function daysLeftText(left: number): string {
  if (left <= 0) return "今天截止";
  if (left === 1) return "明天截止";
  return `还剩${left}天`;
}

const WEEKDAYS = ["日", "一", "二", "三", "四", "五", "六"];

/** "2025年3月1日（星期六）". */
export function dateText(date: string): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const weekday = WEEKDAYS[new Date(Date.UTC(y, m - 1, d)).getUTCDay()]!;
  return `${y}年${m}月${d}日（星期${weekday}）`;
}
