/**
 * Parser for Telegram's `parse_mode: "HTML"`, strict enough to catch what the
 * real Bot API refuses: unknown or unbalanced tags and bare `&` / `<` (the
 * usual sign of user text pasted into a reply without escaping).
 * https://core.telegram.org/bots/api#html-style
 */
import type { MessageEntity } from "grammy/types";

/** The message is the detail Telegram appends to "Bad Request: can't parse entities: ". */
export class HtmlParseError extends Error {}

export interface ParsedHtml {
  /** The text the user sees: tags removed, entities decoded. */
  text: string;
  entities: MessageEntity[];
}

type EntityDraft = Record<string, unknown> & { type: MessageEntity["type"] };

const SIMPLE_TAGS: Record<string, MessageEntity["type"]> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
  "tg-spoiler": "spoiler",
};

// Telegram supports only these named entities (plus all numeric ones).
const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"' };

const ENTITY = /&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));/y;
const START_TAG = /<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z][\w-]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*>/y;
const END_TAG = /<\/([a-zA-Z][a-zA-Z0-9-]*)\s*>/y;
const ATTRIBUTE = /([a-zA-Z][\w-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g;

export function parseTelegramHtml(html: string): ParsedHtml {
  let text = "";
  const entities: MessageEntity[] = [];
  const open: Array<{ tag: string; offset: number; entity: EntityDraft | undefined }> = [];
  // Telegram reports positions in UTF-8 bytes.
  const at = (i: number) => `at byte offset ${Buffer.byteLength(html.slice(0, i))}`;

  let i = 0;
  while (i < html.length) {
    const ch = html[i];
    if (ch === "&") {
      const decoded = decodeEntityAt(html, i);
      if (!decoded) throw new HtmlParseError(`Character '&' ${at(i)} must be escaped as "&amp;"`);
      text += decoded.value;
      i = decoded.end;
    } else if (ch === "<" && html[i + 1] === "/") {
      END_TAG.lastIndex = i;
      const m = END_TAG.exec(html);
      if (!m) throw new HtmlParseError(`Unclosed end tag ${at(i)}`);
      const name = m[1]!.toLowerCase();
      const top = open.pop();
      if (!top) throw new HtmlParseError(`Unexpected end tag "</${name}>" ${at(i)}`);
      if (top.tag !== name) {
        throw new HtmlParseError(`Unmatched end tag ${at(i)}, expected "</${top.tag}>", found "</${name}>"`);
      }
      const length = text.length - top.offset;
      if (top.entity && length > 0) entities.push({ ...top.entity, offset: top.offset, length } as MessageEntity);
      i = END_TAG.lastIndex;
    } else if (ch === "<") {
      START_TAG.lastIndex = i;
      const m = START_TAG.exec(html);
      if (!m) throw new HtmlParseError(`Unexpected character '<' ${at(i)}; escape it as "&lt;"`);
      const name = m[1]!.toLowerCase();
      const attrs = parseAttributes(m[2] ?? "", at(i));
      open.push({ tag: name, offset: text.length, entity: entityForTag(name, attrs, open.at(-1), at(i)) });
      i = START_TAG.lastIndex;
    } else {
      text += ch;
      i += 1;
    }
  }
  const unclosed = open.at(-1);
  if (unclosed) throw new HtmlParseError(`Can't find end tag corresponding to start tag "${unclosed.tag}"`);

  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}

function entityForTag(
  name: string,
  attrs: Map<string, string>,
  parent: { tag: string; entity: EntityDraft | undefined } | undefined,
  where: string,
): EntityDraft | undefined {
  if (name === "a") {
    const href = attrs.get("href");
    return href ? { type: "text_link", url: href } : undefined;
  }
  if (name === "span") {
    if (attrs.get("class") !== "tg-spoiler") throw new HtmlParseError(`Tag "span" must have class "tg-spoiler" ${where}`);
    return { type: "spoiler" };
  }
  if (name === "tg-emoji") {
    const id = attrs.get("emoji-id");
    if (!id) throw new HtmlParseError(`Tag "tg-emoji" must have attribute "emoji-id" ${where}`);
    return { type: "custom_emoji", custom_emoji_id: id };
  }
  // <pre><code class="language-x"> sets the language of the pre block instead of adding a code entity.
  const language = attrs.get("class")?.match(/^language-(.+)$/)?.[1];
  if (name === "code" && parent?.tag === "pre" && parent.entity && language) {
    parent.entity.language = language;
    return undefined;
  }
  if (name === "blockquote" && attrs.has("expandable")) return { type: "expandable_blockquote" };
  const type = SIMPLE_TAGS[name];
  if (!type) throw new HtmlParseError(`Unsupported start tag "${name}" ${where}`);
  return { type };
}

function parseAttributes(source: string, where: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const m of source.matchAll(ATTRIBUTE)) {
    const raw = m[2] ?? m[3] ?? m[4] ?? "";
    let value = "";
    for (let i = 0; i < raw.length; ) {
      if (raw[i] !== "&") {
        value += raw[i];
        i += 1;
        continue;
      }
      const decoded = decodeEntityAt(raw, i);
      if (!decoded) throw new HtmlParseError(`Character '&' in an attribute ${where} must be escaped as "&amp;"`);
      value += decoded.value;
      i = decoded.end;
    }
    attrs.set(m[1]!.toLowerCase(), value);
  }
  return attrs;
}

function decodeEntityAt(s: string, i: number): { value: string; end: number } | undefined {
  ENTITY.lastIndex = i;
  const m = ENTITY.exec(s);
  if (!m) return undefined;
  const [, dec, hex, name] = m;
  let value: string | undefined;
  if (name !== undefined) {
    value = NAMED_ENTITIES[name];
  } else {
    const codePoint = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    value = codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : undefined;
  }
  return value === undefined ? undefined : { value, end: ENTITY.lastIndex };
}

/** Escapes user text for HTML parse mode (what a correct bot must do). */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
