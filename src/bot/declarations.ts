/**
 * What the declaration features (/declare, /my, /review, /export, /stats, /grant) share on Telegram:
 * the form, refusals, and delivering the notices a service returns (in the background, so a blocked
 * recipient never delays or fails the acting user's reply).
 */
import type { InlineKeyboard } from "grammy";
import { makeDeclarationFlow } from "../../flows/declaration.js";
import type { Flow } from "../engine/types.js";
import type { Knowledge } from "../knowledge/schema.js";
import { noticeChat, isStaff } from "../services/access.js";
import { DENIED, STAFF_ONLY, type Notice, type NoticeLink, type Refused } from "../services/context.js";
import { servicesOf, type BotContext } from "./context.js";
import { keyboard, send } from "./render.js";

export { DENIED, STAFF_ONLY };

const flows = new WeakMap<Knowledge, Flow>();

/** The declaration form built from the knowledge (the same object the flow runner builds). */
export function declarationFlow(k: Knowledge): Flow {
  let flow = flows.get(k);
  if (!flow) flows.set(k, (flow = makeDeclarationFlow(k)));
  return flow;
}

export async function deny(ctx: BotContext, text = DENIED): Promise<void> {
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: text.replace(/<[^>]+>/g, "").slice(0, 190) });
  else await send(ctx, text);
}

/** Shows a service's refusal: a forged or stale button gets the short answer, anything else a message. */
export async function showRefusal(ctx: BotContext, r: Refused, back?: { label: string; data: string }): Promise<void> {
  if (r.code === "denied") return deny(ctx);
  if (ctx.callbackQuery) await ctx.answerCallbackQuery();
  await send(ctx, r.message, back ? { keyboard: keyboard([[back]]) } : {});
}

/** Checks the sender's role (config and store) on every call; refuses politely otherwise. */
export async function requireCoordinator(ctx: BotContext): Promise<boolean> {
  if (await isStaff(servicesOf(ctx.deps), ctx.account.id)) return true;
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: DENIED });
  else await send(ctx, STAFF_ONLY);
  return false;
}

/** The button a notice's link becomes (callback data the chat features answer; the web chat page runs the same features). */
export function noticeButton(link: NoticeLink): { label: string; data: string } {
  return link.kind === "declaration" ? { label: "📋 查看申报", data: `my|v|${link.ref}` } : { label: "🔎 查看并审核", data: `rv|o|${link.ref}` };
}

function linkButton(link: NoticeLink | undefined): InlineKeyboard | undefined {
  return link ? keyboard([[noticeButton(link)]]) : undefined;
}

/** Sends to another user's private chat; a failure (blocked, never started) is logged, not thrown. */
export async function notifyUser(ctx: BotContext, to: Pick<Notice, "userId" | "chatId">, text: string, markup?: InlineKeyboard): Promise<boolean> {
  const userId = to.userId;
  const chatId = await noticeChat(servicesOf(ctx.deps), to);
  try {
    await ctx.api.sendMessage(chatId, text, { parse_mode: "HTML", link_preview_options: { is_disabled: true }, ...(markup ? { reply_markup: markup } : {}) });
    return true;
  } catch (err) {
    ctx.log.warn({ err, userId }, "could not notify user");
    return false;
  }
}

/** Delivers a service's notices one after another, in the background. */
export function deliver(ctx: BotContext, notices: readonly Notice[]): void {
  if (!notices.length) return;
  ctx.deps.background(async () => {
    for (const n of notices) await notifyUser(ctx, n, n.text, linkButton(n.link));
  }, "notifying users");
}
