/**
 * The web transport: a local stand-in for the Bot API for chats in the web range, like the console's.
 * A line typed on the page or a button tapped becomes an Update for the very same grammY bot
 * (bot.handleUpdate); the bot's sendMessage / editMessageText / answerCallbackQuery / sendDocument
 * calls for a web chat land in that visitor's transcript and are pushed to their open pages.
 * Calls for any other chat pass on to Telegram (or the console) unchanged.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { Bot, Transformer } from "grammy";
import type { Message, Update } from "grammy/types";
import type { BotContext } from "../bot/context.js";
import { isWebUser } from "./web-users.js";

export interface WebButton {
  label: string;
  /** callback_data; it stays on the server: the page names a button by message id and position. */
  data?: string;
  url?: string;
}

export interface WebMessage {
  id: number;
  from: "bot" | "user";
  /** Bot messages: Telegram HTML as the bot sent it. User messages: the plain text typed. */
  text: string;
  buttons: WebButton[][];
  at: string;
  /** Bumped on every change; a poll asks for what changed after a version. */
  version: number;
  file?: { id: string; name: string; image?: boolean };
}

export interface ChatChange {
  version: number;
  messages: WebMessage[];
  toasts: string[];
}

interface ChatLog {
  userId: number;
  nextMessageId: number;
  version: number;
  messages: WebMessage[];
  /** Not persisted: a short popup belongs to the moment it was shown. */
  toasts: { version: number; text: string }[];
}

type Payload = Record<string, unknown> & {
  chat_id?: number | string;
  message_id?: number;
  text?: string;
  caption?: string;
  callback_query_id?: string;
  reply_markup?: { inline_keyboard?: { text: string; callback_data?: string; url?: string }[][] };
  document?: unknown;
  photo?: unknown;
};

export type TapInput = { messageId: number; row: number; col: number };

const KEEP_MESSAGES = 200;
const KEEP_TOASTS = 20;
const SAVE_DELAY_MS = 200;

export class ChatHub {
  private readonly logs = new Map<number, ChatLog>();
  private readonly listeners = new Map<number, Set<(change: ChatChange) => void>>();
  private readonly dirty = new Set<number>();
  /** Visitors whose own update is being handled right now (counts, as updates may overlap). */
  private readonly handling = new Map<number, number>();
  private saveTimer: NodeJS.Timeout | undefined;
  private nextUpdateId = 1;
  private bot: Bot<BotContext> | undefined;
  private readonly chatsDir: string;
  private readonly filesDir: string;

  /**
   * Called for a bot message to a visitor with no page open (see push-channel.ts: WeCom, the Official
   * Account or SMS would plug in here). None is configured: the page shows it on the next visit.
   */
  offline: ((userId: number, message: { text: string }) => void) | undefined;

  constructor(dataDir: string, private readonly now: () => Date = () => new Date()) {
    this.chatsDir = join(dataDir, "web", "chats");
    this.filesDir = join(dataDir, "web", "files");
    mkdirSync(this.chatsDir, { recursive: true });
    mkdirSync(this.filesDir, { recursive: true });
  }

  /** The bot that handles the page's updates (built with `transformer` in its chain). */
  attach(bot: Bot<BotContext>): void {
    this.bot = bot;
  }

  /** Sees every Bot API call first; answers those for web chats, passes the rest on. */
  readonly transformer: Transformer = async (prev, method, raw, signal) => {
    const payload = (raw ?? {}) as Payload;
    const target = this.targetOf(method, payload);
    if (target === undefined) return prev(method, raw, signal);
    try {
      return { ok: true, result: this.deliver(target, method, payload) } as never;
    } catch (err) {
      // Answered like Telegram would, so the bot's usual error handling applies (e.g. edit → send).
      return { ok: false, error_code: 400, description: err instanceof Error ? err.message : String(err) } as never;
    }
  };

  private targetOf(method: string, payload: Payload): number | undefined {
    if (method === "answerCallbackQuery") {
      const m = /^web:(\d+):/.exec(payload.callback_query_id ?? "");
      return m && isWebUser(Number(m[1])) ? Number(m[1]) : undefined;
    }
    const chat = Number(payload.chat_id);
    return isWebUser(chat) ? chat : undefined;
  }

  private deliver(userId: number, method: string, payload: Payload): unknown {
    const log = this.log(userId);
    const date = Math.floor(this.now().getTime() / 1000);
    const chat = { id: userId, type: "private" as const, first_name: "网页用户" };
    switch (method) {
      case "sendMessage": {
        const m = this.append(log, { from: "bot", text: payload.text ?? "", buttons: buttonsOf(payload) });
        // A reply to what the visitor just sent is not "offline", even when their page has no event stream.
        if (!this.listeners.has(userId) && !this.handling.has(userId)) this.offline?.(userId, { text: m.text });
        return { message_id: m.id, date, chat, text: payload.text ?? "" } satisfies Partial<Message>;
      }
      case "editMessageText": {
        const m = log.messages.find((x) => x.id === payload.message_id);
        if (!m) throw new Error("Bad Request: message to edit not found");
        m.text = payload.text ?? "";
        m.buttons = buttonsOf(payload);
        this.changed(log, m);
        return { message_id: m.id, date, chat, text: m.text };
      }
      case "editMessageReplyMarkup": {
        const m = log.messages.find((x) => x.id === payload.message_id);
        if (m) {
          m.buttons = buttonsOf(payload);
          this.changed(log, m);
        }
        return true;
      }
      case "sendPhoto": {
        const file = { ...this.saveDocument(userId, payload.photo, "chart.png"), image: true };
        const m = this.append(log, { from: "bot", text: payload.caption ?? "", buttons: [], file });
        return { message_id: m.id, date, chat };
      }
      case "sendDocument": {
        const file = this.saveDocument(userId, payload.document);
        const m = this.append(log, { from: "bot", text: payload.caption ?? "", buttons: [], file });
        return { message_id: m.id, date, chat };
      }
      case "answerCallbackQuery":
        if (typeof payload.text === "string" && payload.text) {
          log.version++;
          log.toasts.push({ version: log.version, text: payload.text });
          if (log.toasts.length > KEEP_TOASTS) log.toasts.shift();
          this.emit(log, { version: log.version, messages: [], toasts: [payload.text] });
        }
        return true;
      default:
        // Chat actions, deleteMessage and the like have no meaning on the page.
        return true;
    }
  }

  private saveDocument(userId: number, doc: unknown, fallbackName = "export.bin"): { id: string; name: string } {
    const file = doc as { filename?: string; fileData?: unknown };
    const name = (file.filename ?? fallbackName).replace(/[^\w.\-\u4e00-\u9fff]/g, "_").slice(0, 100);
    const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const dir = join(this.filesDir, String(userId));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${id}-${name}`);
    // A document comes as bytes or as the path of a file on disk (exports are streamed to temporary files).
    if (file.fileData instanceof Uint8Array) writeFileSync(path, file.fileData);
    else if (typeof file.fileData === "string") copyFileSync(file.fileData, path);
    else writeFileSync(path, "");
    return { id, name };
  }

  /** The stored file of a document sent to this user, or undefined (another user's id finds nothing). */
  filePath(userId: number, fileId: string): { path: string; name: string } | undefined {
    const m = this.log(userId).messages.find((x) => x.file?.id === fileId);
    if (!m?.file) return undefined;
    const path = join(this.filesDir, String(userId), `${m.file.id}-${m.file.name}`);
    return existsSync(path) ? { path, name: m.file.name } : undefined;
  }

  /** The transcript (or what changed after `since`). */
  changesSince(userId: number, since = 0): ChatChange {
    const log = this.log(userId);
    return {
      version: log.version,
      messages: log.messages.filter((m) => m.version > since),
      toasts: since > 0 ? log.toasts.filter((t) => t.version > since).map((t) => t.text) : [],
    };
  }

  subscribe(userId: number, listener: (change: ChatChange) => void): () => void {
    let set = this.listeners.get(userId);
    if (!set) this.listeners.set(userId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (!set.size) this.listeners.delete(userId);
    };
  }

  /** A line typed on the page: shown in the transcript, then handled by the bot like a Telegram message. */
  async sendText(userId: number, text: string, opts: { echo?: boolean } = {}): Promise<void> {
    const log = this.log(userId);
    // echo: false for lines the page sends on the visitor's behalf (the first /start), not typed by them.
    const shown = opts.echo === false ? { id: log.nextMessageId++ } : this.append(log, { from: "user", text, buttons: [] });
    const date = Math.floor(this.now().getTime() / 1000);
    const command = text.match(/^\/[a-z_]+/i);
    const entities = command ? [{ type: "bot_command" as const, offset: 0, length: command[0].length }] : undefined;
    const message = { message_id: shown.id, date, chat: chatOf(userId), from: userOf(userId), text, ...(entities ? { entities } : {}) };
    await this.handle({ update_id: this.nextUpdateId++, message } as Update);
  }

  /**
   * A button tapped on the page, named by message and position: the callback data sent to the bot
   * is the one this server put on that button, never anything the browser supplies.
   * Returns false when there is no such button (stale page or forged request).
   */
  async tap(userId: number, input: TapInput): Promise<boolean> {
    const log = this.log(userId);
    const m = log.messages.find((x) => x.id === input.messageId && x.from === "bot");
    const button = m?.buttons[input.row]?.[input.col];
    if (!m || !button?.data) return false;
    const updateId = this.nextUpdateId++;
    const date = Math.floor(this.now().getTime() / 1000);
    await this.handle({
      update_id: updateId,
      callback_query: {
        id: `web:${userId}:${updateId}`,
        from: userOf(userId),
        chat_instance: `web${userId}`,
        data: button.data,
        message: { message_id: m.id, date, chat: chatOf(userId), text: "" },
      },
    } as Update);
    return true;
  }

  private async handle(update: Update): Promise<void> {
    if (!this.bot) throw new Error("ChatHub: no bot attached");
    const userId = update.message?.from.id ?? update.callback_query?.from.id ?? 0;
    this.handling.set(userId, (this.handling.get(userId) ?? 0) + 1);
    try {
      await this.bot.handleUpdate(update);
    } finally {
      const n = (this.handling.get(userId) ?? 1) - 1;
      if (n > 0) this.handling.set(userId, n);
      else this.handling.delete(userId);
    }
  }

  private log(userId: number): ChatLog {
    let log = this.logs.get(userId);
    if (!log) {
      log = this.load(userId);
      this.logs.set(userId, log);
    }
    return log;
  }

  private load(userId: number): ChatLog {
    const path = join(this.chatsDir, `${userId}.json`);
    try {
      const saved = JSON.parse(readFileSync(path, "utf8")) as Omit<ChatLog, "toasts">;
      return { ...saved, userId, toasts: [] };
    } catch {
      return { userId, nextMessageId: 1, version: 0, messages: [], toasts: [] };
    }
  }

  private append(log: ChatLog, m: Omit<WebMessage, "id" | "at" | "version">): WebMessage {
    const message: WebMessage = { ...m, id: log.nextMessageId++, at: this.now().toISOString(), version: 0 };
    log.messages.push(message);
    if (log.messages.length > KEEP_MESSAGES) log.messages.splice(0, log.messages.length - KEEP_MESSAGES);
    this.changed(log, message);
    return message;
  }

  private changed(log: ChatLog, m: WebMessage): void {
    m.version = ++log.version;
    this.emit(log, { version: log.version, messages: [m], toasts: [] });
    this.dirty.add(log.userId);
    this.saveTimer ??= setTimeout(() => this.flush(), SAVE_DELAY_MS);
  }

  private emit(log: ChatLog, change: ChatChange): void {
    for (const listener of this.listeners.get(log.userId) ?? []) listener(change);
  }

  /** Writes changed transcripts (temp file + rename, so a crash leaves the old or the new one). */
  flush(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    for (const userId of this.dirty) {
      const log = this.logs.get(userId);
      if (!log) continue;
      const path = join(this.chatsDir, `${userId}.json`);
      const { toasts: _toasts, ...saved } = log;
      writeFileSync(`${path}.tmp`, JSON.stringify(saved));
      renameSync(`${path}.tmp`, path);
    }
    this.dirty.clear();
  }
}

function chatOf(userId: number) {
  return { id: userId, type: "private" as const, first_name: "网页用户" };
}

function userOf(userId: number) {
  return { id: userId, is_bot: false, first_name: "网页用户", language_code: "zh-hans" };
}

function buttonsOf(payload: Payload): WebButton[][] {
  return (payload.reply_markup?.inline_keyboard ?? []).map((row) =>
    row.map((b) => ({ label: b.text, ...(b.callback_data ? { data: b.callback_data } : {}), ...(b.url && /^https?:\/\//i.test(b.url) ? { url: b.url } : {}) })),
  );
}
