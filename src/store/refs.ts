/**
 * Declaration reference numbers: GP2024-0001, QP2024-0001, … Allocation is synchronous, so it is
 * unique within the process however many submissions run at once. Across restarts the counter is
 * the larger of the one persisted in meta.json and the highest number among stored declarations,
 * so a number is never handed out twice (an allocated number whose declaration was never saved
 * leaves a gap, which is fine).
 */
import type { Plan } from "../knowledge/schema.js";

export const DEFAULT_REF_PREFIXES: Readonly<Record<Plan, string>> = { guopei: "GP", qupei: "QP" };

const REF = /^([A-Z]+)(\d{4})-(\d+)$/;

export function formatRef(prefix: string, year: number, n: number): string {
  return `${prefix}${year}-${String(n).padStart(4, "0")}`;
}

export class RefAllocator {
  readonly #prefixes: Record<Plan, string>;
  readonly #last = new Map<string, number>();
  readonly #onAllocate: (counters: Record<string, number>) => void;

  /**
   * @param counters persisted counters, e.g. { GP2024: 12 }
   * @param onAllocate called after each allocation with all counters (to persist them)
   */
  constructor(prefixes: Record<Plan, string>, counters: Record<string, number>, onAllocate: (counters: Record<string, number>) => void) {
    this.#prefixes = prefixes;
    for (const [k, v] of Object.entries(counters)) if (Number.isSafeInteger(v)) this.#last.set(k, v);
    this.#onAllocate = onAllocate;
  }

  /** Takes an existing reference number into account (stored or newly put declarations). */
  observe(ref: string): void {
    const m = REF.exec(ref);
    if (!m) return;
    const key = `${m[1]}${m[2]}`;
    const n = Number(m[3]);
    if (n > (this.#last.get(key) ?? 0)) this.#last.set(key, n);
  }

  next(plan: Plan, year: number): string {
    const prefix = this.#prefixes[plan];
    if (!prefix) throw new TypeError(`nextRef: unknown plan ${String(plan)}`);
    if (!Number.isInteger(year) || year < 1000 || year > 9999) throw new TypeError(`nextRef: bad year ${year}`);
    const key = `${prefix}${year}`;
    const n = (this.#last.get(key) ?? 0) + 1;
    this.#last.set(key, n);
    this.#onAllocate(this.counters());
    return formatRef(prefix, year, n);
  }

  counters(): Record<string, number> {
    return Object.fromEntries(this.#last);
  }
}
