/**
 * Telegram's HTML subset → HTML that is safe to put into a web page.
 * An allow-list: b, i, u, s, code, pre, blockquote and a[href http/https] (plus Telegram's synonyms
 * strong, em, ins, strike, del); every other tag, attribute and character is escaped as text, and
 * tags are balanced, so nothing a user typed into a message can become markup on the page.
 */

const SYNONYMS: Record<string, string> = { strong: "b", em: "i", ins: "u", strike: "s", del: "s" };
const ALLOWED = new Set(["b", "i", "u", "s", "code", "pre", "blockquote", "a"]);

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'", nbsp: "\u00a0" };

/** Telegram-HTML text (entities escaped) → plain characters. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[name.toLowerCase()] ?? whole;
  });
}

function safeHref(attrs: string): string | undefined {
  const m = attrs.match(/\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')/i);
  const raw = m ? decodeEntities(m[1] ?? m[2] ?? "").trim() : "";
  return /^https?:\/\//i.test(raw) ? raw : undefined;
}

export function renderTelegramHtml(html: string): string {
  const out: string[] = [];
  const open: string[] = [];
  const tag = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>/g;
  let last = 0;
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    out.push(escapeHtml(decodeEntities(html.slice(last, m.index))));
    last = tag.lastIndex;
    const closing = m[1] === "/";
    const raw = m[2]!.toLowerCase();
    const name = SYNONYMS[raw] ?? raw;
    if (!ALLOWED.has(name)) {
      out.push(escapeHtml(m[0]));
      continue;
    }
    if (closing) {
      if (open[open.length - 1] === name) {
        open.pop();
        out.push(`</${name}>`);
      } else out.push(escapeHtml(m[0]));
      continue;
    }
    if (name === "a") {
      const href = safeHref(m[3] ?? "");
      out.push(href ? `<a href="${escapeHtml(href)}" rel="noopener noreferrer" target="_blank">` : "<a>");
    } else out.push(`<${name}>`);
    open.push(name);
  }
  out.push(escapeHtml(decodeEntities(html.slice(last))));
  while (open.length) out.push(`</${open.pop()}>`);
  return out.join("");
}
