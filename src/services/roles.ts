/** Admins grant and revoke the coordinator role. Every change is audited; the user concerned is told. */
import type { UserRecord } from "../store/types.js";
import { isAdmin } from "./access.js";
import { nowIso, refuse, type Outcome, type ServiceDeps } from "./context.js";

export type RoleChange = "granted" | "revoked" | "alreadyCoordinator" | "notCoordinator";

export interface RoleResult {
  change: RoleChange;
  target: UserRecord;
  /** The user has never written to the bot (stored now with the role, so it applies when they do). */
  unknownUser: boolean;
  /** The target is an admin by configuration, which no command can take away. */
  targetIsAdmin: boolean;
}

export async function changeRole(deps: ServiceDeps, userId: number, targetId: number, want: "grant" | "revoke"): Promise<Outcome<RoleResult>> {
  if (!isAdmin(deps, userId)) return refuse("adminOnly", "抱歉，只有管理员可以授予或撤销协调员权限。");
  const at = nowIso(deps);
  const targetIsAdmin = isAdmin(deps, targetId);
  return deps.store.transaction(async (tx) => {
    const existing = await tx.users.get(targetId);
    const target: UserRecord = existing ?? { id: targetId, chatId: targetId, name: "", roles: [], subscribed: false, reachable: true, createdAt: at };
    const has = target.roles.includes("coordinator");
    const base = { ok: true as const, target, unknownUser: !existing, targetIsAdmin };
    if (want === "grant" && has) return { ...base, change: "alreadyCoordinator" as const, notify: [] };
    if (want === "revoke" && !has) return { ...base, change: "notCoordinator" as const, notify: [] };
    const roles = want === "grant" ? [...target.roles, "coordinator" as const] : target.roles.filter((r) => r !== "coordinator");
    const next = { ...target, roles };
    await tx.users.put(next);
    await tx.audit.append({ at, actor: userId, action: want === "grant" ? "role.granted" : "role.revoked", target: String(targetId), detail: { role: "coordinator" } });
    const text = want === "grant" ? "您已被授予协调员权限。可以使用：/review 审核申报、/export 导出申报、/stats 查看统计。" : "您的协调员权限已被撤销。如有疑问，请联系管理员。";
    return { ...base, target: next, change: want === "grant" ? ("granted" as const) : ("revoked" as const), notify: [{ userId: targetId, text }] };
  });
}
