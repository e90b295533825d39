/**
 * A fake Telegram Bot API server for end-to-end tests. The real bot talks to
 * it over HTTP (TELEGRAM_API_ROOT); tests push updates as users and read back
 * what the bot sent. It validates like Telegram where that is cheap (HTML,
 * lengths, callback data, edits) and can inject 429, 403, 5xx, hangs and drops.
 *
 *   const api = await startFakeBotApi();
 *   api.sendText(42, "/start");
 *   const reply = await api.waitForMessage(42, /欢迎/);
 *   api.tapButton(42, reply, "开始");
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type {
  BotCommand,
  Chat,
  ChatMember,
  Message,
  MessageEntity,
  Update,
  User,
  UserFromGetMe,
} from "grammy/types";
import { BodyParseError, readRequestParams, type UploadedFile } from "./request-body.js";
import {
  ApiError,
  badRequest,
  inlineButtons,
  isInlineKeyboard,
  renderText,
  textFields,
  tooManyRequests,
  validateMarkup,
  type InlineButton,
} from "./telegram-rules.js";

export type { InlineButton };

export const DEFAULT_TOKEN = "123:TEST";

/** Calls counted by flood control. */
const RATE_LIMITED = new Set(["sendMessage", "sendDocument", "editMessageText", "editMessageReplyMarkup"]);
/** Calls that fail with 403 once the user has blocked the bot. */
const BLOCKABLE = new Set([...RATE_LIMITED, "sendChatAction"]);
/** Update types Telegram withholds unless allowed_updates names them. */
const OPT_IN_UPDATES = new Set(["chat_member", "message_reaction", "message_reaction_count"]);
const MIME_TYPES: Record<string, string> = {
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  pdf: "application/pdf",
  csv: "text/csv",
  txt: "text/plain",
  json: "application/json",
  zip: "application/zip",
};

// ---------------------------------------------------------------- public types

/**
 * 502 = Bad Gateway JSON, 429 = Too Many Requests, "timeout" = never answer, "drop" = destroy the
 * socket, "late" = handle the call (the message is delivered) but answer only after `lateMs`.
 */
export type FaultKind = 502 | 429 | "timeout" | "drop" | "late";

export interface RateLimitOptions {
  /** Global cap on sendMessage/sendDocument/edit* calls in any sliding 1-second window (Telegram: ~30). */
  perSecond?: number;
  /** Per-chat token bucket (Telegram: ~1 message/s per chat, short bursts tolerated). `burst` defaults to 3. */
  perChat?: { perSecond: number; burst?: number };
}

export interface FakeBotApiOptions {
  /** The only token accepted; other tokens get 401. Default "123:TEST". */
  token?: string;
  /** Overrides for the getMe result. */
  bot?: Partial<UserFromGetMe>;
  rateLimit?: RateLimitOptions;
  blockedChats?: Iterable<number>;
  /** Delay added before answering every call except getUpdates. */
  latencyMs?: number;
  /** How late a "late" fault answers (default 2000 ms). */
  lateMs?: number;
}

export interface SentDocument {
  fileId: string;
  filename: string;
  mimeType: string;
  bytes: Buffer;
}

/** One thing the bot showed in a chat: a new message, or a new version of an edited one. */
export interface BotOutput {
  /** Order across all chats. */
  seq: number;
  kind: "sent" | "edited";
  method: string;
  chatId: number;
  messageId: number;
  /** What the user sees: the text or caption with HTML tags removed and entities decoded. */
  text: string;
  /** Exactly what the bot sent, markup included. */
  rawText: string;
  parseMode: string | undefined;
  /** Inline keyboard, [] if none. */
  buttons: InlineButton[][];
  /** reply_markup as sent (also reply keyboards, remove_keyboard, force_reply). */
  replyMarkup: unknown;
  document: SentDocument | undefined;
  /** The Message object the API returned. */
  message: Message;
}

export interface BotMessageState extends BotOutput {
  deleted: boolean;
}

/** A substring of the text, a RegExp on it, or a predicate. */
export type OutputMatcher = string | RegExp | ((output: BotOutput) => boolean);
/** A message_id, a text matcher, or a message-like object (BotOutput or Message). */
export type MessageSelector = number | string | RegExp | { messageId: number; chatId?: number } | Message;
/** Button label (exact, else a unique substring), a RegExp on the label, or the index in reading order. */
export type ButtonSelector = string | RegExp | number;

export interface UserMessageOptions {
  /** Merged into (and remembered for) this user's profile. */
  from?: Partial<User>;
  /** Defaults to the private chat with the user (chat id = user id). */
  chat?: Chat;
  /** message_id this message replies to. */
  replyTo?: number;
}

export interface CallbackTap {
  update: Update;
  queryId: string;
  data: string;
  messageId: number;
}

export interface CallbackAnswer {
  text?: string;
  show_alert?: boolean;
  url?: string;
}

export interface ApiCall {
  method: string;
  chatId: number | undefined;
  params: Record<string, unknown>;
  /** HTTP status; 0 when an injected fault left the call unanswered. */
  status: number;
  description: string | undefined;
  at: number;
}

/** A call the fake has received in full but not answered yet. */
export interface InFlightCall {
  method: string;
  chatId: number | undefined;
  text: string | undefined;
  receivedAt: number;
}

export interface FakeStats {
  /** Calls received per method, including failed ones. */
  calls: Record<string, number>;
  tooManyRequests: number;
  forbidden: number;
  badRequests: number;
  /** Calls refused per blocked chat. */
  blockedAttempts: Map<number, number>;
  /** Successful sendMessage/sendDocument per chat. */
  messagesPerChat: Map<number, number>;
  /** Most flood-controlled calls accepted in any 1-second window. */
  peakPerSecond: number;
  /** Updates dropped because allowed_updates excludes their type. */
  withheldUpdates: number;
}

export interface WebhookInfo {
  url: string;
  secret_token?: string;
  allowed_updates?: string[];
}

export async function startFakeBotApi(options: FakeBotApiOptions = {}): Promise<FakeBotApi> {
  return FakeBotApi.start(options);
}

// --------------------------------------------------------------- internals

/** Typed access to call parameters, which arrive as JSON values or as strings (form encodings). */
class Params {
  constructor(
    readonly fields: Record<string, unknown>,
    readonly files: Map<string, UploadedFile>,
  ) {}

  str(name: string): string | undefined {
    const v = this.fields[name];
    return v === undefined || v === null ? undefined : String(v);
  }

  int(name: string): number | undefined {
    const v = this.fields[name];
    if (v === undefined || v === null || v === "") return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw badRequest(`field "${name}" must be an Integer`);
    return n;
  }

  bool(name: string): boolean {
    const v = this.fields[name];
    return v === true || v === "true";
  }

  /** Objects arrive parsed in JSON bodies and as JSON strings in form bodies. */
  json<T>(name: string): T | undefined {
    const v = this.fields[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") return v as T;
    try {
      return JSON.parse(v) as T;
    } catch {
      throw badRequest(`can't parse ${name} JSON object`);
    }
  }

  chatId(): number {
    const v = this.fields.chat_id;
    const n = Number(v);
    if (v === undefined || v === "" || !Number.isInteger(n)) throw badRequest("chat not found");
    return n;
  }

  messageId(): number {
    const id = this.int("message_id");
    if (id === undefined) throw badRequest("message identifier is not specified");
    return id;
  }
}

interface StoredMessage {
  message: Message;
  fromBot: boolean;
  deleted: boolean;
  /** Latest version as the bot sent it (bot messages only). */
  output: BotOutput | undefined;
}

interface ChatState {
  chat: Chat;
  nextMessageId: number;
  messages: Map<number, StoredMessage>;
  outputs: BotOutput[];
  /** Index of the first output not yet consumed by waitForMessage/nextReplies. */
  cursor: number;
}

/** Why a held long poll was answered. */
export type LongPollEnd = "push" | "timeout" | "closing";

interface PendingPoll {
  wake(why: LongPollEnd): void;
  supersede(): void;
}

interface Waiter {
  attempt(): void;
  abort(error: Error): void;
}

type Handler = (params: Params, signal: AbortSignal) => unknown;

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function freshStats(): FakeStats {
  return {
    calls: {},
    tooManyRequests: 0,
    forbidden: 0,
    badRequests: 0,
    blockedAttempts: new Map(),
    messagesPerChat: new Map(),
    peakPerSecond: 0,
    withheldUpdates: 0,
  };
}

// ------------------------------------------------------------------ server

export class FakeBotApi {
  readonly token: string;
  readonly botUser: UserFromGetMe;
  /** Base URL to give the bot as TELEGRAM_API_ROOT, e.g. "http://127.0.0.1:40123". */
  apiRoot = "";
  /** Flood control; change at any time, undefined = unlimited. */
  rateLimit: RateLimitOptions | undefined;
  /** Chats whose user blocked the bot; mutate freely (or use blockBot/unblockBot). */
  readonly blockedChats: Set<number>;
  latencyMs: number;
  lateMs: number;
  readonly stats: FakeStats = freshStats();
  webhook: WebhookInfo | undefined;
  /** Set by startWebhookDelivery(): new updates go to it instead of the getUpdates queue. */
  webhookSink: ((update: Update) => void) | undefined;
  /** setMyCommands results by commandsKey(scope, language_code). */
  readonly commands = new Map<string, BotCommand[]>();
  /** Errors inside the fake itself (answered with 500); should stay empty. */
  readonly internalErrors: unknown[] = [];
  /** Held long polls answered so far, by why: an update pushed, the poll's timeout, the fake closing. */
  readonly longPollEnds: Record<LongPollEnd, number> = { push: 0, timeout: 0, closing: 0 };

  private readonly server: Server;
  private readonly callLog: ApiCall[] = [];
  private readonly chats = new Map<number, ChatState>();
  private readonly users = new Map<number, User>();
  private readonly callbacks = new Map<string, { answer: CallbackAnswer | undefined }>();
  private readonly files = new Map<string, SentDocument>();
  private readonly faults = new Map<string, FaultKind[]>();
  private readonly held = new Set<ServerResponse>();
  /** Calls received in full (body read) and not answered yet: what a bot killed now had on the wire. */
  private readonly unanswered = new Map<ServerResponse, InFlightCall>();
  private readonly waiters = new Set<Waiter>();
  private readonly diagnostics = new Set<() => string>();
  private queue: Update[] = [];
  private nextUpdateId = 1;
  private allowedUpdates: string[] = [];
  private activePoll: PendingPoll | undefined;
  private polls = 0;
  private lastPollAt: number | undefined;
  private recentSends: number[] = [];
  private readonly buckets = new Map<number, { tokens: number; at: number }>();
  private seq = 0;
  private counter = 0;
  private closing = false;

  private constructor(options: FakeBotApiOptions) {
    this.token = options.token ?? DEFAULT_TOKEN;
    const botId = Number(this.token.split(":")[0]) || 123;
    this.botUser = {
      id: botId,
      is_bot: true,
      first_name: "Test Bot",
      username: "test_bot",
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
      ...options.bot,
    };
    this.rateLimit = options.rateLimit;
    this.blockedChats = new Set(options.blockedChats);
    this.latencyMs = options.latencyMs ?? 0;
    this.lateMs = options.lateMs ?? 2000;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.internalErrors.push(error);
        console.error("fake Bot API internal error:", error);
        this.reply(res, 500, { ok: false, error_code: 500, description: `Internal Server Error: ${String(error)}` });
      });
    });
  }

  static async start(options: FakeBotApiOptions = {}): Promise<FakeBotApi> {
    const api = new FakeBotApi(options);
    await new Promise<void>((resolve, reject) => {
      api.server.once("error", reject);
      api.server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = api.server.address() as AddressInfo;
    api.apiRoot = `http://127.0.0.1:${port}`;
    return api;
  }

  /** Answers pending polls, cuts held connections and stops listening. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.activePoll?.wake("closing");
    for (const res of this.held) res.destroy();
    for (const waiter of this.waiters) waiter.abort(new Error("fake Bot API closed"));
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ------------------------------------------------------------ HTTP layer

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const route = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    if (!route) return this.reply(res, 404, { ok: false, error_code: 404, description: "Not Found" });
    if (route[1] !== this.token) return this.reply(res, 401, { ok: false, error_code: 401, description: "Unauthorized" });
    // Telegram method names are case-insensitive.
    const requested = route[2]!;
    const method = Object.keys(this.handlers).find((m) => m.toLowerCase() === requested.toLowerCase()) ?? requested;
    this.stats.calls[method] = (this.stats.calls[method] ?? 0) + 1;
    if (method === "getUpdates") {
      this.polls += 1;
      this.lastPollAt = Date.now();
      this.notify();
    }

    const disconnected = new AbortController();
    res.on("close", () => disconnected.abort());

    let params: Params;
    try {
      const { fields, files } = await readRequestParams(req, url);
      params = new Params(fields, files);
    } catch (error) {
      if (!(error instanceof BodyParseError)) throw error;
      return this.reply(res, 400, { ok: false, error_code: 400, description: `Bad Request: ${error.message}` });
    }

    const call: InFlightCall = { method, chatId: params.fields.chat_id === undefined ? undefined : Number(params.fields.chat_id), text: params.fields.text === undefined ? undefined : String(params.fields.text), receivedAt: Date.now() };
    // Until answered (reply()), or until the client goes away (killed, gave up).
    this.unanswered.set(res, call);
    res.once("close", () => this.unanswered.delete(res));

    const fault = this.faults.get(method)?.shift();
    if (fault !== undefined && fault !== "late") return this.injectFault(fault, method, params, res);
    if (this.latencyMs > 0 && method !== "getUpdates") await sleep(this.latencyMs);

    let status = 200;
    let body: Record<string, unknown>;
    try {
      const handler = this.handlers[method];
      if (!handler) throw new ApiError(404, "Not Found: method not found");
      if (BLOCKABLE.has(method)) this.refuseBlocked(params.chatId());
      if (RATE_LIMITED.has(method)) this.applyRateLimit(params.chatId());
      body = { ok: true, result: await handler(params, disconnected.signal) };
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      status = error.code;
      body = { ok: false, error_code: error.code, description: error.description };
      if (error.parameters) body.parameters = error.parameters;
      if (status === 400) this.stats.badRequests += 1;
      if (status === 403) this.stats.forbidden += 1;
      if (status === 429) this.stats.tooManyRequests += 1;
    }
    // Successful polls would flood the log; failed ones are worth seeing.
    if (method !== "getUpdates" || status !== 200) this.record(method, params, status, body.description as string | undefined);
    // Done (a message is delivered), but the answer comes after the client may have given up.
    if (fault === "late") await sleep(this.lateMs);
    this.reply(res, status, body);
    this.notify();
  }

  private reply(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
    this.unanswered.delete(res);
  }

  private injectFault(kind: FaultKind, method: string, params: Params, res: ServerResponse): void {
    this.record(method, params, typeof kind === "number" ? kind : 0, `injected fault: ${kind}`);
    if (kind === 502) {
      this.reply(res, 502, { ok: false, error_code: 502, description: "Bad Gateway" });
    } else if (kind === 429) {
      this.stats.tooManyRequests += 1;
      const error = tooManyRequests(1);
      this.reply(res, 429, { ok: false, error_code: 429, description: error.description, parameters: error.parameters });
    } else if (kind === "drop") {
      res.destroy();
    } else {
      // Hold the request until the client gives up or the fake closes.
      this.held.add(res);
      res.on("close", () => this.held.delete(res));
    }
    this.notify();
  }

  private record(method: string, params: Params, status: number, description: string | undefined): void {
    const chatId = Number(params.fields.chat_id);
    const loggedParams: Record<string, unknown> = { ...params.fields };
    for (const [name, file] of params.files) loggedParams[name] = `<file ${file.filename}, ${file.bytes.length} bytes>`;
    this.callLog.push({
      method,
      chatId: Number.isInteger(chatId) ? chatId : undefined,
      params: loggedParams,
      status,
      description,
      at: Date.now(),
    });
  }

  // ------------------------------------------------------- Bot API methods

  private readonly handlers: Record<string, Handler> = {
    getMe: () => this.botUser,
    logOut: () => true,
    close: () => true,
    getUpdates: (p, signal) => this.getUpdates(p, signal),
    setWebhook: (p) => {
      const url = p.str("url");
      if (!url) throw badRequest("bad webhook: an HTTPS URL must be provided for webhook");
      this.webhook = { url, secret_token: p.str("secret_token"), allowed_updates: p.json<string[]>("allowed_updates") };
      if (p.bool("drop_pending_updates")) this.queue = [];
      return true;
    },
    deleteWebhook: (p) => {
      this.webhook = undefined;
      if (p.bool("drop_pending_updates")) this.queue = [];
      return true;
    },
    getWebhookInfo: () => ({
      url: this.webhook?.url ?? "",
      has_custom_certificate: false,
      pending_update_count: this.queue.length,
    }),
    setMyCommands: (p) => {
      const commands = p.json<BotCommand[]>("commands");
      if (!Array.isArray(commands)) throw badRequest("parameter \"commands\" is required");
      for (const c of commands) {
        if (typeof c.command !== "string" || !/^[a-z0-9_]{1,32}$/.test(c.command)) throw badRequest("BOT_COMMAND_INVALID");
        if (typeof c.description !== "string" || c.description.length < 1 || c.description.length > 256) {
          throw badRequest("BOT_COMMAND_DESCRIPTION_INVALID");
        }
      }
      this.commands.set(commandsKey(p.json("scope"), p.str("language_code")), commands);
      return true;
    },
    getMyCommands: (p) => this.commands.get(commandsKey(p.json("scope"), p.str("language_code"))) ?? [],
    deleteMyCommands: (p) => {
      this.commands.delete(commandsKey(p.json("scope"), p.str("language_code")));
      return true;
    },
    setMyDescription: () => true,
    setMyShortDescription: () => true,
    setMyName: () => true,
    setChatMenuButton: () => true,
    getChat: (p) => this.chatState(p.chatId()).chat,
    sendChatAction: (p) => {
      p.chatId();
      if (!p.str("action")) throw badRequest("wrong parameter action in request");
      return true;
    },
    sendMessage: (p) => {
      const chatId = p.chatId();
      const rawText = p.str("text") ?? "";
      const parseMode = p.str("parse_mode");
      const content = renderText(rawText, parseMode, p.json("entities"), "text");
      const markup = validateMarkup(p.json("reply_markup"));
      return this.storeBotMessage("sendMessage", chatId, textFields(content, markup), { rawText, parseMode, markup });
    },
    sendDocument: (p) => {
      const chatId = p.chatId();
      const document = this.resolveDocument(p);
      const rawText = p.str("caption") ?? "";
      const parseMode = p.str("parse_mode");
      const caption = renderText(rawText, parseMode, p.json("caption_entities"), "caption");
      const markup = validateMarkup(p.json("reply_markup"));
      const fields: Partial<Message> = {
        document: {
          file_id: document.fileId,
          file_unique_id: `u-${document.fileId}`,
          file_name: document.filename,
          mime_type: document.mimeType,
          file_size: document.bytes.length,
        },
      };
      if (caption.text) fields.caption = caption.text;
      if (caption.entities.length > 0) fields.caption_entities = caption.entities;
      if (isInlineKeyboard(markup)) fields.reply_markup = markup;
      return this.storeBotMessage("sendDocument", chatId, fields, { rawText, parseMode, markup, document });
    },
    editMessageText: (p) => {
      const { state, stored } = this.editableMessage(p);
      if (stored.message.text === undefined) throw badRequest("there is no text in the message to edit");
      const rawText = p.str("text") ?? "";
      const parseMode = p.str("parse_mode");
      const content = renderText(rawText, parseMode, p.json("entities"), "text");
      // Like Telegram, an edit without reply_markup removes the inline keyboard.
      const markup = validateMarkup(p.json("reply_markup"));
      const { text: _t, entities: _e, reply_markup: _r, ...rest } = stored.message;
      const message = { ...rest, ...textFields(content, markup), edit_date: now() } as Message;
      return this.storeEdit("editMessageText", state, stored, message, { rawText, parseMode, markup });
    },
    editMessageReplyMarkup: (p) => {
      const { state, stored } = this.editableMessage(p);
      const markup = validateMarkup(p.json("reply_markup"));
      const { reply_markup: _r, ...rest } = stored.message;
      const message = { ...rest, ...(isInlineKeyboard(markup) && { reply_markup: markup }), edit_date: now() } as Message;
      const previous = stored.output!;
      return this.storeEdit("editMessageReplyMarkup", state, stored, message, {
        rawText: previous.rawText,
        parseMode: previous.parseMode,
        markup,
        document: previous.document,
      });
    },
    deleteMessage: (p) => {
      const state = this.chatState(p.chatId());
      const messageId = p.messageId();
      const stored = state.messages.get(messageId);
      if (!stored || stored.deleted) throw badRequest("message to delete not found");
      stored.deleted = true;
      return true;
    },
    answerCallbackQuery: (p) => {
      const query = this.callbacks.get(p.str("callback_query_id") ?? "");
      if (!query || query.answer) throw badRequest("query is too old and response timeout expired or query ID is invalid");
      query.answer = { text: p.str("text"), show_alert: p.bool("show_alert"), url: p.str("url") };
      return true;
    },
  };

  private async getUpdates(p: Params, signal: AbortSignal): Promise<Update[]> {
    if (this.webhook) {
      throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    }
    const offset = p.int("offset");
    const limit = Math.min(100, Math.max(1, p.int("limit") ?? 100));
    const timeout = Math.max(0, p.int("timeout") ?? 0);
    // Like Telegram, allowed_updates persists until changed.
    const allowed = p.json<string[]>("allowed_updates");
    if (allowed) this.allowedUpdates = allowed;
    if (offset !== undefined) {
      this.confirmUpdates(offset);
      this.notify(); // the poll may now hang for a while; let waitForUpdatesConfirmed see this
    }
    // Telegram ends an older long poll when a new one arrives (two bot instances).
    this.activePoll?.supersede();

    const ready = this.deliverableUpdates(limit);
    if (ready.length > 0 || timeout === 0 || this.closing || signal.aborted) return ready;
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onDisconnect);
        if (this.activePoll === poll) this.activePoll = undefined;
        settle();
      };
      const poll: PendingPoll = {
        wake: (why) =>
          finish(() => {
            this.longPollEnds[why] += 1;
            resolve(this.deliverableUpdates(limit));
          }),
        supersede: () =>
          finish(() =>
            reject(new ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")),
          ),
      };
      const onDisconnect = () => finish(() => resolve([]));
      const timer = setTimeout(() => poll.wake("timeout"), timeout * 1000);
      signal.addEventListener("abort", onDisconnect, { once: true });
      this.activePoll = poll;
    });
  }

  /** Drops updates the bot has confirmed by asking for a higher offset. */
  private confirmUpdates(offset: number): void {
    if (offset > 0) this.queue = this.queue.filter((u) => u.update_id >= offset);
    else if (offset < 0) this.queue = this.queue.slice(offset);
  }

  private deliverableUpdates(limit: number): Update[] {
    const allowed = this.allowedUpdates.length > 0 ? new Set(this.allowedUpdates) : undefined;
    this.queue = this.queue.filter((update) => {
      const type = Object.keys(update).find((k) => k !== "update_id") ?? "";
      const ok = allowed ? allowed.has(type) : !OPT_IN_UPDATES.has(type);
      if (!ok) this.stats.withheldUpdates += 1;
      return ok;
    });
    return this.queue.slice(0, limit);
  }

  private refuseBlocked(chatId: number): void {
    if (!this.blockedChats.has(chatId)) return;
    this.stats.blockedAttempts.set(chatId, (this.stats.blockedAttempts.get(chatId) ?? 0) + 1);
    throw new ApiError(403, "Forbidden: bot was blocked by the user");
  }

  private applyRateLimit(chatId: number): void {
    const at = Date.now();
    while (this.recentSends.length > 0 && this.recentSends[0]! <= at - 1000) this.recentSends.shift();
    const limit = this.rateLimit;
    if (limit?.perSecond !== undefined && this.recentSends.length >= limit.perSecond) {
      throw tooManyRequests(Math.ceil((this.recentSends[0]! + 1000 - at) / 1000));
    }
    if (limit?.perChat) {
      const { perSecond, burst = 3 } = limit.perChat;
      const bucket = this.buckets.get(chatId) ?? { tokens: burst, at };
      bucket.tokens = Math.min(burst, bucket.tokens + ((at - bucket.at) / 1000) * perSecond);
      bucket.at = at;
      this.buckets.set(chatId, bucket);
      if (bucket.tokens < 1) throw tooManyRequests(Math.ceil((1 - bucket.tokens) / perSecond));
      bucket.tokens -= 1;
    }
    this.recentSends.push(at);
    this.stats.peakPerSecond = Math.max(this.stats.peakPerSecond, this.recentSends.length);
  }

  private resolveDocument(p: Params): SentDocument {
    const ref = p.str("document");
    const upload = ref?.startsWith("attach://") ? p.files.get(ref.slice("attach://".length)) : p.files.get("document");
    if (!upload) {
      if (ref && !ref.startsWith("attach://")) {
        const known = this.files.get(ref);
        if (known) return known;
        throw badRequest("wrong file identifier/HTTP URL specified");
      }
      throw badRequest("there is no document in the request");
    }
    if (upload.bytes.length === 0) throw badRequest("file must be non-empty");
    const extension = upload.filename.split(".").pop()?.toLowerCase() ?? "";
    const partType = upload.contentType === "application/octet-stream" ? undefined : upload.contentType;
    const document: SentDocument = {
      fileId: `doc-${++this.counter}`,
      filename: upload.filename,
      mimeType: MIME_TYPES[extension] ?? partType ?? "application/octet-stream",
      bytes: upload.bytes,
    };
    this.files.set(document.fileId, document);
    return document;
  }

  private editableMessage(p: Params): { state: ChatState; stored: StoredMessage } {
    if (p.str("inline_message_id")) throw badRequest("inline messages are not supported by the fake Bot API");
    const state = this.chatState(p.chatId());
    const stored = state.messages.get(p.messageId());
    if (!stored || stored.deleted) throw badRequest("message to edit not found");
    if (!stored.fromBot) throw badRequest("message can't be edited");
    return { state, stored };
  }

  private storeBotMessage(method: string, chatId: number, fields: Partial<Message>, meta: OutputMeta): Message {
    const state = this.chatState(chatId);
    const message = {
      message_id: state.nextMessageId++,
      from: this.botUser,
      chat: state.chat,
      date: now(),
      ...fields,
    } as Message;
    const stored: StoredMessage = { message, fromBot: true, deleted: false, output: undefined };
    state.messages.set(message.message_id, stored);
    this.stats.messagesPerChat.set(chatId, (this.stats.messagesPerChat.get(chatId) ?? 0) + 1);
    this.addOutput(state, stored, "sent", method, meta);
    return message;
  }

  private storeEdit(method: string, state: ChatState, stored: StoredMessage, message: Message, meta: OutputMeta): Message {
    const same = (m: Message) =>
      JSON.stringify([m.text, m.caption, m.entities ?? [], m.caption_entities ?? [], m.reply_markup ?? null]);
    if (same(message) === same(stored.message)) {
      throw badRequest(
        "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
      );
    }
    stored.message = message;
    this.addOutput(state, stored, "edited", method, meta);
    return message;
  }

  private addOutput(state: ChatState, stored: StoredMessage, kind: BotOutput["kind"], method: string, meta: OutputMeta): void {
    const { message } = stored;
    const output: BotOutput = {
      seq: ++this.seq,
      kind,
      method,
      chatId: state.chat.id,
      messageId: message.message_id,
      text: message.text ?? message.caption ?? "",
      rawText: meta.rawText,
      parseMode: meta.parseMode,
      buttons: inlineButtons(meta.markup),
      replyMarkup: meta.markup,
      document: meta.document,
      message,
    };
    stored.output = output;
    state.outputs.push(output);
  }

  // ---------------------------------------------------- driving the bot

  /** Queues an update with the next update_id. */
  pushUpdate(update: Omit<Update, "update_id">): Update {
    return this.pushRaw(update);
  }

  /**
   * Queues an update as given (stickers, photos, edited_message, groups,
   * my_chat_member...). An explicit update_id is kept, so duplicates and
   * out-of-order delivery can be tested.
   */
  pushRaw(update: Omit<Update, "update_id"> & { update_id?: number }): Update {
    const full = { ...update, update_id: update.update_id ?? this.nextUpdateId } as Update;
    this.nextUpdateId = Math.max(this.nextUpdateId, full.update_id + 1);
    this.rememberChats(full);
    // webhook mode: a deliverer (webhook-delivery.ts) POSTs the update instead of getUpdates handing it out
    if (this.webhookSink) {
      this.webhookSink(full);
      this.notify();
      return full;
    }
    this.queue.push(full);
    this.activePoll?.wake("push");
    this.notify();
    return full;
  }

  /** A message from a user: fills message_id, date, chat and from. */
  pushMessage(userId: number, fields: Partial<Message>, options: UserMessageOptions = {}): Update {
    const from = this.user(userId, options.from);
    const state = this.chatState(options.chat?.id ?? userId, options.chat);
    const replyTo = options.replyTo === undefined ? undefined : state.messages.get(options.replyTo)?.message;
    const message = {
      message_id: state.nextMessageId++,
      date: now(),
      chat: state.chat,
      from,
      ...(replyTo && { reply_to_message: replyTo }),
      ...fields,
    } as Message & Update.NonChannel;
    return this.pushUpdate({ message });
  }

  /** A text message; a leading /command gets its bot_command entity so bot.command() matches. */
  sendText(userId: number, text: string, options: UserMessageOptions = {}): Update {
    const command = /^\/[^\s@]+(@\w+)?/.exec(text);
    const entities: MessageEntity[] = command ? [{ type: "bot_command", offset: 0, length: command[0].length }] : [];
    return this.pushMessage(userId, { text, ...(entities.length > 0 && { entities }) }, options);
  }

  /**
   * Taps an inline button: finds it in the newest (matching) bot message of the
   * chat that has such a button and queues a callback_query with its data.
   */
  tapButton(userId: number, button: ButtonSelector): CallbackTap;
  tapButton(userId: number, message: MessageSelector | undefined, button: ButtonSelector): CallbackTap;
  tapButton(userId: number, ...args: [ButtonSelector] | [MessageSelector | undefined, ButtonSelector]): CallbackTap {
    const [selector, buttonSelector] = args.length === 1 ? [undefined, args[0]] : args;
    const chatId = selectorChatId(selector) ?? userId;
    const candidates = [...(this.chats.get(chatId)?.messages.values() ?? [])]
      .filter((m) => m.fromBot && !m.deleted && m.output && matchesSelector(m.output, selector))
      .reverse();
    for (const stored of candidates) {
      const found = findButton(stored.output!.buttons, buttonSelector);
      if (!found) continue;
      if (found.callback_data === undefined) throw new Error(`tapButton: button "${found.text}" has no callback_data`);
      return this.pushCallback(userId, found.callback_data, stored.message.message_id, { chat: stored.message.chat });
    }
    const recent = candidates.slice(0, 5).map((m) => `  ${formatOutput(m.output!)}`);
    throw new Error(
      `tapButton: no button ${describeMatcher(buttonSelector)} in ${selector === undefined ? "bot messages" : `bot message ${describeMatcher(selector)}`} of chat ${chatId}.\n` +
        (recent.length > 0 ? `Newest candidate messages:\n${recent.join("\n")}` : "No candidate bot messages."),
    );
  }

  /** A callback_query with arbitrary (possibly forged or stale) data. */
  pushCallback(userId: number, data: string, messageId: number, options: { chat?: Chat } = {}): CallbackTap {
    const state = this.chatState(options.chat?.id ?? userId, options.chat);
    // Unknown messages are sent as Telegram's InaccessibleMessage.
    const message = state.messages.get(messageId)?.message ?? { chat: state.chat, message_id: messageId, date: 0 as const };
    const queryId = `cbq-${++this.counter}`;
    this.callbacks.set(queryId, { answer: undefined });
    const update = this.pushUpdate({
      callback_query: { id: queryId, from: this.user(userId), message, chat_instance: `ci-${state.chat.id}`, data },
    });
    return { update, queryId, data, messageId };
  }

  /** Marks the chat blocked (403 from now on) and tells the bot via my_chat_member. */
  blockBot(userId: number): Update {
    this.blockedChats.add(userId);
    return this.pushMemberChange(userId, { status: "member", user: this.botUser }, { status: "kicked", user: this.botUser, until_date: 0 });
  }

  unblockBot(userId: number): Update {
    this.blockedChats.delete(userId);
    return this.pushMemberChange(userId, { status: "kicked", user: this.botUser, until_date: 0 }, { status: "member", user: this.botUser });
  }

  private pushMemberChange(userId: number, before: ChatMember, after: ChatMember): Update {
    const chat = this.chatState(userId).chat;
    return this.pushUpdate({
      my_chat_member: { chat, from: this.user(userId), date: now(), old_chat_member: before, new_chat_member: after },
    });
  }

  /** Makes the next `count` calls of `method` fail (faults queue up in order). */
  failNext(method: string, count = 1, kind: FaultKind = 502): void {
    const queue = this.faults.get(method) ?? [];
    for (let i = 0; i < count; i++) queue.push(kind);
    this.faults.set(method, queue);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  resetStats(): void {
    Object.assign(this.stats, freshStats());
  }

  // ------------------------------------------------------------ waiting

  /**
   * The next bot output (sent or edited message) to the chat after the chat's
   * cursor that matches; the cursor moves past it, so outputs are consumed in order.
   */
  waitForMessage(chatId: number, matcher?: OutputMatcher, timeoutMs = 5000): Promise<BotOutput> {
    const test = toPredicate(matcher);
    return this.until(
      () => {
        const state = this.chats.get(chatId);
        if (!state) return undefined;
        const index = state.outputs.findIndex((o, i) => i >= state.cursor && test(o));
        if (index < 0) return undefined;
        state.cursor = index + 1;
        return state.outputs[index];
      },
      timeoutMs,
      () =>
        `waitForMessage: no bot message to chat ${chatId}${matcher === undefined ? "" : ` matching ${describeMatcher(matcher)}`} ` +
        `within ${timeoutMs} ms.\n${this.describeChat(chatId)}`,
    );
  }

  /**
   * Waits for `count` unread outputs and consumes exactly that many; with
   * `quietMs`, keeps collecting until the chat has been quiet that long and
   * returns everything unread.
   */
  async nextReplies(chatId: number, options: { count?: number; quietMs?: number; timeoutMs?: number } = {}): Promise<BotOutput[]> {
    const { count = 1, quietMs = 0, timeoutMs = 5000 } = options;
    const deadline = Date.now() + timeoutMs;
    await this.until(
      () => this.unread(chatId).length >= count,
      timeoutMs,
      () => `nextReplies: expected ${count} bot message(s) to chat ${chatId} within ${timeoutMs} ms, got ${this.unread(chatId).length}.\n${this.describeChat(chatId)}`,
    );
    let take = count;
    if (quietMs > 0) {
      let seen = -1;
      while (seen !== this.unread(chatId).length && Date.now() < deadline) {
        seen = this.unread(chatId).length;
        await sleep(quietMs);
      }
      take = this.unread(chatId).length;
    }
    const state = this.chatState(chatId);
    const taken = state.outputs.slice(state.cursor, state.cursor + take);
    state.cursor += taken.length;
    return taken;
  }

  /** Fails if the bot shows anything new in the chat within `ms`. */
  async expectNoReply(chatId: number, ms = 300): Promise<void> {
    await sleep(ms);
    const unread = this.unread(chatId);
    if (unread.length > 0) {
      throw new Error(`expected no reply in chat ${chatId}, got:\n${unread.map((o) => `  ${formatOutput(o)}`).join("\n")}`);
    }
  }

  /** Moves the chat's cursor past everything shown so far. */
  skipReplies(chatId: number): void {
    const state = this.chatState(chatId);
    state.cursor = state.outputs.length;
  }

  /** Resolves with the predicate's first truthy value; re-checked on every API event and every 20 ms. */
  waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 5000, what = "condition"): Promise<T> {
    return this.until(predicate, timeoutMs, () => `waitFor: ${what} not met within ${timeoutMs} ms`, 20);
  }

  /** Resolves once the bot has called getUpdates at least `minPolls` times in total. */
  async waitForPoll(timeoutMs = 5000, minPolls = 1): Promise<void> {
    await this.until(
      () => this.polls >= minPolls,
      timeoutMs,
      () => `waitForPoll: getUpdates called ${this.polls} time(s), expected ${minPolls}, within ${timeoutMs} ms.\n${this.describeDiagnostics()}`,
    );
  }

  /**
   * Resolves once the bot has confirmed every queued update (its next getUpdates
   * asked for a higher offset). Wait for this before kill9() unless the test wants
   * Telegram's redelivery of the unconfirmed last update to a restarted bot.
   */
  async waitForUpdatesConfirmed(timeoutMs = 5000): Promise<void> {
    await this.until(
      () => this.queue.length === 0,
      timeoutMs,
      () => `waitForUpdatesConfirmed: ${this.queue.length} update(s) still unconfirmed after ${timeoutMs} ms.\n${this.describeDiagnostics()}`,
    );
  }

  waitForCallbackAnswer(queryId: string, timeoutMs = 5000): Promise<CallbackAnswer> {
    return this.until(
      () => this.callbacks.get(queryId)?.answer,
      timeoutMs,
      () => `waitForCallbackAnswer: callback query ${queryId} not answered within ${timeoutMs} ms`,
    );
  }

  // ---------------------------------------------------------- inspection

  /** Everything the bot showed in the chat, in order (edits are separate entries). */
  transcript(chatId: number): BotOutput[] {
    return [...(this.chats.get(chatId)?.outputs ?? [])];
  }

  /** Current state of each bot message in the chat (latest edit, deleted flag). */
  botMessages(chatId: number): BotMessageState[] {
    return [...(this.chats.get(chatId)?.messages.values() ?? [])]
      .filter((m) => m.fromBot && m.output)
      .map((m) => ({ ...m.output!, deleted: m.deleted }));
  }

  /** Every call except successful getUpdates, optionally filtered by method. */
  calls(method?: string): ApiCall[] {
    return this.callLog.filter((c) => method === undefined || c.method === method);
  }

  /** Commands registered for a scope (default scope if omitted) and language. */
  commandsFor(scope?: { type: string; chat_id?: number; user_id?: number }, languageCode?: string): BotCommand[] | undefined {
    return this.commands.get(commandsKey(scope, languageCode));
  }

  /**
   * Calls received in full and not answered yet (long polls aside), at this instant: taken just
   * before a kill -9, these are the requests whose outcome the bot could not have known.
   */
  requestsInFlight(): InFlightCall[] {
    return [...this.unanswered.values()].filter((c) => c.method !== "getUpdates").map((c) => ({ ...c }));
  }

  /** Updates queued but not yet confirmed by the bot. */
  get pendingUpdates(): number {
    return this.queue.length;
  }

  get pollCount(): number {
    return this.polls;
  }

  /** Adds text (e.g. the bot process's output) to timeout errors; returns a remover. */
  addDiagnostic(describe: () => string): () => void {
    this.diagnostics.add(describe);
    return () => this.diagnostics.delete(describe);
  }

  // ------------------------------------------------------------- helpers

  private user(id: number, overrides?: Partial<User>): User {
    const user: User = { id, is_bot: false, first_name: `User${id}`, language_code: "zh-hans", ...this.users.get(id), ...overrides };
    this.users.set(id, user);
    return user;
  }

  private chatState(chatId: number, chat?: Chat): ChatState {
    let state = this.chats.get(chatId);
    if (!state) {
      const fallback: Chat =
        chatId > 0
          ? { id: chatId, type: "private", first_name: this.users.get(chatId)?.first_name ?? `User${chatId}` }
          : { id: chatId, type: "group", title: `Group ${chatId}` };
      state = { chat: chat ?? fallback, nextMessageId: 1, messages: new Map(), outputs: [], cursor: 0 };
      this.chats.set(chatId, state);
    } else if (chat) {
      state.chat = chat;
    }
    return state;
  }

  /** Keeps chats and user messages from pushed updates, so replies and deletes can refer to them. */
  private rememberChats(update: Update): void {
    const message = update.message ?? update.edited_message;
    if (message) {
      const state = this.chatState(message.chat.id, message.chat);
      state.nextMessageId = Math.max(state.nextMessageId, message.message_id + 1);
      if (update.message) state.messages.set(message.message_id, { message, fromBot: false, deleted: false, output: undefined });
    }
    const member = update.my_chat_member ?? update.chat_member;
    if (member) this.chatState(member.chat.id, member.chat);
  }

  private unread(chatId: number): BotOutput[] {
    const state = this.chats.get(chatId);
    return state ? state.outputs.slice(state.cursor) : [];
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter.attempt();
  }

  private until<T>(check: () => T | undefined | null | false, timeoutMs: number, failure: () => string, pollMs?: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        attempt: () => {
          let value: T | undefined | null | false;
          try {
            value = check();
          } catch (error) {
            waiter.abort(error as Error);
            return;
          }
          if (value === undefined || value === null || value === false) return;
          cleanup();
          resolve(value);
        },
        abort: (error) => {
          cleanup();
          reject(error);
        },
      };
      const cleanup = () => {
        clearTimeout(timer);
        clearInterval(interval);
        this.waiters.delete(waiter);
      };
      const timer = setTimeout(() => waiter.abort(new Error(failure())), timeoutMs);
      const interval = pollMs === undefined ? undefined : setInterval(waiter.attempt, pollMs);
      this.waiters.add(waiter);
      waiter.attempt();
    });
  }

  /** Recent outputs, failed calls and queue state of a chat, for timeout errors. */
  private describeChat(chatId: number): string {
    const state = this.chats.get(chatId);
    const outputs = state?.outputs ?? [];
    const lines = [
      outputs.length === 0
        ? `Chat ${chatId}: the bot has shown nothing.`
        : `Chat ${chatId}: last ${Math.min(8, outputs.length)} of ${outputs.length} bot outputs (* = not yet consumed):`,
      ...outputs.slice(-8).map((o) => `  ${state && outputs.indexOf(o) >= state.cursor ? "*" : " "} ${formatOutput(o)}`),
    ];
    const failed = this.callLog.filter((c) => c.chatId === chatId && c.status !== 200).slice(-5);
    if (failed.length > 0) {
      lines.push("Failed API calls for this chat:");
      for (const c of failed) {
        const text = c.params.text ?? c.params.caption;
        lines.push(`  ${c.method} -> ${c.status} ${c.description ?? ""}${text === undefined ? "" : ` | text: ${clip(String(text))}`}`);
      }
    }
    const since = this.lastPollAt === undefined ? "never" : `${Date.now() - this.lastPollAt} ms ago`;
    const waiting = this.activePoll ? " (a long poll is open)" : "";
    lines.push(`Updates queued but not confirmed: ${this.queue.length}; last getUpdates: ${since}${waiting}.`);
    if (this.stats.withheldUpdates > 0) lines.push(`Updates withheld by allowed_updates: ${this.stats.withheldUpdates}.`);
    if (this.internalErrors.length > 0) lines.push(`Fake API internal errors: ${this.internalErrors.map(String).join("; ")}`);
    const extra = this.describeDiagnostics();
    if (extra) lines.push(extra);
    return lines.join("\n");
  }

  private describeDiagnostics(): string {
    return [...this.diagnostics].map((describe) => describe()).join("\n");
  }
}

// ------------------------------------------------------ pure helpers

interface OutputMeta {
  rawText: string;
  parseMode: string | undefined;
  markup: unknown;
  document?: SentDocument | undefined;
}

function commandsKey(scope: { type: string; chat_id?: number | string; user_id?: number } | undefined, languageCode?: string): string {
  const where = scope ? [scope.type, scope.chat_id, scope.user_id].filter((x) => x !== undefined).join(":") : "default";
  return `${where}|${languageCode ?? ""}`;
}

function toPredicate(matcher: OutputMatcher | undefined): (output: BotOutput) => boolean {
  if (matcher === undefined) return () => true;
  if (typeof matcher === "string") return (o) => o.text.includes(matcher);
  if (matcher instanceof RegExp) return (o) => matcher.test(o.text);
  return matcher;
}

function selectorChatId(selector: MessageSelector | undefined): number | undefined {
  if (typeof selector !== "object" || selector instanceof RegExp) return undefined;
  return "chatId" in selector ? selector.chatId : "chat" in selector ? selector.chat.id : undefined;
}

function matchesSelector(output: BotOutput, selector: MessageSelector | undefined): boolean {
  if (selector === undefined) return true;
  if (typeof selector === "number") return output.messageId === selector;
  if (typeof selector === "string" || selector instanceof RegExp) return toPredicate(selector)(output);
  return output.messageId === ("messageId" in selector ? selector.messageId : selector.message_id);
}

function findButton(rows: InlineButton[][], selector: ButtonSelector): InlineButton | undefined {
  const buttons = rows.flat();
  if (typeof selector === "number") return buttons[selector];
  if (selector instanceof RegExp) return buttons.find((b) => selector.test(b.text));
  const exact = buttons.find((b) => b.text === selector);
  if (exact) return exact;
  const partial = buttons.filter((b) => b.text.includes(selector));
  if (partial.length > 1) {
    throw new Error(`tapButton: "${selector}" is ambiguous: ${partial.map((b) => JSON.stringify(b.text)).join(", ")}`);
  }
  return partial[0];
}

function describeMatcher(matcher: OutputMatcher | MessageSelector | ButtonSelector): string {
  if (typeof matcher === "string") return JSON.stringify(matcher);
  if (typeof matcher === "number" || matcher instanceof RegExp) return String(matcher);
  if (typeof matcher === "function") return "(predicate)";
  return `#${"messageId" in matcher ? matcher.messageId : matcher.message_id}`;
}

function formatOutput(o: BotOutput): string {
  const keyboard = o.buttons.length > 0 ? ` [${o.buttons.map((row) => row.map((b) => b.text).join(" | ")).join(" / ")}]` : "";
  const document = o.document ? ` <document ${o.document.filename}, ${o.document.bytes.length} bytes>` : "";
  return `${o.kind} msg ${o.messageId} via ${o.method}:${document} ${clip(o.text)}${keyboard}`;
}

function clip(text: string, max = 160): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
