/**
 * Charts as hand-written SVG: horizontal bars (declared trainees against the guide's planned places,
 * per sub-project or per plan) and stacked columns (declarations per day by status). Pure functions of
 * the numbers, readable without JavaScript (a <title> and a text table inside each chart), and the same
 * SVG is rasterised to PNG for /stats in Telegram (./png.ts). Hand-written rather than a chart library:
 * two chart kinds of ~100 lines have no dependency, no DOM, and render identically on the server and in
 * resvg; the libraries that fit (e.g. vega, chart.js) need a DOM or canvas (a native build) or weigh MBs.
 */
import { escapeHtml } from "../web/telegram-html.js";

export interface BarRow {
  label: string;
  /** Declared (trainees planned by live declarations). */
  value: number;
  /** Planned places in the guide, when it gives a number. */
  target?: number;
}

export const FONT = `"WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC","Noto Sans CJK SC",sans-serif`;
const COLORS = { value: "#15803d", target: "#cbd5e1", over: "#b91c1c", text: "#1f2328", grid: "#e5e7eb" };

const fmt = (n: number) => n.toLocaleString("en-US");

/** Display width of a label, counting CJK characters as one em and others as half. */
function textWidth(s: string, size: number): number {
  let w = 0;
  for (const ch of s) w += /[\u2e80-\uffff]/.test(ch) ? size : size * 0.56;
  return w;
}

function clip(s: string, maxWidth: number, size: number): string {
  if (textWidth(s, size) <= maxWidth) return s;
  let out = "";
  for (const ch of s) {
    if (textWidth(out + ch + "…", size) > maxWidth) break;
    out += ch;
  }
  return out + "…";
}

/** Bars of declared trainees with the planned places behind them; a bar beyond its target turns red. */
export function barChart(title: string, rows: BarRow[], opts: { width?: number } = {}): string {
  const width = opts.width ?? 720;
  const size = 13;
  const labelW = Math.min(300, Math.max(...rows.map((r) => textWidth(r.label, size)), 60) + 16);
  const numW = 120;
  const plotW = Math.max(120, width - labelW - numW - 16);
  const rowH = 26;
  const top = 40;
  const height = top + Math.max(1, rows.length) * rowH + 34;
  const max = Math.max(1, ...rows.map((r) => Math.max(r.value, r.target ?? 0)));
  const x = (n: number) => (n / max) * plotW;
  const parts: string[] = [];
  parts.push(`<text x="8" y="22" font-size="15" font-weight="bold" fill="${COLORS.text}">${escapeHtml(title)}</text>`);
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const over = r.target !== undefined && r.value > r.target;
    parts.push(`<text x="${labelW - 6}" y="${y + 16}" font-size="${size}" text-anchor="end" fill="${COLORS.text}">${escapeHtml(clip(r.label, labelW - 10, size))}</text>`);
    if (r.target !== undefined) parts.push(`<rect x="${labelW}" y="${y + 3}" width="${x(r.target).toFixed(1)}" height="${rowH - 8}" fill="${COLORS.target}"/>`);
    parts.push(`<rect x="${labelW}" y="${y + 7}" width="${Math.max(r.value ? 1 : 0, x(r.value)).toFixed(1)}" height="${rowH - 16}" fill="${over ? COLORS.over : COLORS.value}"/>`);
    const label = r.target !== undefined ? `${fmt(r.value)} / ${fmt(r.target)}` : `${fmt(r.value)} / 未定`;
    parts.push(`<text x="${labelW + plotW + 8}" y="${y + 16}" font-size="12" fill="${over ? COLORS.over : COLORS.text}">${label}</text>`);
  });
  if (!rows.length) parts.push(`<text x="${labelW}" y="${top + 16}" font-size="13" fill="${COLORS.text}">暂无数据</text>`);
  const ly = height - 14;
  parts.push(
    `<rect x="8" y="${ly - 10}" width="12" height="10" fill="${COLORS.value}"/><text x="24" y="${ly}" font-size="12" fill="${COLORS.text}">已申报培训人数</text>`,
    `<rect x="130" y="${ly - 10}" width="12" height="10" fill="${COLORS.target}"/><text x="146" y="${ly}" font-size="12" fill="${COLORS.text}">指南计划名额（“未定”：指南未给出人数）</text>`,
  );
  const summary = rows.map((r) => `${r.label}：${fmt(r.value)} / ${r.target === undefined ? "未定" : fmt(r.target)}`).join("；");
  return svg(width, height, title, summary, parts);
}

export type StatusKey = "submitted" | "approved" | "returned" | "withdrawn";
export const STATUS_ORDER: StatusKey[] = ["submitted", "approved", "returned", "withdrawn"];
export const STATUS_COLORS: Record<StatusKey, string> = { submitted: "#2563eb", approved: "#15803d", returned: "#d97706", withdrawn: "#9ca3af" };

export interface DayColumn {
  /** YYYY-MM-DD */
  day: string;
  counts: Partial<Record<StatusKey, number>>;
}

/** Stacked columns: declarations submitted per day, by their status now. */
export function timeChart(title: string, columns: DayColumn[], labels: Record<StatusKey, string>, opts: { width?: number } = {}): string {
  const width = opts.width ?? 720;
  const left = 44;
  const top = 40;
  const plotH = 180;
  const plotW = width - left - 12;
  const height = top + plotH + 58;
  const totals = columns.map((c) => STATUS_ORDER.reduce((n, s) => n + (c.counts[s] ?? 0), 0));
  const max = Math.max(1, ...totals);
  const step = niceStep(max);
  const top10 = Math.ceil(max / step) * step;
  const colW = columns.length ? plotW / columns.length : plotW;
  const barW = Math.max(1, Math.min(28, colW * 0.7));
  const y = (n: number) => top + plotH - (n / top10) * plotH;
  const parts: string[] = [`<text x="8" y="22" font-size="15" font-weight="bold" fill="${COLORS.text}">${escapeHtml(title)}</text>`];
  for (let v = 0; v <= top10; v += step) {
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end" fill="${COLORS.text}">${fmt(v)}</text>`);
  }
  const labelEvery = Math.max(1, Math.ceil(columns.length / 8));
  columns.forEach((c, i) => {
    const cx = left + i * colW + (colW - barW) / 2;
    let acc = 0;
    for (const s of STATUS_ORDER) {
      const n = c.counts[s] ?? 0;
      if (!n) continue;
      parts.push(`<rect x="${cx.toFixed(1)}" y="${y(acc + n).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(acc) - y(acc + n)).toFixed(1)}" fill="${STATUS_COLORS[s]}"/>`);
      acc += n;
    }
    if (i % labelEvery === 0) parts.push(`<text x="${(cx + barW / 2).toFixed(1)}" y="${top + plotH + 16}" font-size="11" text-anchor="middle" fill="${COLORS.text}">${c.day.slice(5)}</text>`);
  });
  if (!columns.length) parts.push(`<text x="${left + 8}" y="${top + plotH / 2}" font-size="13" fill="${COLORS.text}">暂无数据</text>`);
  let lx = 8;
  for (const s of STATUS_ORDER) {
    parts.push(`<rect x="${lx}" y="${height - 22}" width="12" height="10" fill="${STATUS_COLORS[s]}"/><text x="${lx + 16}" y="${height - 13}" font-size="12" fill="${COLORS.text}">${escapeHtml(labels[s])}</text>`);
    lx += 16 + textWidth(labels[s], 12) + 18;
  }
  const summary = columns.map((c, i) => `${c.day}：${totals[i]}`).join("；");
  return svg(width, height, title, summary, parts);
}

function niceStep(max: number): number {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (raw <= m * mag) return Math.max(1, m * mag);
  return 10 * mag;
}

function svg(width: number, height: number, title: string, summary: string, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" font-family='${FONT}'><title>${escapeHtml(title)}</title><desc>${escapeHtml(summary)}</desc><rect width="100%" height="100%" fill="#fff"/>${parts.join("")}</svg>`;
}
