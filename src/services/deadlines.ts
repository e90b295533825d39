/**
 * Deadlines: admins add and remove them (audited); everyone may list them. The guide sets none, so
 * these are the only deadlines the lifecycle knows. Sending the reminders stays with the reminder
 * scheduler, which computes what is due from the stored deadlines.
 */
import { randomBytes } from "node:crypto";
import { applicableDeadline, deadlinePassed, type DeadlineTarget } from "../domain/declaration-deadline.js";
import { upcomingDeadlines } from "../domain/reminders.js";
import type { DeadlineRecord, DeadlineScope } from "../store/types.js";
import { isAdmin, isStaff } from "./access.js";
import { ADMIN_ONLY, STAFF_ONLY, nowIso, refuse, type Outcome, type ServiceDeps } from "./context.js";

export interface Governing {
  deadline?: DeadlineRecord;
  passed: boolean;
}

/** The deadline that governs a declaration or a draft's sub-project, and whether it has passed. */
export async function governingDeadline(deps: ServiceDeps, target: DeadlineTarget): Promise<Governing> {
  const deadline = applicableDeadline(await deps.store.deadlines.list(), target);
  return deadline ? { deadline, passed: deadlinePassed(deadline, deps.now(), deps.timeZone) } : { passed: false };
}

export async function upcoming(deps: ServiceDeps): Promise<{ deadline: DeadlineRecord; daysLeft: number }[]> {
  return upcomingDeadlines(await deps.store.deadlines.list(), deps.now(), deps.timeZone);
}

/** Every deadline for staff (the desk's list), by date; daysLeft only for those not yet passed. */
export async function listDeadlines(deps: ServiceDeps, userId: number): Promise<Outcome<{ deadlines: { deadline: DeadlineRecord; daysLeft?: number }[] }>> {
  if (!(await isStaff(deps, userId))) return refuse("staffOnly", STAFF_ONLY);
  const all = await deps.store.deadlines.list();
  const days = new Map(upcomingDeadlines(all, deps.now(), deps.timeZone).map((u) => [u.deadline.id, u.daysLeft]));
  return { ok: true, deadlines: all.map((deadline) => (days.has(deadline.id) ? { deadline, daysLeft: days.get(deadline.id)! } : { deadline })), notify: [] };
}

export interface NewDeadline {
  date: string;
  title: string;
  scope: DeadlineScope;
}

export async function addDeadline(deps: ServiceDeps, userId: number, input: NewDeadline): Promise<Outcome<{ deadline: DeadlineRecord }>> {
  if (!isAdmin(deps, userId)) return refuse("adminOnly", ADMIN_ONLY);
  const at = nowIso(deps);
  const deadline = await deps.store.transaction(async (tx) => {
    let id: string;
    do id = `d${randomBytes(3).toString("hex")}`;
    while (await tx.deadlines.get(id));
    const record: DeadlineRecord = { id, date: input.date, title: input.title, scope: input.scope, createdBy: userId, createdAt: at };
    await tx.deadlines.put(record);
    await tx.audit.append({ at, actor: userId, action: "deadline.add", target: id, detail: { date: record.date, title: record.title, scope: record.scope } });
    return record;
  });
  return { ok: true, deadline, notify: [] };
}

export async function removeDeadline(deps: ServiceDeps, userId: number, id: string): Promise<Outcome<{ deadline: DeadlineRecord }>> {
  if (!isAdmin(deps, userId)) return refuse("adminOnly", ADMIN_ONLY);
  const at = nowIso(deps);
  const removed = await deps.store.transaction(async (tx) => {
    const found = id ? await tx.deadlines.get(id) : undefined;
    if (!found) return undefined;
    await tx.deadlines.delete(found.id);
    await tx.audit.append({ at, actor: userId, action: "deadline.delete", target: found.id, detail: { date: found.date, title: found.title } });
    return found;
  });
  return removed ? { ok: true, deadline: removed, notify: [] } : refuse("invalid", "没有这个编号的截止日期。");
}
