/**
 * Telegram's rules for outgoing messages, as far as the fake checks them:
 * parse modes, text and caption lengths, inline keyboards. Errors carry the
 * descriptions the real Bot API uses, so bot code can be tested against them.
 */
import type { InlineKeyboardMarkup, Message, MessageEntity } from "grammy/types";
import { HtmlParseError, parseTelegramHtml } from "./telegram-html.js";

export const LIMITS = { text: 4096, caption: 1024, callbackDataBytes: 64 };

/** An inline button needs one of these; a text-only button is refused. */
const BUTTON_ACTIONS = [
  "callback_data",
  "url",
  "web_app",
  "login_url",
  "switch_inline_query",
  "switch_inline_query_current_chat",
  "switch_inline_query_chosen_chat",
  "copy_text",
  "callback_game",
  "pay",
];

/** A Bot API error answer: HTTP status = error_code. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: { retry_after: number },
  ) {
    super(description);
  }
}

export const badRequest = (detail: string) => new ApiError(400, `Bad Request: ${detail}`);
export const tooManyRequests = (seconds: number) => {
  const retryAfter = Math.max(1, seconds);
  return new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
};

export interface InlineButton {
  text: string;
  callback_data?: string;
  url?: string;
}

/** Parses text per parse_mode and applies Telegram's emptiness and length limits. */
export function renderText(
  raw: string,
  parseMode: string | undefined,
  entities: MessageEntity[] | undefined,
  kind: "text" | "caption",
): { text: string; entities: MessageEntity[] } {
  let parsed: { text: string; entities: MessageEntity[] };
  const mode = parseMode?.toLowerCase() ?? "";
  if (mode === "") {
    parsed = { text: raw, entities: entities ?? [] };
  } else if (mode === "html") {
    try {
      parsed = parseTelegramHtml(raw);
    } catch (error) {
      if (error instanceof HtmlParseError) throw badRequest(`can't parse entities: ${error.message}`);
      throw error;
    }
  } else if (mode === "markdown" || mode === "markdownv2") {
    parsed = { text: raw, entities: [] }; // not validated
  } else {
    throw badRequest("unsupported parse_mode");
  }
  if (kind === "text") {
    if (parsed.text.trim() === "") throw badRequest("message text is empty");
    if (parsed.text.length > LIMITS.text) throw badRequest("message is too long");
  } else if (parsed.text.length > LIMITS.caption) {
    throw badRequest("message caption is too long");
  }
  return parsed;
}

/** Checks reply_markup like Telegram; returns it unchanged. */
export function validateMarkup(markup: unknown): unknown {
  if (markup === undefined) return undefined;
  if (typeof markup !== "object" || markup === null) throw badRequest("can't parse reply keyboard markup JSON object");
  if (!("inline_keyboard" in markup)) return markup; // reply keyboard, remove_keyboard, force_reply
  const rows = markup.inline_keyboard;
  if (!Array.isArray(rows) || !rows.every(Array.isArray)) {
    throw badRequest('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays');
  }
  for (const button of rows.flat() as Array<Record<string, unknown>>) {
    if (typeof button?.text !== "string") throw badRequest('can\'t parse inline keyboard button: Field "text" must be of type String');
    if ("callback_data" in button) {
      const bytes = Buffer.byteLength(String(button.callback_data));
      if (bytes < 1 || bytes > LIMITS.callbackDataBytes) throw badRequest("BUTTON_DATA_INVALID");
    }
    if ("url" in button && !/^(https?|tg):\/\/\S+$/i.test(String(button.url))) throw badRequest("BUTTON_URL_INVALID");
    if (!BUTTON_ACTIONS.some((action) => action in button)) {
      throw badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
    }
  }
  return markup;
}

export function isInlineKeyboard(markup: unknown): markup is InlineKeyboardMarkup {
  return typeof markup === "object" && markup !== null && "inline_keyboard" in markup;
}

export function textFields(content: { text: string; entities: MessageEntity[] }, markup: unknown): Partial<Message> {
  const fields: Partial<Message> = { text: content.text };
  if (content.entities.length > 0) fields.entities = content.entities;
  // Messages only echo inline keyboards.
  if (isInlineKeyboard(markup)) fields.reply_markup = markup;
  return fields;
}

export function inlineButtons(markup: unknown): InlineButton[][] {
  if (!isInlineKeyboard(markup)) return [];
  return markup.inline_keyboard.map((row) =>
    row.map((b) => {
      const button: InlineButton = { text: b.text };
      if ("callback_data" in b) button.callback_data = b.callback_data;
      if ("url" in b) button.url = b.url;
      return button;
    }),
  );
}

