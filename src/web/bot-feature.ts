/**
 * The bot's side of the web: /web sends a coordinator or admin a one-time code for the desk;
 * /link gives anyone a code that carries their declaration drafts to the other channel, and
 * /link <code> on the other side redeems it. Codes live in the store (services/codes.ts), so any
 * instance can redeem them; they are never logged.
 */
import { Composer } from "grammy";
import { servicesOf, type BotContext } from "../bot/context.js";
import { access, codes } from "../services/index.js";
import { send } from "../bot/render.js";
import { isWebUser } from "./web-users.js";

const MINUTES = Math.round(codes.CODE_TTL_MS / 60_000);

export function webFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const chats = feature.chatType("private");

  chats.command("web", async (ctx) => {
    const id = ctx.account.id;
    if (isWebUser(id) || !(await access.isStaff(servicesOf(ctx.deps), id))) {
      // In the terminal (no BOT_TOKEN) the one user is whoever started the bot: say how to start it as admin.
      const terminal = !ctx.deps.config.BOT_TOKEN && !isWebUser(id);
      await send(
        ctx,
        "网页版与本助手功能相同，可在手机浏览器（包括微信内）打开。\n要把申报草稿带到另一端，请发送 /link 获取转移码。\n" +
          (terminal
            ? `协调员工作台仅限协调员和管理员。终端模式下，请以管理员身份启动：<code>ADMIN_IDS=${id} WEB_PORT=3000 npm start</code>，再在终端输入 /web 获取登录码。`
            : "协调员工作台仅限协调员和管理员：请在 Telegram 中向我发送 /web 获取登录码。"),
      );
      return;
    }
    const issued = await codes.issueCode(servicesOf(ctx.deps), id, "desk");
    if (!issued.ok) {
      await send(ctx, issued.message);
      return;
    }
    await send(ctx, `协调员工作台登录码：<code>${issued.code}</code>\n请在 ${MINUTES} 分钟内打开网页版的「协调员工作台」输入，仅可使用一次。\n如非本人操作，请忽略。`);
  });

  chats.command("link", async (ctx) => {
    const id = ctx.account.id;
    const arg = ctx.match.trim();
    if (!arg) {
      const issued = await codes.issueCode(servicesOf(ctx.deps), id, "link");
      if (!issued.ok) {
        await send(ctx, issued.message);
        return;
      }
      const code = issued.code;
      const other = isWebUser(id) ? "Telegram 中的本助手" : "网页版对话框";
      await send(ctx, `草稿转移码：<code>${code}</code>\n请在 ${MINUTES} 分钟内到${other}发送：\n<code>/link ${code}</code>\n你的申报草稿会转到那一端继续填写（仅可使用一次）。`);
      return;
    }
    const carried = await codes.redeemLinkCode(servicesOf(ctx.deps), id, arg);
    if (!carried.ok) {
      await send(ctx, carried.message);
      return;
    }
    await send(ctx, carried.moved ? `已转来 ${carried.moved} 份申报草稿。发送 /declare 继续填写。` : "对方没有未提交的申报草稿，无需转移。");
  });

  return feature;
}
