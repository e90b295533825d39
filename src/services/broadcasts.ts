/** Admins' one-off broadcasts: who would receive one, starting it (stored and audited, so a restarted bot finishes it) and stopping it. */
import { randomBytes } from "node:crypto";
import { audience } from "../reminders/content.js";
import { broadcastDelivery } from "../reminders/scheduler.js";
import type { BroadcastRecord, DeadlineScope } from "../store/types.js";
import { isAdmin } from "./access.js";
import { ADMIN_ONLY, nowIso, refuse, type Outcome, type ServiceDeps } from "./context.js";


/** How many people a reminder or broadcast for the scope would reach now (subscribers, staff, owners of drafts in scope). */
export async function audienceSize(deps: ServiceDeps, scope: DeadlineScope = { kind: "all" }): Promise<number> {
  return (await audience({ store: deps.store, adminIds: deps.adminIds }, deps.knowledge, scope)).length;
}

/** A broadcast id not used by a stored broadcast (nor by `taken`, the caller's pending confirmations). */
export async function newBroadcastId(deps: ServiceDeps, taken: (id: string) => boolean = () => false): Promise<string> {
  for (;;) {
    const id = `b${randomBytes(3).toString("hex")}`;
    if (!taken(id) && !(await deps.store.broadcasts.get(id))) return id;
  }
}

export async function startBroadcast(deps: ServiceDeps, userId: number, input: { id: string; text: string; progress?: BroadcastRecord["progress"] }): Promise<Outcome<{ broadcast: BroadcastRecord }>> {
  if (!isAdmin(deps, userId)) return refuse("adminOnly", ADMIN_ONLY);
  const broadcast: BroadcastRecord = { id: input.id, text: input.text, createdBy: userId, createdAt: nowIso(deps), ...(input.progress ? { progress: input.progress } : {}) };
  await deps.store.transaction(async (tx) => {
    await tx.broadcasts.put(broadcast);
    await tx.audit.append({ at: broadcast.createdAt, actor: userId, action: "broadcast", target: broadcastDelivery(input.id), detail: { chars: input.text.length } });
  });
  return { ok: true, broadcast, notify: [] };
}

/** Stops a running broadcast; "ended" if it had already finished or been stopped. */
export async function stopBroadcast(deps: ServiceDeps, userId: number, id: string): Promise<Outcome<{ result: "stopping" | "ended" }>> {
  if (!isAdmin(deps, userId)) return refuse("adminOnly", ADMIN_ONLY);
  const result = await deps.store.transaction(async (tx) => {
    const b = await tx.broadcasts.get(id);
    if (!b || b.finishedAt || b.cancelledAt) return "ended" as const;
    await tx.broadcasts.put({ ...b, cancelledAt: nowIso(deps) });
    return "stopping" as const;
  });
  return { ok: true, result, notify: [] };
}
