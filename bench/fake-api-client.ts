/**
 * An in-process stand-in for the Telegram Bot API, plugged into the real bot as a grammY API
 * transformer: no HTTP, so a benchmark measures the bot (middleware, flows, store) and not a
 * network. It answers like Telegram where that matters to the bot (message ids, edits, "message is
 * not modified", callback answers) and checks what Telegram would refuse with the same rules as the
 * HTTP fake (test/support/telegram-rules.ts: HTML, ≤ 4096 characters, callback data ≤ 64 bytes).
 * Refusals are answered with a 400 (as Telegram would) and kept in `violations`.
 *
 *   const api = new LocalBotApi();
 *   const bot = createBot(config, deps, { botInfo: api.botInfo, transformer: api.transformer });
 *   await bot.handleUpdate(api.textUpdate(42, "/start"));
 *   api.outputs(42).at(-1)?.text
 *
 * Optional faults (`failNext`) reproduce 502s, 429s and network errors for reliability tests.
 */
import type { Transformer } from "grammy";
import type { InlineKeyboardButton, Message, Update, UserFromGetMe } from "grammy/types";
import { ApiError, inlineButtons, renderText, validateMarkup, type InlineButton } from "../test/support/telegram-rules.js";
import { CONSOLE_BOT } from "../src/console/console.js";

export type { InlineButton };

export interface LocalOutput {
  seq: number;
  chatId: number;
  messageId: number;
  kind: "sent" | "edited" | "document";
  /** The text as the user sees it (tags removed, entities decoded). */
  text: string;
  /** As sent, with HTML. */
  rawText: string;
  buttons: InlineButton[][];
}

export interface Violation {
  method: string;
  chatId: number | undefined;
  description: string;
  text: string;
}

export type LocalFault = 502 | 429 | "network";

interface StoredMessage {
  text: string;
  markup: string;
}

/** The console's bot identity, under the id this emulator answers for. */
const BOT: UserFromGetMe = { ...CONSOLE_BOT, id: 123, username: "guopei_test_bot" };

export interface LocalBotApiOptions {
  /** Keep at most this many outputs per chat (older ones are dropped; default 50). */
  keepPerChat?: number;
  /** Keep at most this many messages per chat for edits (default 4 × keepPerChat). */
  keepMessages?: number;
  /** Record every output in `all` too (fuzzing checks them all; default false). */
  keepAll?: boolean;
}

export class LocalBotApi {
  readonly botInfo: UserFromGetMe = BOT;
  readonly violations: Violation[] = [];
  /** Every output, when `keepAll` (in order). */
  readonly all: LocalOutput[] = [];
  /** Callback queries answered (ids). */
  answeredQueries(): ReadonlySet<string> {
    return this.#answered;
  }

  /** Calls per method (including refused ones). */
  readonly calls: Record<string, number> = {};
  readonly #chats = new Map<number, { outputs: LocalOutput[]; messages: Map<number, StoredMessage>; nextId: number }>();
  readonly #faults = new Map<string, LocalFault[]>();
  readonly #answered = new Set<string>();
  readonly #keep: number;
  readonly #keepMessages: number;
  readonly #keepAll: boolean;
  #seq = 0;
  #updateId = 0;
  #queryId = 0;

  constructor(opts: LocalBotApiOptions = {}) {
    this.#keep = opts.keepPerChat ?? 50;
    this.#keepMessages = opts.keepMessages ?? this.#keep * 4;
    this.#keepAll = opts.keepAll ?? false;
  }

  /** The next `count` calls of `method` fail with `fault` (502 Bad Gateway, 429 retry_after 1, or a network error). */
  failNext(method: string, count = 1, fault: LocalFault = 502): void {
    const list = this.#faults.get(method) ?? [];
    for (let i = 0; i < count; i++) list.push(fault);
    this.#faults.set(method, list);
  }

  /** The bot's outputs in a chat, oldest first (at most keepPerChat). */
  outputs(chatId: number): LocalOutput[] {
    return this.#chats.get(chatId)?.outputs ?? [];
  }

  /** Current text of a message the bot sent (after edits). */
  messageText(chatId: number, messageId: number): string | undefined {
    return this.#chats.get(chatId)?.messages.get(messageId)?.text;
  }

  readonly transformer: Transformer = async (_prev, method, payload) => {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    const p = payload as Record<string, unknown>;
    const chatId = typeof p.chat_id === "number" ? p.chat_id : undefined;
    const fault = this.#faults.get(method)?.shift();
    if (fault === "network") throw new Error(`network error (injected) on ${method}`);
    if (fault === 502) return { ok: false, error_code: 502, description: "Bad Gateway" };
    if (fault === 429) return { ok: false, error_code: 429, description: "Too Many Requests: retry after 1", parameters: { retry_after: 1 } };
    try {
      return { ok: true, result: this.#handle(method, p, chatId) as never };
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.code === 400 && !/message is not modified|message to edit not found|query is too old/.test(e.description)) {
        this.violations.push({ method, chatId, description: e.description, text: String(p.text ?? p.caption ?? "") });
      }
      return { ok: false, error_code: e.code, description: e.description };
    }
  };

  #chat(chatId: number) {
    let c = this.#chats.get(chatId);
    if (!c) this.#chats.set(chatId, (c = { outputs: [], messages: new Map(), nextId: 1 }));
    return c;
  }

  #output(o: Omit<LocalOutput, "seq">): void {
    const out = { ...o, seq: ++this.#seq };
    const c = this.#chat(o.chatId);
    c.outputs.push(out);
    if (c.outputs.length > this.#keep) c.outputs.shift();
    if (this.#keepAll) this.all.push(out);
  }

  #message(chatId: number, messageId: number, fields: Partial<Message>): Message {
    return { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: "private", first_name: "U" }, ...fields } as Message;
  }

  #handle(method: string, p: Record<string, unknown>, chatId: number | undefined): unknown {
    switch (method) {
      case "sendMessage": {
        if (chatId === undefined) throw new ApiError(400, "Bad Request: chat not found");
        const text = String(p.text ?? "");
        const parsed = renderText(text, p.parse_mode as string | undefined, undefined, "text");
        // JSON round trip: what the markup looks like on the wire (grammY's keyboard classes included).
        const markup = p.reply_markup === undefined ? undefined : (JSON.parse(JSON.stringify(p.reply_markup)) as unknown);
        validateMarkup(markup);
        const c = this.#chat(chatId);
        const messageId = c.nextId++;
        c.messages.set(messageId, { text: parsed.text, markup: JSON.stringify(markup ?? null) });
        if (c.messages.size > this.#keepMessages) c.messages.delete(c.messages.keys().next().value!);
        this.#output({ chatId, messageId, kind: "sent", text: parsed.text, rawText: text, buttons: inlineButtons(markup) });
        return this.#message(chatId, messageId, { text: parsed.text, ...(markup ? { reply_markup: markup as Message["reply_markup"] } : {}) });
      }
      case "editMessageText": {
        if (chatId === undefined) throw new ApiError(400, "Bad Request: chat not found");
        const messageId = Number(p.message_id);
        const text = String(p.text ?? "");
        const parsed = renderText(text, p.parse_mode as string | undefined, undefined, "text");
        const markup = p.reply_markup === undefined ? undefined : (JSON.parse(JSON.stringify(p.reply_markup)) as unknown);
        validateMarkup(markup);
        const c = this.#chat(chatId);
        const stored = c.messages.get(messageId);
        if (!stored) throw new ApiError(400, "Bad Request: message to edit not found");
        const markupJson = JSON.stringify(markup ?? null);
        if (stored.text === parsed.text && stored.markup === markupJson) {
          throw new ApiError(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
        }
        c.messages.set(messageId, { text: parsed.text, markup: markupJson });
        this.#output({ chatId, messageId, kind: "edited", text: parsed.text, rawText: text, buttons: inlineButtons(markup) });
        return this.#message(chatId, messageId, { text: parsed.text, edit_date: Math.floor(Date.now() / 1000) });
      }
      case "editMessageReplyMarkup":
        return true;
      case "answerCallbackQuery": {
        const id = String(p.callback_query_id ?? "");
        if (this.#answered.has(id)) throw new ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid");
        this.#answered.add(id);
        // A second answer comes within moments of the first; a long memory of ids is only heap the bot's GC marks.
        if (this.#answered.size > 20_000) this.#answered.clear();
        const text = p.text === undefined ? "" : String(p.text);
        if (text.length > 200) throw new ApiError(400, "Bad Request: answer text is too long");
        return true;
      }
      case "sendDocument": {
        if (chatId === undefined) throw new ApiError(400, "Bad Request: chat not found");
        const caption = p.caption === undefined ? "" : String(p.caption);
        const parsed = caption ? renderText(caption, p.parse_mode as string | undefined, undefined, "caption") : { text: "" };
        const c = this.#chat(chatId);
        const messageId = c.nextId++;
        const doc = p.document as { filename?: string } | undefined;
        this.#output({ chatId, messageId, kind: "document", text: parsed.text, rawText: caption, buttons: [] });
        return this.#message(chatId, messageId, { document: { file_id: `f${messageId}`, file_unique_id: `u${messageId}`, file_name: doc?.filename ?? "file" } });
      }
      case "sendChatAction":
      case "setMyCommands":
      case "deleteWebhook":
      case "deleteMessage":
        return true;
      case "getMe":
        return this.botInfo;
      default:
        throw new ApiError(404, `Not Found: method ${method} is not emulated`);
    }
  }

  // ------------------------------------------------------------------ updates

  textUpdate(userId: number, text: string, opts: { chatId?: number; chatType?: "private" | "group" } = {}): Update {
    const chatId = opts.chatId ?? userId;
    const entities = text.startsWith("/") ? [{ type: "bot_command" as const, offset: 0, length: text.split(/\s/)[0]!.length }] : undefined;
    return {
      update_id: ++this.#updateId,
      message: {
        message_id: 1_000_000 + this.#updateId,
        date: Math.floor(Date.now() / 1000),
        chat: opts.chatType === "group" ? { id: chatId, type: "group", title: "群" } : { id: chatId, type: "private", first_name: "U" },
        from: { id: userId, is_bot: false, first_name: `用户${userId % 1000}`, language_code: "zh-hans" },
        text,
        ...(entities ? { entities } : {}),
      },
    } as Update;
  }

  callbackUpdate(userId: number, data: string, messageId: number, opts: { chatId?: number } = {}): Update {
    const chatId = opts.chatId ?? userId;
    const shown = this.messageText(chatId, messageId) ?? "…";
    return {
      update_id: ++this.#updateId,
      callback_query: {
        id: `q${++this.#queryId}`,
        from: { id: userId, is_bot: false, first_name: `用户${userId % 1000}` },
        chat_instance: `ci${chatId}`,
        data,
        message: { message_id: messageId, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: "private", first_name: "U" }, text: shown },
      },
    } as Update;
  }

  /** A sticker, photo or other non-text message. */
  stickerUpdate(userId: number): Update {
    return {
      update_id: ++this.#updateId,
      message: {
        message_id: 1_000_000 + this.#updateId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: userId, type: "private", first_name: "U" },
        from: { id: userId, is_bot: false, first_name: "U" },
        sticker: { file_id: "s", file_unique_id: "s", type: "regular", width: 1, height: 1, is_animated: false, is_video: false },
      },
    } as Update;
  }

  /** The user blocks (kicked) or unblocks (member) the bot. */
  memberUpdate(userId: number, status: "kicked" | "member"): Update {
    const user = { id: userId, is_bot: false, first_name: "U" };
    return {
      update_id: ++this.#updateId,
      my_chat_member: {
        chat: { id: userId, type: "private", first_name: "U" },
        from: user,
        date: Math.floor(Date.now() / 1000),
        old_chat_member: { status: status === "kicked" ? "member" : "kicked", user: this.botInfo, ...(status === "member" ? { until_date: 0 } : {}) },
        new_chat_member: { status, user: this.botInfo, ...(status === "kicked" ? { until_date: 0 } : {}) },
      },
    } as Update;
  }
}

/** Buttons of an output, flattened. */
export function buttonsOf(o: { buttons: InlineButton[][] } | undefined): InlineKeyboardButton.CallbackButton[] {
  return (o?.buttons.flat() ?? []).filter((b): b is InlineKeyboardButton.CallbackButton => typeof b.callback_data === "string") as InlineKeyboardButton.CallbackButton[];
}
