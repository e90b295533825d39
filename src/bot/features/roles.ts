/**
 * /grant <user id> and /revoke <user id>: admins (ADMIN_IDS) give or take coordinator rights.
 * Every change is audited and the user is told (a failure to tell them is logged, not fatal).
 */
import { Composer } from "grammy";
import { escapeHtml } from "../../answers/html.js";
import { changeRole } from "../../services/roles.js";
import { isAdmin, servicesOf, type BotContext } from "../context.js";
import { deliver } from "../declarations.js";
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
  const out = await changeRole(servicesOf(ctx.deps), ctx.account.id, id, cmd);
  if (!out.ok) return send(ctx, out.message);
  deliver(ctx, out.notify);
  const who = escapeHtml(out.target.name ? `${out.target.name}（${id}）` : String(id));
  switch (out.change) {
    case "alreadyCoordinator":
      return send(ctx, `${who} 已经是协调员。`);
    case "granted":
      return send(ctx, `✅ 已授予 ${who} 协调员权限：/review 审核、/export 导出、/stats 统计。${out.unknownUser ? "\n（该用户还没有和本机器人对话过；对方发送 /start 后即可使用。）" : ""}`);
    case "notCoordinator":
      return send(ctx, `${who} 不是协调员，无需撤销。${out.targetIsAdmin ? "该用户是管理员（由 ADMIN_IDS 配置），其权限不能在此撤销。" : ""}`);
    case "revoked":
      return send(ctx, `已撤销 ${who} 的协调员权限。${out.targetIsAdmin ? "\n注意：该用户同时是管理员（ADMIN_IDS），仍可使用全部功能。" : ""}`);
  }
}

export const rolesFeature = new Composer<BotContext>();
rolesFeature.command("grant", (ctx) => change(ctx, "grant"));
rolesFeature.command("revoke", (ctx) => change(ctx, "revoke"));
/** Anyone may ask for their own id, to give it to an admin. */
rolesFeature.command("myid", (ctx) => send(ctx, `您的用户ID：<code>${ctx.account.id}</code>\n如需协调员权限，请把这个数字发给管理员。`));
