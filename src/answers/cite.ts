/** How a citation into the guide reads in every answer: one place, one mark for merged cells. */
import type { Cite } from "../knowledge/schema.js";
import { escapeHtml as e } from "./html.js";

export const INFERRED_MARK = "（据合并单元格推定）";
const QUOTE_MAX = 40;

/** The mark a value read from a merged cell carries, or nothing. */
export const inferredMark = (c: Cite): string => (c.inferred ? INFERRED_MARK : "");

/** "附件2 表1 … · 遴选条件（据合并单元格推定）", escaped: where it stands, and whether a merged cell was read. */
export function place(c: Cite): string {
  return `${e(c.where.replace(/（合并单元格）/g, ""))}${inferredMark(c)}`;
}

/**
 * A quote short enough for a phone: with a `focus` (the figure the answer states), the clause that holds
 * it; otherwise the quote, cut at `max` characters. "…" marks where text was left out.
 */
export function shortQuote(quote: string, focus?: string, max = QUOTE_MAX): string {
  const q = quote.trim().replace(/\s+/g, " ");
  const at = focus ? q.indexOf(focus) : -1;
  if (at >= 0) {
    const boundary = /[，、；。：,;: ]/;
    let start = at;
    while (start > 0 && !boundary.test(q[start - 1]!)) start--;
    let stop = at + focus!.length;
    while (stop < q.length && !boundary.test(q[stop]!)) stop++;
    if (stop - start > max) {
      start = Math.max(start, at - Math.floor(max / 2));
      stop = Math.min(stop, start + max);
    }
    return `${start > 0 ? "…" : ""}${q.slice(start, stop)}${stop < q.length ? "…" : ""}`;
  }
  const chars = [...q];
  return chars.length <= max ? q : `${chars.slice(0, max).join("")}…`;
}

/** "📖 出处：where「quote」（据合并单元格推定）" and, on the next line, the note. */
export function citeLine(c: Cite, focus?: string): string {
  const line = `📖 出处：${place(c)}「${e(shortQuote(c.quote, focus))}」`;
  return c.note ? `${line}\nℹ️ ${e(c.note)}` : line;
}

