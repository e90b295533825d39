/**
 * The one place commands are normalised: phone keyboards capitalise the first letter ("/Start"),
 * and some people type "/HELP". The command part of a message (up to a space or "@bot") is lower-cased
 * before any feature sees it, so /Start is /start in Telegram, the terminal and the web alike.
 */
import type { NextFunction } from "grammy";
import type { BotContext } from "./context.js";

/** "/Start@Bot foo" → "/start@Bot foo"; anything else unchanged. */
export function normaliseCommandText(text: string): string {
  const m = /^\/([A-Za-z0-9_]+)/.exec(text);
  if (!m || m[1] === m[1]!.toLowerCase()) return text;
  return `/${m[1]!.toLowerCase()}${text.slice(m[0].length)}`;
}

export async function normaliseCommand(ctx: BotContext, next: NextFunction): Promise<void> {
  const message = ctx.update.message ?? ctx.update.edited_message;
  if (message?.text?.startsWith("/")) {
    const text = normaliseCommandText(message.text);
    if (text !== message.text) {
      // The update object is what grammY's filters read: change it in place, entities keep their offsets.
      (message as { text: string }).text = text;
    }
  }
  await next();
}
