/** Dates and times in a configured time zone. Building an Intl formatter costs far more than using one: one per zone. */

const cache = new Map<string, Intl.DateTimeFormat>();

function formatter(kind: "day" | "instant", timeZone: string): Intl.DateTimeFormat {
  const key = `${kind}|${timeZone}`;
  let f = cache.get(key);
  if (!f) {
    const day = { timeZone, year: "numeric", month: "2-digit", day: "2-digit" } as const;
    f = new Intl.DateTimeFormat("en-CA", kind === "day" ? day : { ...day, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    cache.set(key, f);
  }
  return f;
}

/** Today's calendar date (YYYY-MM-DD) in a time zone. */
export function todayIn(now: Date, timeZone: string): string {
  return formatter("day", timeZone).format(now);
}

/** "2024-06-01 10:05:09" in the time zone (Excel reads it as a date-time); an unreadable instant is returned as is. */
export function localDateTime(iso: string, timeZone: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = Object.fromEntries(
    formatter("instant", timeZone)
      .formatToParts(d)
      .map((x) => [x.type, x.value]),
  );
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}
