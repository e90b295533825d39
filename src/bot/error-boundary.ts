import type { NextFunction } from "grammy";
import { StoreWriteError } from "../store/errors.js";
import type { BotContext } from "./context.js";

/** The disk refused a write (full, read-only): what the user did was not saved, and they should know. */
export const SAVE_FAILED = "⚠️ 保存失败（服务器存储暂时不可用），这一步没有保存成功。请稍后再试；之前已保存的内容不会丢失。";

/** A handler error is logged and answered politely; it never stops the bot or loses saved input. */
export async function errorBoundary(ctx: BotContext, next: NextFunction): Promise<void> {
  try {
    await next();
  } catch (err) {
    ctx.log.error({ err }, "handler failed");
    try {
      if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: "处理失败，请重试。" }).catch(() => undefined);
      if (ctx.chat?.type === "private") await ctx.reply(err instanceof StoreWriteError ? SAVE_FAILED : "抱歉，处理时出错了。已保存的内容不会丢失，请重试，或发送 /start 回到主菜单。");
    } catch (replyErr) {
      ctx.log.warn({ err: replyErr }, "could not tell the user about the error");
    }
  }
}
