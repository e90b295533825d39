/**
 * What the declaration features (/declare, /my, /review, /export, /stats, /grant) share: the form,
 * access checks that always start from the tapping user's id, and notifications that never fail an update.
 */
import type { InlineKeyboard } from "grammy";
import { makeDeclarationFlow } from "../../flows/declaration.js";
import { applicableDeadline, deadlinePassed } from "../domain/declaration-deadline.js";
import type { Actor } from "../domain/lifecycle.js";
import type { Flow } from "../engine/types.js";
import type { Knowledge } from "../knowledge/schema.js";
import type { DeclarationRecord } from "../store/types.js";
import { isAdmin, isCoordinator, type BotContext } from "./context.js";
import { send } from "./render.js";

/** Said for forged, foreign and stale buttons alike, so a guess reveals nothing. */
export const DENIED = "已过期或无权操作";

/** GP2024-0001: what a callback may carry as a reference number. */
export const REF = /^[A-Z]{2}\d{4}-\d{4,6}$/;

const flows = new WeakMap<Knowledge, Flow>();

/** The declaration form built from the knowledge (the same object the flow runner builds). */
export function declarationFlow(k: Knowledge): Flow {
  let flow = flows.get(k);
  if (!flow) flows.set(k, (flow = makeDeclarationFlow(k)));
  return flow;
}

export async function deny(ctx: BotContext): Promise<void> {
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: DENIED });
  else await send(ctx, DENIED);
}

/** The sender's own declaration, or undefined for anything else (unknown, malformed or someone else's). */
export async function ownDeclaration(ctx: BotContext, ref: string | undefined): Promise<DeclarationRecord | undefined> {
  if (!ref || !REF.test(ref)) return undefined;
  const d = await ctx.deps.store.declarations.get(ref);
  return d && d.ownerId === ctx.account.id ? d : undefined;
}

export const STAFF_ONLY = "抱歉，此功能仅限协调员和管理员使用。如需开通，请联系管理员。";

/** Checks the sender's role from the store and config on every call; refuses politely otherwise. */
export async function requireCoordinator(ctx: BotContext): Promise<boolean> {
  if (await isCoordinator(ctx.deps, ctx.account.id)) return true;
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: DENIED });
  else await send(ctx, STAFF_ONLY);
  return false;
}

/** Sends to another user's private chat; a failure (blocked, never started) is logged, not thrown. */
export async function notifyUser(ctx: BotContext, userId: number, text: string, keyboard?: InlineKeyboard): Promise<boolean> {
  const chatId = (await ctx.deps.store.users.get(userId))?.chatId ?? userId;
  try {
    await ctx.api.sendMessage(chatId, text, { parse_mode: "HTML", link_preview_options: { is_disabled: true }, ...(keyboard ? { reply_markup: keyboard } : {}) });
    return true;
  } catch (err) {
    ctx.log.warn({ err, userId }, "could not notify user");
    return false;
  }
}

/** Display name of a user for staff views ("张三 (123)"). */
export async function userName(ctx: BotContext, id: number): Promise<string> {
  return (await userNames(ctx, [id]))(id);
}

/** Looks the users up once, for renderers that name people synchronously (a card's history). */
export async function userNames(ctx: BotContext, ids: Iterable<number>): Promise<(id: number) => string> {
  const names = new Map<number, string>();
  for (const id of new Set(ids)) {
    const name = (await ctx.deps.store.users.get(id))?.name;
    if (name) names.set(id, name);
  }
  return (id) => {
    const name = names.get(id);
    return name ? `${name} (${id})` : String(id);
  };
}

/** Every staff member (admins from config, coordinators from the store). */
export async function staffIds(ctx: BotContext): Promise<number[]> {
  const ids = new Set(ctx.deps.config.ADMIN_IDS);
  for (const u of await ctx.deps.store.users.withRole("coordinator")) ids.add(u.id);
  return [...ids];
}

/** The sender's capacities towards a declaration, from the tapping user's id (never from the button). */
export async function actorsOf(ctx: BotContext, d: DeclarationRecord): Promise<Actor[]> {
  const actor: Actor[] = [];
  if (d.ownerId === ctx.account.id) actor.push("owner");
  if (isAdmin(ctx.deps, ctx.account.id)) actor.push("admin");
  else if (await isCoordinator(ctx.deps, ctx.account.id)) actor.push("coordinator");
  return actor;
}

/** The deadline governing a declaration (or a draft's plan and sub-project), and whether it has passed. */
export async function governingDeadline(ctx: BotContext, target: { plan: DeclarationRecord["plan"]; subProjectId: string }) {
  const deadline = applicableDeadline(await ctx.deps.store.deadlines.list(), target);
  return { deadline, passed: !!deadline && deadlinePassed(deadline, ctx.deps.now(), ctx.deps.config.TZ) };
}
