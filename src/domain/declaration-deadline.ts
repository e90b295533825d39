/**
 * Which admin-set deadline governs a declaration, and whether it has passed. The guide itself gives
 * no deadlines; admins set them per plan, per sub-project or for everything. The most specific scope
 * wins (a sub-project's own deadline overrides its plan's, which overrides the general one); within one
 * scope the latest date wins, so an extension simply adds a later deadline. A deadline is the end of
 * its calendar day in the configured time zone.
 */
import type { Plan } from "../knowledge/schema.js";
import { todayIn } from "./time.js";

/** What the rules read of a deadline (the store's record has more: who set it, when). */
export type DeadlineScope = { kind: "all" } | { kind: "plan"; plan: Plan } | { kind: "subProject"; subProjectId: string };

export interface Deadline {
  id: string;
  /** Calendar date in the configured time zone, YYYY-MM-DD; the deadline is the end of that day. */
  date: string;
  title: string;
  scope: DeadlineScope;
}

export interface DeadlineTarget {
  plan: Plan;
  subProjectId: string;
}

function specificity(d: Deadline, t: DeadlineTarget): number {
  switch (d.scope.kind) {
    case "all":
      return 0;
    case "plan":
      return d.scope.plan === t.plan ? 1 : -1;
    case "subProject":
      return d.scope.subProjectId === t.subProjectId ? 2 : -1;
  }
}

export function applicableDeadline<D extends Deadline>(deadlines: Iterable<D>, target: DeadlineTarget): D | undefined {
  let best: { d: D; rank: number } | undefined;
  for (const d of deadlines) {
    const rank = specificity(d, target);
    if (rank < 0) continue;
    if (!best || rank > best.rank || (rank === best.rank && d.date > best.d.date)) best = { d, rank };
  }
  return best?.d;
}

/** True once the deadline's day has ended in the time zone. */
export function deadlinePassed(d: Deadline, now: Date, timeZone: string): boolean {
  return todayIn(now, timeZone) > d.date;
}
