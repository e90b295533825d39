/**
 * Admins' one-off broadcasts: who would receive one, the pending confirmation, starting it (stored
 * and audited, so a restarted bot finishes it) and stopping it.
 */
import { createHash, randomBytes } from "node:crypto";
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

/** How long a /broadcast waits for its 确认发送. */
export const PENDING_BROADCAST_TTL_MS = 30 * 60_000;
export const PENDING_BROADCAST_EXPIRED = "这条群发确认已过期，请重新发送 /broadcast。";

const pendingDigest = (id: string) => createHash("sha256").update(`broadcast:${id}`).digest("hex");

/**
 * Keeps a /broadcast until the admin confirms it: in the store's one-time codes (purpose
 * "broadcast", the text as its data), so the tap may reach any instance, and counts once. An admin
 * has one pending broadcast: asking again replaces the earlier one, whose buttons then say it expired.
 */
export async function askToBroadcast(deps: ServiceDeps, userId: number, text: string): Promise<Outcome<{ id: string }>> {
  if (!isAdmin(deps, userId)) return refuse("adminOnly", ADMIN_ONLY);
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + PENDING_BROADCAST_TTL_MS).toISOString();
  for (;;) {
    const id = await newBroadcastId(deps);
    if (await deps.store.codes.issue({ purpose: "broadcast", digest: pendingDigest(id), userId, expiresAt, data: { text } }, now.toISOString())) return { ok: true, id, notify: [] };
  }
}

/**
 * The admin's answer to a pending broadcast (确认发送 or 取消): its text, once — a second tap, on this
 * instance or another, finds it gone. Someone else's confirmation is not theirs to take.
 */
export async function takePendingBroadcast(deps: ServiceDeps, userId: number, id: string): Promise<Outcome<{ text: string }>> {
  if (!isAdmin(deps, userId)) return refuse("adminOnly", ADMIN_ONLY);
  const now = nowIso(deps);
  const digest = pendingDigest(id);
  const live = (await deps.store.codes.live("broadcast", now)).find((c) => c.digest === digest);
  if (!live || live.userId !== userId) return refuse("expired", PENDING_BROADCAST_EXPIRED);
  const taken = await deps.store.codes.consume("broadcast", digest, now);
  const text = taken?.data?.text;
  if (typeof text !== "string") return refuse("expired", PENDING_BROADCAST_EXPIRED);
  return { ok: true, text, notify: [] };
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
