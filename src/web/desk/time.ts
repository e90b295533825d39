/** The instant a calendar day begins in a time zone (the desk's date filter is by local days). */
export function zonedDayStart(day: string, timeZone: string, addDays = 0): Date {
  const [y, m, d] = day.split("-").map(Number) as [number, number, number];
  const utcGuess = Date.UTC(y, m - 1, d + addDays);
  // The zone's offset at that moment, read back through Intl (DST-safe to within the day's own shift).
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .formatToParts(new Date(utcGuess))
      .map((p) => [p.type, p.value]),
  );
  const asLocal = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return new Date(utcGuess - (asLocal - utcGuess));
}
