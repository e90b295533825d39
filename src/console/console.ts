/**
 * The same bot in a terminal: each line is a message from one local user, buttons print numbered,
 * and typing a number taps that button. Works with piped input and quits at end of input.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { Bot, Transformer } from "grammy";
import type { Message, Update, UserFromGetMe } from "grammy/types";
import { consoleHint } from "../bot/commands.js";
import type { BotContext } from "../bot/context.js";
import { NUMBER_STEP_BUTTON } from "../bot/render.js";

export const CONSOLE_USER_ID = 1;

export const CONSOLE_BOT: UserFromGetMe = {
  id: 0,
  is_bot: true,
  first_name: "国培申报助手",
  username: "console_bot",
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

interface ButtonRef {
  label: string;
  data: string;
  messageId: number;
}

/** Telegram HTML → terminal text. */
export function plainText(html: string): string {
  return html
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

type Payload = Record<string, unknown> & {
  chat_id?: number | string;
  text?: string;
  caption?: string;
  reply_markup?: { inline_keyboard?: { text: string; callback_data?: string }[][] };
  message_id?: number;
  document?: unknown;
};

export class ConsoleTransport {
  private nextMessageId = 1;
  private buttons: ButtonRef[] = [];
  /** The last keyboard belongs to a step that asks for a number: a typed number is the answer, not a tap. */
  private numberStep = false;
  private nextUpdateId = 1;
  readonly user = { id: CONSOLE_USER_ID, is_bot: false, first_name: "终端用户", language_code: "zh-hans" };

  constructor(
    private readonly out: Writable,
    private readonly exportDir: string,
  ) {}

  /** Answers the Bot API locally: messages are printed, everything else succeeds quietly. */
  readonly transformer: Transformer = async (_prev, method, raw) => {
    const payload = raw as Payload;
    const now = Math.floor(Date.now() / 1000);
    const chat = { id: CONSOLE_USER_ID, type: "private" as const, first_name: this.user.first_name };
    const message = (text: string): Message => ({ message_id: this.nextMessageId++, date: now, chat, text }) as Message;
    switch (method) {
      case "sendMessage":
      case "editMessageText": {
        const m = message(payload.text ?? "");
        // Messages for someone else (a broadcast, a reminder, a reviewer's note) show their recipient.
        const to = Number(payload.chat_id);
        const head = Number.isFinite(to) && to !== CONSOLE_USER_ID ? `→ 发给 ${to}\n` : "";
        this.print(head + (payload.text ?? ""), to === CONSOLE_USER_ID || !head ? payload.reply_markup : undefined, m.message_id);
        return { ok: true, result: m } as never;
      }
      case "sendDocument": {
        const file = this.saveDocument(payload.document);
        const to = Number(payload.chat_id);
        const head = Number.isFinite(to) && to !== CONSOLE_USER_ID ? `→ 发给 ${to}\n` : "";
        this.print(`${head}📎 文件已保存：${file}${payload.caption ? `\n${payload.caption}` : ""}`, undefined, 0);
        return { ok: true, result: message("") } as never;
      }
      case "answerCallbackQuery":
        if (typeof payload.text === "string" && payload.text) this.out.write(`（${payload.text}）\n`);
        return { ok: true, result: true } as never;
      default:
        return { ok: true, result: true } as never;
    }
  };

  private saveDocument(doc: unknown): string {
    const file = doc as { filename?: string; fileData?: unknown };
    const name = (file.filename ?? "export.bin").replace(/[^\w.\-\u4e00-\u9fff]/g, "_");
    mkdirSync(this.exportDir, { recursive: true });
    const path = join(this.exportDir, name);
    // A document comes as bytes or as the path of a file on disk (exports are streamed to temporary files).
    if (file.fileData instanceof Uint8Array) writeFileSync(path, file.fileData);
    else if (typeof file.fileData === "string") copyFileSync(file.fileData, path);
    return path;
  }

  private print(html: string, markup: Payload["reply_markup"], messageId: number): void {
    const rows = markup?.inline_keyboard ?? [];
    if (rows.length) this.buttons = [];
    const lines = [plainText(html)];
    if (rows.length) this.numberStep = rows.some((row) => row.some((b) => NUMBER_STEP_BUTTON.test(b.callback_data ?? "")));
    if (this.numberStep && rows.length) {
      // Numbered buttons would make "15" ambiguous: show them by label, to be typed as words (上一步, 取消).
      lines.push(`  ${rows.flatMap((row) => row.map((b) => `[${b.text}]`)).join("   ")}`, "  （请直接输入数字；按钮可输入其文字，如“上一步”“取消”）");
      this.out.write(`${lines.join("\n")}\n\n`);
      return;
    }
    for (const row of rows) {
      const cells = row.map((b) => {
        this.buttons.push({ label: b.text, data: b.callback_data ?? "", messageId });
        return `[${this.buttons.length}] ${b.text}`;
      });
      lines.push("  " + cells.join("   "));
    }
    this.out.write(`${lines.join("\n")}\n\n`);
  }

  /** A typed line → the update Telegram would send: a button tap for a listed number, else a message. */
  updateFor(line: string): Update {
    const update_id = this.nextUpdateId++;
    const date = Math.floor(Date.now() / 1000);
    const chat = { id: CONSOLE_USER_ID, type: "private" as const, first_name: this.user.first_name };
    const n = /^\d{1,3}$/.test(line) ? Number(line) : 0;
    const button = n >= 1 && !this.numberStep ? this.buttons[n - 1] : undefined;
    if (button) {
      return {
        update_id,
        callback_query: {
          id: String(update_id),
          from: this.user,
          chat_instance: "console",
          data: button.data,
          message: { message_id: button.messageId, date, chat, text: "" } as Message & { chat: typeof chat },
        },
      } as Update;
    }
    const command = line.match(/^\/[a-z_]+/i);
    const entities = command ? [{ type: "bot_command" as const, offset: 0, length: command[0].length }] : undefined;
    const message = { message_id: this.nextMessageId++, date, chat, from: this.user, text: line, ...(entities ? { entities } : {}) };
    return { update_id, message } as Update;
  }
}

/** Feeds lines to the bot one at a time; resolves at end of input after the last reply. */
export async function runConsole(bot: Bot<BotContext>, transport: ConsoleTransport, input: Readable, out: Writable, interactive: boolean): Promise<void> {
  const rl = createInterface({ input, terminal: false });
  if (interactive) out.write(`（终端模式：输入文字即为消息，输入按钮前的数字即点按钮，Ctrl+D 退出）\n${consoleHint()}\n\n`);
  for await (const raw of rl) {
    const line = raw.trim();
    if (!line) continue;
    if (!interactive) out.write(`> ${line}\n`);
    await bot.handleUpdate(transport.updateFor(line));
  }
}
