/** The local day of a submission (charts, "declarations per day"), worked by hand around midnights and DST switches. */
import { describe, expect, it } from "vitest";
import { dayCounter, dayIn } from "../../src/store/queries.js";

const CASES: [zone: string, instant: string, day: string][] = [
  ["Asia/Shanghai", "2024-05-01T15:59:59.000Z", "2024-05-01"], // 23:59:59 local
  ["Asia/Shanghai", "2024-05-01T16:00:00.000Z", "2024-05-02"], // midnight local
  ["UTC", "2024-05-01T23:59:59.999Z", "2024-05-01"],
  ["Asia/Kathmandu", "2024-05-01T18:14:00.000Z", "2024-05-01"], // +05:45: 23:59
  ["Asia/Kathmandu", "2024-05-01T18:15:00.000Z", "2024-05-02"],
  ["America/New_York", "2024-03-10T04:30:00.000Z", "2024-03-09"], // EST: 23:30
  ["America/New_York", "2024-03-10T06:59:00.000Z", "2024-03-10"], // 01:59 EST, a minute before the switch
  ["America/New_York", "2024-03-11T03:59:00.000Z", "2024-03-10"], // EDT from 07:00Z: 23:59
  ["America/New_York", "2024-11-03T03:59:00.000Z", "2024-11-02"], // EDT: 23:59
  ["America/New_York", "2024-11-03T04:30:00.000Z", "2024-11-03"], // EDT: 00:30, the day clocks go back
  ["America/New_York", "2024-11-04T04:30:00.000Z", "2024-11-03"], // EST since 06:00Z: 23:30
];

describe("the local day of an instant", () => {
  it.each(CASES)("%s %s is %s", (zone, instant, day) => {
    expect(dayIn(instant, zone)).toBe(day);
    expect(dayCounter(zone)(instant)).toBe(day);
  });

  it("the per-day offset shortcut agrees with formatting each instant, through a year", () => {
    for (const zone of ["Asia/Shanghai", "America/New_York", "Australia/Lord_Howe"]) {
      const fast = dayCounter(zone);
      for (let ms = Date.parse("2024-01-01T00:00:00Z"); ms < Date.parse("2025-01-01T00:00:00Z"); ms += 97 * 60_000 + 7_000) {
        const iso = new Date(ms).toISOString();
        expect(fast(iso), `${zone} ${iso}`).toBe(dayIn(iso, zone));
      }
    }
  });
});
