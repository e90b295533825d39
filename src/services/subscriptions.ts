/** Reminder subscriptions: a user turns their own on or off (coordinators and draft owners get them by default until they opt out). */
import type { UserRecord } from "../store/types.js";
import { nowIso, type ServiceDeps } from "./context.js";

export async function subscribe(deps: ServiceDeps, user: UserRecord): Promise<{ user: UserRecord; already: boolean }> {
  const stored = (await deps.store.users.get(user.id)) ?? user;
  const already = stored.subscribed && !stored.unsubscribedAt;
  if (already) return { user: stored, already };
  const { unsubscribedAt: _gone, ...rest } = stored;
  const next = { ...rest, subscribed: true };
  await deps.store.users.put(next);
  return { user: next, already: stored.subscribed };
}

export async function unsubscribe(deps: ServiceDeps, user: UserRecord): Promise<{ user: UserRecord }> {
  const stored = (await deps.store.users.get(user.id)) ?? user;
  const next = { ...stored, subscribed: false, unsubscribedAt: nowIso(deps) };
  await deps.store.users.put(next);
  return { user: next };
}
