/** Who someone is, looked up from their own id on every call: admins from configuration, coordinators from the store. */
import type { Actor } from "../domain/lifecycle.js";
import type { Notice, ServiceDeps } from "./context.js";

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

/**
 * Every staff member: admins from configuration and coordinators from the store. A coordinator's
 * chat comes with them (their record is read here anyway, so a notice to each of a hundred
 * coordinators needs no lookup of its own); an admin's is looked up when the notice goes out.
 */
export async function staffRecipients(deps: ServiceDeps): Promise<Pick<Notice, "userId" | "chatId">[]> {
  const coordinators = await deps.store.users.withRole("coordinator");
  const chats = new Map<number, number | undefined>(deps.adminIds.map((id) => [id, undefined]));
  for (const u of coordinators) chats.set(u.id, u.chatId);
  return [...chats].map(([userId, chatId]) => (chatId === undefined ? { userId } : { userId, chatId }));
}


/** Looks users up once, for renderers that name people synchronously (a card's history): "张三 (123)". */
export async function userNames(deps: ServiceDeps, ids: Iterable<number>): Promise<(id: number) => string> {
  const names = new Map<number, string>();
  for (const id of new Set(ids)) {
    const name = (await deps.store.users.get(id))?.name;
    if (name) names.set(id, name);
  }
  return (id) => {
    const name = names.get(id);
    return name ? `${name} (${id})` : String(id);
  };
}

/** The private chat a user is reached in (their id when they have never written). */
export async function chatOf(deps: ServiceDeps, userId: number): Promise<number> {
  return (await deps.store.users.get(userId))?.chatId ?? userId;
}

/** The chat a notice goes to: the one it carries, else looked up. */
export async function noticeChat(deps: ServiceDeps, notice: Pick<Notice, "userId" | "chatId">): Promise<number> {
  return notice.chatId ?? chatOf(deps, notice.userId);
}
