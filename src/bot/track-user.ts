/**
 * Keeps the sender's user record: created on first contact, marked reachable again when a user
 * who had blocked the bot writes to it, and unreachable when they block it (my_chat_member: kicked).
 */
import type { NextFunction } from "grammy";
import { StoreWriteError } from "../store/errors.js";
import type { UserRecord } from "../store/types.js";
import type { BotContext } from "./context.js";

export async function trackUser(ctx: BotContext, next: NextFunction): Promise<void> {
  const from = ctx.from;
  if (!from || from.is_bot) return;
  const users = ctx.deps.store.users;
  const member = ctx.myChatMember;
  if (member) {
    const user = await users.get(from.id);
    const reachable = member.new_chat_member.status !== "kicked" && member.new_chat_member.status !== "left";
    if (user && user.reachable !== reachable) await users.put({ ...user, reachable });
    return;
  }
  if (ctx.chat?.type !== "private") {
    // Declarations and answers are personal: groups get one pointer to the private chat, on commands only.
    if (ctx.message?.text?.startsWith("/")) await ctx.reply("请私聊我使用本助手。");
    return;
  }
  let user = await users.get(from.id);
  const name = [from.first_name, from.last_name].filter(Boolean).join(" ").slice(0, 64);
  if (!user) {
    user = { id: from.id, chatId: ctx.chat.id, name, roles: [], subscribed: false, reachable: true, createdAt: ctx.deps.now().toISOString() } satisfies UserRecord;
    await keep(ctx, users.put(user));
  } else if (!user.reachable) {
    user = { ...user, reachable: true };
    await keep(ctx, users.put(user));
  }
  ctx.account = user;
  await next();
}

/**
 * A user record the disk refuses (full, read-only) stays in memory and is written with the store's
 * next successful write: the update goes on, so a full disk does not stop people asking questions.
 */
async function keep(ctx: BotContext, write: Promise<void>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (!(err instanceof StoreWriteError)) throw err;
    ctx.log.warn({ err }, "user record not saved yet; kept in memory");
  }
}
