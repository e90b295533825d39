/** Who someone is, looked up from their own id on every call: admins from configuration, coordinators from the store. */
import type { Actor } from "../domain/lifecycle.js";
import type { ServiceDeps } from "./context.js";

export function isAdmin(deps: ServiceDeps, userId: number): boolean {
  return deps.adminIds.includes(userId);
}

export async function isStaff(deps: ServiceDeps, userId: number): Promise<boolean> {
  if (isAdmin(deps, userId)) return true;
  return (await deps.store.users.get(userId))?.roles.includes("coordinator") ?? false;
}

/** The capacities a user has towards a declaration owned by ownerId (an admin may also be its owner). */
export async function actorsOf(deps: ServiceDeps, userId: number, ownerId: number): Promise<Actor[]> {
  const actor: Actor[] = [];
  if (ownerId === userId) actor.push("owner");
  if (isAdmin(deps, userId)) actor.push("admin");
  else if (await isStaff(deps, userId)) actor.push("coordinator");
  return actor;
}

/** Every staff member: admins from configuration and coordinators from the store. */
export async function staffIds(deps: ServiceDeps): Promise<number[]> {
  const ids = new Set(deps.adminIds);
  for (const u of await deps.store.users.withRole("coordinator")) ids.add(u.id);
  return [...ids];
}

/** "张三 (123)" for staff views. */
export async function userName(deps: ServiceDeps, id: number): Promise<string> {
  const name = (await deps.store.users.get(id))?.name;
  return name ? `${name} (${id})` : String(id);
}
