/** Turning engine replies into Telegram messages: keyboards, callback data, length limits. */
import { InlineKeyboard } from "grammy";
import type { Button, Input, Reply } from "../engine/types.js";
import type { BotContext } from "./context.js";

/** Telegram's limit is 4096; leave room for a page marker. */
export const MAX_MESSAGE = 4000;

/** Splits at line breaks so no message exceeds the limit (a single over-long line is cut hard). */
export function splitMessage(text: string, max = MAX_MESSAGE): string[] {
  if (text.length <= max) return [text];
  const parts: string[] = [];
  let current = "";
  for (const line of text.split("\n")) {
    for (let rest = line; ; ) {
      const room = max - (current ? current.length + 1 : 0);
      if (rest.length <= room) {
        current = current ? `${current}\n${rest}` : rest;
        break;
      }
      if (current) {
        parts.push(current);
        current = "";
        continue;
      }
      const cut = safeCut(rest, max);
      parts.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
  }
  if (current) parts.push(current);
  return parts;
}

/** Where to cut an over-long line at most `max` in, never inside an HTML entity (&amp;) or tag. */
function safeCut(line: string, max: number): number {
  const head = line.slice(0, max);
  const amp = head.lastIndexOf("&");
  if (amp >= 0 && amp > max - 10 && !head.slice(amp).includes(";")) return amp || max;
  const lt = head.lastIndexOf("<");
  if (lt > 0 && !head.slice(lt).includes(">")) return lt;
  return max;
}

const FLOW_PREFIX = "f";

/** Engine input → compact callback payload ("p3", "t0", "e:phone"). */
export function encodeInput(i: Input): string {
  switch (i.type) {
    case "pick":
      return `p${i.index}`;
    case "toggle":
      return `t${i.index}`;
    case "edit":
      return `e:${i.stepId}`;
    case "text":
      return `x:${i.text}`;
    default:
      return { done: "d", back: "b", skip: "s", cancel: "c", confirm: "k" }[i.type];
  }
}

/** Callback payload → engine input; anything malformed is refused (callback data is never trusted). */
export function decodeInput(code: string): Input | undefined {
  const m = code.match(/^([pt])(\d{1,3})$/);
  if (m) return { type: m[1] === "p" ? "pick" : "toggle", index: Number(m[2]) };
  if (code.startsWith("e:") && /^e:[a-zA-Z][\w:-]{0,40}$/.test(code)) return { type: "edit", stepId: code.slice(2) };
  const simple: Record<string, Input> = { d: { type: "done" }, b: { type: "back" }, s: { type: "skip" }, c: { type: "cancel" }, k: { type: "confirm" } };
  return simple[code];
}

/**
 * "f|nonce|code", and "|n" after it on the buttons of a step that asks for a number: the terminal
 * transport reads that as "a typed number here is the answer, not a button tap". Telegram ignores it.
 */
export function flowCallback(nonce: string, input: Input, asksNumber = false): string {
  return `${FLOW_PREFIX}|${nonce}|${encodeInput(input)}${asksNumber ? "|n" : ""}`;
}

/** Callback data of a button on a number step (see flowCallback). */
export const NUMBER_STEP_BUTTON = /^f\|[^|]+\|[^|]+\|n$/;

export function parseFlowCallback(data: string): { nonce: string; input: Input | undefined } | undefined {
  const [prefix, nonce, code] = data.split("|");
  if (prefix !== FLOW_PREFIX || !nonce || code === undefined) return undefined;
  return { nonce, input: decodeInput(code) };
}

export function keyboardOf(buttons: Button[][] | undefined, nonce: string, asksNumber = false): InlineKeyboard | undefined {
  if (!buttons?.length) return undefined;
  return InlineKeyboard.from(buttons.map((row) => row.map((b) => InlineKeyboard.text(b.label, flowCallback(nonce, b.input, asksNumber)))));
}

/** A keyboard of ready-made callback payloads (for stateless features such as browsing). */
export function keyboard(rows: { label: string; data: string }[][]): InlineKeyboard {
  return InlineKeyboard.from(rows.map((row) => row.map((b) => InlineKeyboard.text(b.label, b.data))));
}

export interface SendOptions {
  keyboard?: InlineKeyboard | undefined;
  /** Replace the message a button was tapped on instead of sending a new one. */
  edit?: boolean;
}

/** Sends HTML text, split to fit; the keyboard goes on the last part. */
export async function send(ctx: BotContext, text: string, opts: SendOptions = {}): Promise<void> {
  const parts = splitMessage(text);
  for (let i = 0; i < parts.length; i++) {
    const last = i === parts.length - 1;
    const extra = { parse_mode: "HTML" as const, link_preview_options: { is_disabled: true }, ...(last && opts.keyboard ? { reply_markup: opts.keyboard } : {}) };
    if (i === 0 && opts.edit && ctx.callbackQuery?.message) {
      try {
        await ctx.editMessageText(parts[i]!, extra);
        continue;
      } catch (e) {
        // "message is not modified" or too old to edit: fall back to a new message.
        ctx.log.debug({ err: e }, "edit failed, sending instead");
      }
    }
    await ctx.reply(parts[i]!, extra);
  }
}

/** Sends engine replies; buttons are bound to the flow's nonce. */
export async function sendReplies(ctx: BotContext, replies: Reply[], nonce: string, edit = false): Promise<void> {
  for (const [i, r] of replies.entries()) await send(ctx, r.text, { keyboard: keyboardOf(r.buttons, nonce, r.asks === "number"), edit: edit && i === 0 });
}
