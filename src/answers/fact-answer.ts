/**
 * Fact answers and the browsing card, as Telegram HTML (<b>, <i> only; every knowledge string escaped).
 * The direct answer comes first, then where the guide says it: "📖 出处：正文 一（一）2 培训对象「…计划培训1100人」".
 * Merged-cell facts say so, notes are shown, a missing funding standard is said to be missing, and where
 * the prose and the tables disagree both readings are shown.
 */
import { describeDuration, scheduleOf } from "../domain/budget.js";
import { implementerOf } from "../domain/implementer.js";
import { yuan } from "../domain/money.js";
import type { AudienceRow, Cite, Condition, Discrepancy, Duration, Knowledge, Rate, SubProject } from "../knowledge/schema.js";
import type { FactKind } from "../nlu/types.js";
import { INFERRED_MARK, citeLine, inferredMark, place } from "./cite.js";
import { escapeHtml as e } from "./html.js";

export interface FactOptions {
  rowId?: string;
  durationId?: string;
}

/** Longest page of the browsing card. */
export const CARD_PAGE_LIMIT = 3500;
/** Telegram's hard limit is 4096; fact answers stay well below. */
const MESSAGE_LIMIT = 4000;

export const NO_FUNDING = "指南未给出该项目的培训经费标准";
const NOT_SELF_APPLY = "ℹ️ 参训人员不能个人报名，由所在学校或教育行政部门按名额推荐。";

// ---------- citations ----------

/** Collects citations in order, once each; `brief` keeps one line per place (for the card). */
class Cites {
  private readonly seen = new Set<string>();
  readonly lines: string[] = [];
  constructor(private readonly brief = false) {}
  add(c: Cite | undefined, focus?: string): this {
    if (!c) return this;
    const key = this.brief ? `${c.where}|${c.inferred ?? ""}` : `${c.where}|${c.quote}|${c.inferred ?? ""}|${c.note ?? ""}`;
    if (this.seen.has(key)) return this;
    this.seen.add(key);
    this.lines.push(citeLine(c, focus));
    return this;
  }
}

// ---------- pieces ----------

function title(sp: SubProject, row?: AudienceRow): string {
  return `<b>${e(sp.name)}</b>${row && sp.rows.length > 1 ? `（${e(row.label)}）` : ""}`;
}

/** The figure of a duration as the guide writes it, to find its clause in a quote. */
function durationFocus(d: Duration): string {
  return `${d.bound === "range" ? d.max : d.value}${d.unit}`;
}

function rateText(r: Rate): string {
  return `${r.amount}${r.unit}`;
}

function quotaText(q: SubProject["quota"][number]): string {
  if (q.unit === "人") return `${q.value}人`;
  return q.unit === "县" ? `${q.value}个县` : `${q.value}所学校`;
}

/** "集中培训 <b>15天</b>（其中影子学习 <b>不少于7天</b>）、异步在线学习 <b>50学时</b>". */
export function scheduleSummary(schedule: Duration[]): string {
  const tops = schedule.filter((d) => !d.partOf || !schedule.some((x) => x.id === d.partOf));
  return tops
    .map((d) => {
      const parts = schedule.filter((x) => x.partOf === d.id);
      const inner = parts.length ? `（其中${parts.map((p) => `${e(p.label)} <b>${describeDuration(p)}</b>`).join("、")}）` : "";
      return `${e(d.label)} <b>${describeDuration(d)}</b>${inner}`;
    })
    .join("、");
}

/** What a schedule prescribes, labels aside (异步在线 and 异步在线学习 are the same part). */
function scheduleKey(schedule: Duration[]): string {
  return schedule.map((d) => `${d.id}:${d.partOf ?? ""}:${describeDuration(d)}`).join("，");
}

function perYear(sp: SubProject): string {
  return sp.cycle.years > 1 ? "每年" : "";
}

function rowsOf(sp: SubProject, rowId?: string): AudienceRow[] {
  const row = rowId ? sp.rows.find((r) => r.id === rowId) : undefined;
  return row ? [row] : sp.rows;
}

/** Rows grouped by an equal rendering, keeping guide order. */
function groupRows<T>(rows: AudienceRow[], keyOf: (r: AudienceRow) => string, value: (r: AudienceRow) => T): { rows: AudienceRow[]; value: T }[] {
  const groups: { key: string; rows: AudienceRow[]; value: T }[] = [];
  for (const r of rows) {
    const key = keyOf(r);
    const g = groups.find((x) => x.key === key);
    if (g) g.rows.push(r);
    else groups.push({ key, rows: [r], value: value(r) });
  }
  return groups;
}

function labels(rows: AudienceRow[]): string {
  return rows.map((r) => e(r.label)).join("、");
}

/** Discrepancy topics and the facts they bear on. */
const TOPIC_FACTS: [RegExp, FactKind[]][] = [
  [/对象|范围|条件|教龄|资格|学段|学科|称号|人员|优先|必备|遴选/, ["audience"]],
  [/时间|天数|学时|观摩|访学|一对一指导|周期安排|天/, ["schedule", "phases"]],
  [/经费|标准|元/, ["funding"]],
  [/环节|方式|三段式/, ["phases"]],
  [/实施|申报单位|牵头|协同/, ["implementer"]],
  [/新设|设立|年度|周期/, ["cycle"]],
];

function discrepanciesFor(sp: SubProject, fact: FactKind): Discrepancy[] {
  return sp.discrepancies.filter((d) => {
    const text = `${d.topic} ${d.readings.map((r) => r.text).join(" ")}`;
    return TOPIC_FACTS.some(([re, facts]) => facts.includes(fact) && re.test(d.topic)) || (fact === "funding" && /经费/.test(text));
  });
}

/** Both readings of a discrepancy, each with where it stands, and what we do about it. */
function discrepancyLines(d: Discrepancy, withQuotes: boolean): string[] {
  const out = [`⚖️ <b>正文与附件2说法不一：${e(d.topic)}</b>`];
  for (const r of d.readings) {
    out.push(`• ${e(r.text)}`);
    out.push(withQuotes ? `  ${citeLine(r.cite)}` : `  📖 出处：${place(r.cite)}`);
  }
  out.push(`➡️ ${e(d.note)}`);
  return out;
}

function conditionText(c: Condition): string {
  return `${e(c.text.replace(/(者)?优先推荐$/, "$1"))}${inferredMark(c.cite)}`;
}

/** Conditions worth listing next to a row label: the stage and a single role are in the label already. */
function telling(c: Condition): boolean {
  if (c.field === "stage") return false;
  if (c.field === "role") return c.oneOf.length > 1;
  return true;
}

// ---------- facts ----------

function quotaLines(sp: SubProject, row: AudienceRow | undefined, cites: Cites): string[] {
  if (!sp.quota.length) {
    cites.add(sp.audience.cite);
    return [`${title(sp)}：指南未写明计划培训人数。`];
  }
  const figures = sp.quota.map((q) => `<b>${quotaText(q)}</b>`).join("、");
  const verb = sp.quota.some((q) => q.unit === "人") ? "计划培训" : "面向";
  const out = [`${title(sp)} ${verb} ${figures}`];
  if (!sp.quota.some((q) => q.unit === "人")) out.push("（指南未给出培训人数）");
  if (row && sp.rows.length > 1) out.push(`<i>这是整个子项目的合计，指南未按“${e(row.label)}”等各行分配名额。</i>`);
  for (const q of sp.quota) cites.add(q.cite, `${q.value}${q.unit === "校" ? "所" : q.unit === "县" ? "个" : "人"}`);
  return out;
}

/** Time facts that are no billed duration (顶岗置换一学期), once each. */
function scheduleNoteLines(sp: SubProject, row: AudienceRow | undefined, cites: Cites): string[] {
  const notes = (row ? [row] : sp.rows).flatMap((r) => r.scheduleNotes);
  const seen = new Set<string>();
  return notes.flatMap((n) => {
    if (seen.has(n.text)) return [];
    seen.add(n.text);
    cites.add(n.cite);
    return [`另：<b>${e(n.text)}</b>`];
  });
}

function scheduleLines(sp: SubProject, opts: FactOptions, cites: Cites): string[] {
  const row = opts.rowId ? sp.rows.find((r) => r.id === opts.rowId) : undefined;
  return [...scheduleBody(sp, opts, row, cites), ...scheduleNoteLines(sp, row, cites)];
}

function scheduleBody(sp: SubProject, opts: FactOptions, row: AudienceRow | undefined, cites: Cites): string[] {
  const schedule = row ? scheduleOf(sp, row) : sp.schedule;
  const out: string[] = [];
  const part = opts.durationId ? schedule.find((d) => d.id === opts.durationId) : undefined;
  if (part) {
    const parent = part.partOf ? schedule.find((d) => d.id === part.partOf) : undefined;
    const inside = parent ? `（含在${e(parent.label)}${describeDuration(parent)}之内）` : "";
    out.push(`${title(sp, row)} ${perYear(sp)}${e(part.label)} <b>${describeDuration(part)}</b>${inside}`);
    cites.add(part.cite, durationFocus(part));
    if (schedule.length > 1) out.push(`全部安排：${perYear(sp)}${scheduleSummary(schedule)}`);
    return out;
  }
  // rows whose own schedule differs from the prose: say each
  const groups = row ? [] : groupRows(sp.rows, (r) => scheduleKey(scheduleOf(sp, r)), (r) => scheduleOf(sp, r));
  const differs = groups.length > 1 || (groups.length === 1 && scheduleKey(groups[0]!.value) !== scheduleKey(sp.schedule));
  if (!differs || groups.length === 1) {
    out.push(`${title(sp, row)} 培训时间：${perYear(sp)}${scheduleSummary(schedule)}`);
    for (const d of schedule) cites.add(d.cite, durationFocus(d));
    return out;
  }
  out.push(`${title(sp)} 培训时间：${perYear(sp)}${scheduleSummary(sp.schedule)}`);
  for (const d of sp.schedule) cites.add(d.cite, durationFocus(d));
  out.push("各方向分别为：");
  for (const g of groups) {
    out.push(`• ${labels(g.rows)}：${scheduleSummary(g.value)}`);
    for (const d of g.value) cites.add(d.cite, durationFocus(d));
  }
  return out;
}

/** "15天×400元＋50学时×6元＝6,300元" for a row billed per person; undefined otherwise. */
function perPersonTotal(sp: SubProject, row: AudienceRow): string | undefined {
  if (!("rates" in row.funding)) return undefined;
  const schedule = scheduleOf(sp, row);
  // parts attended by different groups (指导团队 10天, 全员教师 120学时): no one person gets both rates
  const groups = new Set(row.funding.rates.map((r) => schedule.find((x) => x.id === r.appliesTo)?.who ?? ""));
  if (groups.size > 1 || (groups.size === 1 && !groups.has("") && row.funding.rates.length > 1)) return undefined;
  const terms: string[] = [];
  let sum = 0;
  let minimum = false;
  for (const r of row.funding.rates) {
    const d = schedule.find((x) => x.id === r.appliesTo);
    if (!d || r.unit === "万/县/年" || r.unit === "万/校/年") return undefined;
    if (d.bound !== "exact") minimum = true;
    terms.push(`${d.value}${d.unit}×${r.amount}元`);
    sum += d.value * r.amount;
  }
  const basis = minimum ? "（按指南最低天数/学时）" : "";
  return `折合每人${sp.cycle.years > 1 ? "每年" : ""}：${terms.join("＋")}＝<b>${yuan(sum)}</b>${basis}`;
}

/** True when any of the row's funding figures was carried from a merged cell. */
function fundingInferred(r: AudienceRow): boolean {
  return "rates" in r.funding && r.funding.rates.some((x) => x.cite.inferred);
}

function fundingLines(sp: SubProject, opts: FactOptions, cites: Cites): string[] {
  const rows = rowsOf(sp, opts.rowId);
  const row = opts.rowId ? rows[0] : undefined;
  // rows with the same standard are said once; which of them are merged-cell readings is said after
  const render = (r: AudienceRow): string => {
    if (!("rates" in r.funding)) return NO_FUNDING;
    const rates = [...r.funding.rates].sort((a, b) => Number(b.appliesTo === opts.durationId) - Number(a.appliesTo === opts.durationId));
    return rates
      .map((x) => {
        const perUnit = x.unit === "万/县/年" ? `（每县每年${yuan(x.amount * 10_000)}）` : x.unit === "万/校/年" ? `（每校每年${yuan(x.amount * 10_000)}）` : "";
        return `${e(x.item)} <b>${rateText(x)}</b>${perUnit}`;
      })
      .join("、");
  };
  const inferredNote = (g: AudienceRow[]): string => {
    const inferred = g.filter(fundingInferred);
    if (!inferred.length) return "";
    return inferred.length === g.length ? INFERRED_MARK : `（${labels(inferred)}：据合并单元格推定）`;
  };
  const groups = groupRows(rows, render, render);
  const out: string[] = [];
  // a blank cell's reading is said once, with the unstated sentence, not again under each row's citation
  const citeRow = (r: AudienceRow) => {
    if (!("rates" in r.funding)) return;
    for (const x of r.funding.rates) {
      const { note: _n, ...bare } = x.cite;
      cites.add(r.funding.unstated ? bare : x.cite, `${x.amount}${x.unit[0]}`);
    }
  };
  if (groups.length === 1) {
    const g = groups[0]!;
    const only = g.rows[0]!;
    if (!("rates" in only.funding)) {
      out.push(`${title(sp, row)}：${NO_FUNDING}，助手不作估算。`);
      out.push(`ℹ️ ${e(only.funding.none)}`);
      return out;
    }
    if (only.funding.unstated) {
      // a blank cell: the guide's word first, the merged-cell reading only as a reference
      out.push(`${title(sp, row)} 培训经费标准：指南未写明。`);
      out.push(`ℹ️ ${e(only.funding.unstated)}若按上方合并单元格理解，为${g.value}${INFERRED_MARK}，仅供参考，请向项目办确认。`);
      for (const r of g.rows) citeRow(r);
      return out;
    }
    out.push(`${title(sp, row)} 培训经费标准：${g.value}${inferredNote(g.rows)}`);
    const totals = new Set(g.rows.map((r) => perPersonTotal(sp, r)));
    const total = [...totals][0];
    if (totals.size === 1 && total) out.push(total);
    for (const r of g.rows) citeRow(r);
    return out;
  }
  out.push(`${title(sp)} 培训经费标准（按附件2各行）：`);
  for (const g of groups) {
    const unstated = g.rows.every((r) => "rates" in r.funding && r.funding.unstated);
    out.push(unstated ? `• ${labels(g.rows)}：指南未写明（本栏为空；按合并单元格可推定为${g.value}，仅供参考）` : `• ${labels(g.rows)}：${g.value}${inferredNote(g.rows)}`);
    for (const r of g.rows) {
      if ("rates" in r.funding) citeRow(r);
      else out.push(`  ℹ️ ${e(r.funding.none)}`);
    }
  }
  return out;
}

function audienceLines(sp: SubProject, opts: FactOptions, cites: Cites, detailed: boolean): string[] {
  const row = opts.rowId ? sp.rows.find((r) => r.id === opts.rowId) : undefined;
  const out: string[] = [];
  if (row) {
    out.push(`${title(sp, row)} 培训对象：${e(row.audience.text)}`);
    cites.add(row.audience.cite);
  } else {
    out.push(`${title(sp)} 培训对象：${e(sp.audience.text)}`);
    cites.add(sp.audience.cite);
  }
  const rows = row ? [row] : sp.rows;
  for (const r of rows) {
    const hard = r.conditions.filter(telling);
    const parts: string[] = [];
    if (hard.length) parts.push(hard.map(conditionText).join("；"));
    if (r.priority.length) parts.push(`优先推荐：${r.priority.map(conditionText).join("；")}`);
    const head = rows.length > 1 || row ? `• <b>${e(r.label)}</b>` : "• 遴选条件";
    out.push(`${head}：${parts.join("。") || "指南未列遴选条件"}`);
    const first = [...r.conditions, ...r.priority].find(telling) ?? r.conditions[0];
    if (detailed || row || rows.length === 1) for (const c of [...r.conditions, ...r.priority]) cites.add(c.cite);
    else cites.add(first?.cite ?? r.audience.cite);
  }
  return out;
}

function phaseLines(sp: SubProject, opts: FactOptions, cites: Cites): string[] {
  const row = opts.rowId ? sp.rows.find((r) => r.id === opts.rowId) : undefined;
  const out: string[] = [];
  const prose = sp.phases;
  const table = groupRows(
    (row ? [row] : sp.rows).filter((r) => r.phases),
    (r) => r.phases!.items.join("→"),
    (r) => r.phases!,
  );
  const join = (items: string[]) => items.map(e).join(" → ");
  if (!prose && !table.length) return [`${title(sp, row)}：指南未列出该项目的培训环节。`];
  if (prose && (row === undefined || !row.phases)) {
    out.push(`${title(sp, row)} 培训环节：<b>${join(prose.items)}</b>`);
    cites.add(prose.cite);
  }
  const differing = table.filter((g) => !prose || g.value.items.join("→") !== prose.items.join("→"));
  if (!prose && differing.length === 1) {
    out.push(`${title(sp, row)} 培训环节：<b>${join(differing[0]!.value.items)}</b>`);
    cites.add(differing[0]!.value.cite);
    return out;
  }
  for (const g of differing) {
    const who = sp.rows.length > 1 ? `（${labels(g.rows)}）` : "";
    out.push(`${prose ? "附件2所列环节" : "培训环节"}${who}：<b>${join(g.value.items)}</b>`);
    cites.add(g.value.cite);
  }
  const methods = methodClause(sp.goal.text);
  // shown unless the 环节 above are that clause's own list (一对一: 送教上门、联合教研…)
  if (methods && !row && !(prose && prose.items.every((i) => methods.includes(i)))) {
    out.push(`培训目标所写方式：${e(methods)}`);
    cites.add(sp.goal.cite);
  }
  return out;
}

/** The clause of a 培训目标 that names its ways of training ("利用工作坊、导师带教等方式帮助…"), if it has one. */
function methodClause(goal: string): string | undefined {
  return goal.split(/[，；。]/).find((piece) => /等方式/.test(piece))?.trim();
}

function implementerLines(sp: SubProject, opts: FactOptions, cites: Cites): string[] {
  const row = opts.rowId ? sp.rows.find((r) => r.id === opts.rowId) : undefined;
  const rows = rowsOf(sp, opts.rowId).filter((r) => implementerOf(sp, r));
  if (!rows.length) return [`${title(sp, row)}：指南未写明该项目的实施单位。`];
  const mark = (r: AudienceRow) => {
    const imp = implementerOf(sp, r)!;
    return imp.carried || imp.cite.inferred ? INFERRED_MARK : "";
  };
  const groups = groupRows(rows, (r) => implementerOf(sp, r)!.text + mark(r), (r) => ({ ...implementerOf(sp, r)!, mark: mark(r) }));
  const out: string[] = [];
  if (groups.length === 1) {
    const imp = groups[0]!.value;
    out.push(`${title(sp, row)} 实施单位：<b>${e(imp.text)}</b>${imp.mark}`);
  } else {
    out.push(`${title(sp)} 实施单位：`);
    for (const g of groups) out.push(`• ${labels(g.rows)}：<b>${e(g.value.text)}</b>${g.value.mark}`);
  }
  for (const g of groups) cites.add(g.value.cite);
  if (groups.some((g) => g.value.carried)) out.push("<i>附件2部分行此格空白，按合并单元格理解与上一行相同。</i>");
  return out;
}

function cycleLines(sp: SubProject, cites: Cites): string[] {
  cites.add(sp.cycle.cite);
  cites.add(sp.established.cite);
  const kind = sp.cycle.kind === "短期" ? `${sp.cycle.years}年短期项目` : `${sp.cycle.years}年周期性项目`;
  return [`${title(sp)}：<b>${e(sp.established.label)}</b>，<b>${kind}</b>`];
}

function goalLines(sp: SubProject, cites: Cites): string[] {
  cites.add(sp.goal.cite);
  return [`${title(sp)} 培训目标：${e(sp.goal.text)}`];
}

function discrepancyAnswer(sp: SubProject): string[] {
  if (!sp.discrepancies.length) return [`${title(sp)}：本助手未发现该项目的正文与附件2有不一致之处。`];
  const out = [`${title(sp)} 正文与附件2的不一致之处（${sp.discrepancies.length}处）：`];
  for (const d of sp.discrepancies) out.push("", ...discrepancyLines(d, true));
  return out;
}

// ---------- public ----------

function fit(text: string, limit = MESSAGE_LIMIT): string {
  if (text.length <= limit) return text;
  const cut = text.lastIndexOf("\n", limit - 2);
  return `${text.slice(0, cut > 0 ? cut : limit - 2)}\n…`;
}

function subProjectOf(k: Knowledge, id: string): SubProject | undefined {
  return k.subProjects.find((s) => s.id === id);
}

/**
 * The guide gives nothing for this fact of the sub-project (no planned head-count, no implementer, no phases):
 * the answer says so, it answers nothing.
 */
export function guideSilentOn(k: Knowledge, subProjectId: string, fact: FactKind): boolean {
  const sp = subProjectOf(k, subProjectId);
  if (!sp) return false;
  if (fact === "quota") return !sp.quota.length;
  if (fact === "implementer") return !sp.rows.some((r) => implementerOf(sp, r));
  if (fact === "phases") return !sp.phases && !sp.rows.some((r) => r.phases);
  // blank cells read as merged ones (书记研修, 依法治校): the guide itself does not say
  if (fact === "funding") return sp.rows.every((r) => !("rates" in r.funding) || r.funding.unstated !== undefined);
  return false;
}

/** The answer to one fact question about a sub-project, with its citations. */
export function answerFact(k: Knowledge, subProjectId: string, fact: FactKind, opts: FactOptions = {}): string {
  const sp = subProjectOf(k, subProjectId);
  if (!sp) return "未找到该子项目，请发送「项目列表」浏览全部子项目。";
  if (fact === "overview") {
    const pages = overviewCard(k, subProjectId);
    return pages.length > 1 ? `${pages[0]}\n\n<i>（更多内容见详情卡片）</i>` : pages[0]!;
  }
  if (fact === "discrepancy") return fit(discrepancyAnswer(sp).join("\n"));
  const row = opts.rowId ? sp.rows.find((r) => r.id === opts.rowId) : undefined;
  const o: FactOptions = row ? opts : { ...opts, rowId: undefined };
  const cites = new Cites();
  let body: string[];
  switch (fact) {
    case "quota":
      body = quotaLines(sp, row, cites);
      break;
    case "schedule":
      body = scheduleLines(sp, o, cites);
      break;
    case "funding":
      body = fundingLines(sp, o, cites);
      break;
    case "audience":
      body = [...audienceLines(sp, o, cites, false), NOT_SELF_APPLY];
      break;
    case "goal":
      body = goalLines(sp, cites);
      break;
    case "phases":
      body = phaseLines(sp, o, cites);
      break;
    case "implementer":
      body = implementerLines(sp, o, cites);
      break;
    case "cycle":
      body = cycleLines(sp, cites);
      break;
  }
  const out = [...body, ...cites.lines];
  for (const d of discrepanciesFor(sp, fact)) out.push("", ...discrepancyLines(d, false));
  return fit(out.join("\n"));
}

/** Splits sections into pages of at most `limit` characters (a section longer than a page is split by lines). */
export function paginate(sections: string[], limit = CARD_PAGE_LIMIT): string[] {
  const pages: string[] = [];
  let page = "";
  const push = (piece: string) => {
    const joined = page ? `${page}\n\n${piece}` : piece;
    if (joined.length <= limit) page = joined;
    else {
      if (page) pages.push(page);
      page = piece;
    }
  };
  for (const s of sections) {
    if (s.length <= limit) {
      push(s);
      continue;
    }
    for (const line of s.split("\n")) {
      const l = line.length > limit ? `${line.slice(0, limit - 1)}…` : line;
      const joined = page ? `${page}\n${l}` : l;
      if (joined.length <= limit) page = joined;
      else {
        pages.push(page);
        page = l;
      }
    }
  }
  if (page) pages.push(page);
  return pages;
}

/**
 * The details card for browsing: audience, conditions, quota, schedule, phases, implementers,
 * funding per row, cycle, goal and discrepancies, each with a short citation; pages ≤ 3500 characters.
 */
export function overviewCard(k: Knowledge, subProjectId: string): string[] {
  const sp = subProjectOf(k, subProjectId);
  if (!sp) return ["未找到该子项目，请发送「项目列表」浏览全部子项目。"];
  const plan = k.plans.find((p) => p.id === sp.plan);
  const category = plan?.categories.find((c) => c.id === sp.category);
  const section = (heading: string, lines: string[], cites: Cites) => [`<b>▍${heading}</b>`, ...lines, ...cites.lines].join("\n");
  const sections: string[] = [];

  const head = [`📘 <b>${e(sp.name)}</b>`];
  if (sp.tableName && sp.tableName !== sp.name) head.push(`附件2称：${e(sp.tableName)}`);
  if (plan && category) head.push(`${e(plan.name)} · ${e(category.no)}${e(category.name)}`);
  const cycleCites = new Cites(true);
  const kind = sp.cycle.kind === "短期" ? `${sp.cycle.years}年短期项目` : `${sp.cycle.years}年周期性项目`;
  head.push(`${e(sp.established.label)}，${kind}`);
  cycleCites.add(sp.cycle.cite).add(sp.established.cite);
  sections.push([...head, ...cycleCites.lines].join("\n"));

  const strip = (lines: string[]) => lines.map((l) => l.replace(`<b>${e(sp.name)}</b>`, "").replace(/^[ ：]+/, "")).filter(Boolean);

  let c = new Cites(true);
  const audience = audienceLines(sp, {}, c, true);
  sections.push(section("培训对象与遴选条件", [...strip(audience.slice(0, 1)), ...audience.slice(1), NOT_SELF_APPLY], c));

  c = new Cites(true);
  sections.push(section("计划培训", strip(quotaLines(sp, undefined, c)), c));

  c = new Cites(true);
  sections.push(section("培训时间", strip(scheduleLines(sp, {}, c)), c));

  c = new Cites(true);
  sections.push(section("培训环节", strip(phaseLines(sp, {}, c)), c));

  c = new Cites(true);
  sections.push(section("实施单位", strip(implementerLines(sp, {}, c)), c));

  c = new Cites(true);
  sections.push(section("培训经费标准", strip(fundingLines(sp, {}, c)), c));

  c = new Cites(true);
  sections.push(section("培训目标", strip(goalLines(sp, c)), c));

  if (sp.discrepancies.length) {
    sections.push([`<b>▍正文与附件2不一致之处</b>`, ...sp.discrepancies.flatMap((d) => ["", ...discrepancyLines(d, false)])].join("\n"));
  }

  const pages = paginate(sections, CARD_PAGE_LIMIT - 40);
  return pages.length > 1 ? pages.map((p, i) => `${p}\n\n<i>（第${i + 1}/${pages.length}页）</i>`) : pages;
}
