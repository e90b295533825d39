/**
 * /grant <user id> and /revoke <user id>: admins (ADMIN_IDS) give or take coordinator rights.
 * Every change is audited and the user is told (a failure to tell them is logged, not fatal).
 */
import { Composer } from "grammy";
import { escapeHtml } from "../../answers/html.js";
import type { UserRecord } from "../../store/types.js";
import { isAdmin, type BotContext } from "../context.js";
import { notifyUser } from "../declarations.js";
import { send } from "../render.js";

/** A Telegram user id as typed after the command: digits only, a positive safe integer. */
export function parseUserId(raw: string): number | undefined {
  const text = raw.trim();
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const id = Number(text);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

const USAGE = (cmd: string) => `用法：/${cmd} &lt;用户ID&gt;，例如 /${cmd} 123456789（用户ID为数字，对方可向本机器人发送 /myid 查看）。`;

async function change(ctx: BotContext, cmd: "grant" | "revoke"): Promise<void> {
  if (!isAdmin(ctx.deps, ctx.account.id)) {
    await send(ctx, "抱歉，只有管理员可以授予或撤销协调员权限。");
    return;
  }
  const raw = typeof ctx.match === "string" ? ctx.match : "";
  const id = parseUserId(raw);
  if (id === undefined) {
    await send(ctx, raw.trim() ? `“${escapeHtml(raw.trim().slice(0, 30))}”不是有效的用户ID。\n${USAGE(cmd)}` : USAGE(cmd));
    return;
  }
  const users = ctx.deps.store.users;
  const now = ctx.deps.now().toISOString();
  const existing = await users.get(id);
  const user: UserRecord = existing ?? { id, chatId: id, name: "", roles: [], subscribed: false, reachable: true, createdAt: now };
  const has = user.roles.includes("coordinator");
  const who = escapeHtml(user.name ? `${user.name}（${id}）` : String(id));

  if (cmd === "grant") {
    if (has) {
      await send(ctx, `${who} 已经是协调员。`);
      return;
    }
    await ctx.deps.store.transaction(async (tx) => {
      await tx.users.put({ ...user, roles: [...user.roles, "coordinator"] });
      await tx.audit.append({ at: now, actor: ctx.account.id, action: "role.granted", target: String(id), detail: { role: "coordinator" } });
    });
    const note = existing ? "" : "\n（该用户还没有和本机器人对话过；对方发送 /start 后即可使用。）";
    await send(ctx, `✅ 已授予 ${who} 协调员权限：/review 审核、/export 导出、/stats 统计。${note}`);
    await notifyUser(ctx, id, "您已被授予协调员权限。可以使用：/review 审核申报、/export 导出申报、/stats 查看统计。");
    return;
  }
  if (!has) {
    const adminNote = isAdmin(ctx.deps, id) ? "该用户是管理员（由 ADMIN_IDS 配置），其权限不能在此撤销。" : "";
    await send(ctx, `${who} 不是协调员，无需撤销。${adminNote}`);
    return;
  }
  await ctx.deps.store.transaction(async (tx) => {
    await tx.users.put({ ...user, roles: user.roles.filter((r) => r !== "coordinator") });
    await tx.audit.append({ at: now, actor: ctx.account.id, action: "role.revoked", target: String(id), detail: { role: "coordinator" } });
  });
  const adminNote = isAdmin(ctx.deps, id) ? "\n注意：该用户同时是管理员（ADMIN_IDS），仍可使用全部功能。" : "";
  await send(ctx, `已撤销 ${who} 的协调员权限。${adminNote}`);
  await notifyUser(ctx, id, "您的协调员权限已被撤销。如有疑问，请联系管理员。");
}

export const rolesFeature = new Composer<BotContext>();
rolesFeature.command("grant", (ctx) => change(ctx, "grant"));
rolesFeature.command("revoke", (ctx) => change(ctx, "revoke"));
/** Anyone may ask for their own id, to give it to an admin. */
rolesFeature.command("myid", (ctx) => send(ctx, `您的用户ID：<code>${ctx.account.id}</code>\n如需协调员权限，请把这个数字发给管理员。`));
