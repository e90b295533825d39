/**
 * /export: one row per declaration with Chinese headers (the form's own labels), as CSV for Excel
 * (UTF-8 with BOM, CRLF, RFC 4180 quoting, formula injection defused) and as XLSX (exceljs).
 * Pure apart from exceljs: no Telegram, no store.
 */
import { once } from "node:events";
import { Writable } from "node:stream";
import { makeDeclarationFlow } from "../../flows/declaration.js";
import { stepLabel } from "../engine/run.js";
import type { FlowContext, Step } from "../engine/types.js";
import { localDateTime } from "../domain/time.js";
import type { Knowledge } from "../knowledge/schema.js";
import type { DeclarationRecord, DeclarationStatus } from "../store/types.js";

export type Cell = string | number | null;

/** What the writers need: headers and rows, the rows made one at a time (from memory or from disk). */
export interface RowSource {
  headers: string[];
  /** How many rows rows() yields. */
  count: number;
  /** The rows, made one at a time as they are written: a season's export never sits in memory whole. */
  rows(): Iterable<Cell[]> | AsyncIterable<Cell[]>;
  /** Indexes of columns holding yuan amounts (formatted #,##0 in the XLSX). */
  moneyColumns: number[];
}

/** A table over declarations in memory (small exports, tests). */
export interface ExportTable extends RowSource {
  rows(): Iterable<Cell[]>;
}

export const STATUS_TEXT: Record<DeclarationStatus, string> = { submitted: "待审核", approved: "已通过", returned: "已退回", withdrawn: "已撤回" };

/** Fields every export shows, even when no declaration answered them. */
const CORE = new Set(["institution", "institutionType", "plan", "subProject", "row", "partners", "lead", "contact", "phone", "email", "people", "cycleYear", "start", "end", "note"]);
const QUANTITY_UNIT: Record<string, string> = { people: "人", counties: "县", schools: "校" };

export interface ExportOptions {
  timeZone: string;
  now: Date;
  /** Display name of an applicant (user id → name). */
  userName?: (id: number) => string;
}

/** declarations-20240601.csv: the date in the time zone. */
export function exportFileName(now: Date, timeZone: string, ext: "csv" | "xlsx"): string {
  return `declarations-${localDateTime(now.toISOString(), timeZone).slice(0, 10).replace(/-/g, "")}.${ext}`;
}

/** Schedule parts by id: their unit and label (for column headers). */
function durations(k: Knowledge): Map<string, { unit: string; label: string }> {
  const out = new Map<string, { unit: string; label: string }>();
  for (const sp of k.subProjects) for (const d of [...sp.schedule, ...sp.rows.flatMap((r) => r.schedule ?? [])]) if (!out.has(d.id)) out.set(d.id, d);
  return out;
}

/** "培训人数（人）", "名校访学（天）", and for a part's own group "分组人数（集中培训，人）". */
function header(step: Step, label: string, parts: Map<string, { unit: string; label: string }>): string {
  const [kind, part] = step.id.split(":");
  if (kind === "dur" && part) return `${label}（${parts.get(part)?.unit ?? ""}）`;
  if (kind === "people" && part) return `${label}（${parts.get(part)?.label ?? part}，人）`;
  const unit = QUANTITY_UNIT[step.id];
  return unit ? `${label}（${unit}）` : label;
}

/** An answer as plain text or a number: choices by their labels, lists joined with 、. */
function plain(step: Step, value: unknown, answers: Record<string, unknown>, fctx: FlowContext): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return value;
  let label = (v: unknown) => String(v);
  if (step.kind === "choice" || step.kind === "multi") {
    try {
      const options = step.options?.(answers, fctx) ?? [];
      label = (v) => options.find((o) => o.value === v)?.label ?? String(v);
    } catch {
      // Options built from knowledge that changed since: fall back to the stored values.
    }
  }
  if (Array.isArray(value)) return value.map(label).join("、");
  if (typeof value === "string") return label(value);
  return JSON.stringify(value);
}

function lastComment(d: DeclarationRecord): string | null {
  return [...d.history].reverse().find((h) => h.comment)?.comment ?? null;
}

/** Two different fields may share a label: number the repeats so every column is told apart. */
function uniqueHeaders(headers: string[]): string[] {
  const seen = new Map<string, number>();
  return headers.map((h) => {
    const n = (seen.get(h) ?? 0) + 1;
    seen.set(h, n);
    return n === 1 ? h : `${h}（${n}）`;
  });
}

/** A declaration and its applicant's display name, as the rows are made from. */
export interface ExportRecord {
  declaration: DeclarationRecord;
  ownerName: string | null;
}

/**
 * The export's columns, learnt from the declarations one at a time (observe), so a season's worth
 * can stream past on its way to disk and be read back for the rows. One column per step and name
 * the question used (名校观摩 for 地级骨干, 名校访学 for 领航 are two columns), so each value stands
 * under the term its own form asked with.
 */
export class ExportColumns {
  private readonly fctx: FlowContext;
  private readonly steps: Step[];
  /** Step id → the labels its answers were asked with, in first-seen order. */
  private readonly labels = new Map<string, Set<string>>();

  constructor(
    private readonly k: Knowledge,
    opts: Pick<ExportOptions, "timeZone" | "now">,
  ) {
    this.fctx = { knowledge: k, now: opts.now, timeZone: opts.timeZone };
    this.steps = makeDeclarationFlow(k).steps;
  }

  observe(d: DeclarationRecord): void {
    for (const step of this.steps) {
      if (!(step.id in d.answers)) continue;
      let set = this.labels.get(step.id);
      if (!set) this.labels.set(step.id, (set = new Set()));
      set.add(stepLabel(step, d.answers, this.fctx));
    }
  }

  /** The headers and the row maker, once every declaration has been observed. */
  layout(timeZone: string): TableLayout {
    const { k, fctx } = this;
    const parts = durations(k);
    const columns = this.steps
      .filter((s) => CORE.has(s.id) || this.labels.has(s.id))
      .flatMap((step) => [...(this.labels.get(step.id) ?? [step.label])].map((label) => ({ step, label })));
    const headers = [
      "申报编号",
      "状态",
      ...uniqueHeaders(columns.map((c) => header(c.step, c.label, parts))),
      "每年预算（元）",
      "周期年数",
      "周期预算（元）",
      "提交时间",
      "最后更新",
      "申报人ID",
      "申报人",
      "最近审核意见",
    ];
    const base = 2 + columns.length;
    const row = ({ declaration: d, ownerName }: ExportRecord): Cell[] => {
      const years = k.subProjects.find((s) => s.id === d.subProjectId)?.cycle.years ?? 1;
      return [
        d.ref,
        STATUS_TEXT[d.status],
        ...columns.map((c) => (stepLabel(c.step, d.answers, fctx) === c.label ? plain(c.step, d.answers[c.step.id], d.answers, fctx) : null)),
        d.budget.perYear,
        years,
        d.budget.cycle,
        localDateTime(d.submittedAt, timeZone),
        localDateTime(d.updatedAt, timeZone),
        d.ownerId,
        ownerName,
        lastComment(d),
      ];
    };
    return { headers, moneyColumns: [base, base + 2], row };
  }
}

export interface TableLayout {
  headers: string[];
  moneyColumns: number[];
  row(r: ExportRecord): Cell[];
}

/** Declarations in memory, listed by ref. */
export function declarationTable(k: Knowledge, declarations: readonly DeclarationRecord[], opts: ExportOptions): ExportTable {
  const sorted = [...declarations].sort((a, b) => a.ref.localeCompare(b.ref));
  const columns = new ExportColumns(k, opts);
  for (const d of sorted) columns.observe(d);
  const { headers, moneyColumns, row } = columns.layout(opts.timeZone);
  return {
    headers,
    moneyColumns,
    count: sorted.length,
    *rows() {
      for (const declaration of sorted) yield row({ declaration, ownerName: opts.userName?.(declaration.ownerId) ?? null });
    },
  };
}

/** Cells Excel would run as a formula (= + - @, and tab/CR that some readers strip first) get a leading '. */
export function defuse(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

/** One CSV field: text defused, then quoted when it holds a comma, quote, CR or LF (quotes doubled). */
export function csvField(v: Cell): string {
  if (v === null) return "";
  if (typeof v === "number") return String(v);
  const s = defuse(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes, waiting when the stream is full, so a slow disk or socket never piles the file up in memory. */
async function put(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, "drain");
}

/** The CSV, streamed: BOM, CRLF line ends, a line per row. */
export async function writeCsv(t: RowSource, out: Writable): Promise<void> {
  await put(out, `\uFEFF${t.headers.map(csvField).join(",")}\r\n`);
  for await (const row of t.rows()) await put(out, `${row.map(csvField).join(",")}\r\n`);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** Rows sampled for XLSX column widths: widths must be set before the first row, and a sample is enough. */
const WIDTH_SAMPLE = 500;

/**
 * Written with exceljs's streaming writer, row by row: the in-memory Workbook needed about 1.2 GB and
 * 9 s for 20,000 declarations (a season's worth); streamed, each row is made, serialised and dropped.
 * It yields to the event loop every few hundred rows, so the bot keeps answering others meanwhile.
 */
export async function writeXlsx(t: RowSource, out: Writable, sheetName = "申报汇总"): Promise<void> {
  // Loaded on first export: exceljs takes about 250 ms and 25 MB to load, which start-up need not pay.
  const { default: ExcelJS } = await import("exceljs");
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
  wb.creator = "国培/区培申报助手";
  const ws = wb.addWorksheet(sheetName, { views: [{ state: "frozen", ySplit: 1 }] });
  const longest = t.headers.map((h) => h.length * 2);
  let sampled = 0;
  for await (const r of t.rows()) {
    r.forEach((c, i) => (longest[i] = Math.max(longest[i] ?? 0, String(c ?? "").length * 1.6)));
    if (++sampled >= WIDTH_SAMPLE) break;
  }
  ws.columns = longest.map((w, i) => ({ width: Math.min(Math.max(10, Math.ceil(w)), 60), ...(t.moneyColumns.includes(i) ? { style: { numFmt: "#,##0" } } : {}) }));
  const head = ws.addRow(t.headers);
  head.font = { bold: true };
  head.commit();
  // String cells are stored as text (never as formulas), so no defusing is needed here.
  let i = 0;
  for await (const r of t.rows()) {
    ws.addRow(r.map((c) => (c === null ? "" : c))).commit();
    if (++i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  ws.commit();
  await wb.commit();
}

/** In memory, for small tables and tests. */
function collect(write: (out: Writable) => Promise<void>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  return write(sink).then(() => Buffer.concat(chunks));
}

export const toCsv = (t: RowSource): Promise<Buffer> => collect((out) => writeCsv(t, out));
export const toXlsx = (t: RowSource): Promise<Buffer> => collect((out) => writeXlsx(t, out));
