/**
 * Numbers, one way everywhere (form steps and free text alike): 50, ５０, 1,200, 1.5万, 一百, 两百, 三十,
 * 十五, 一百五 — and the quantities they count: 50人, 2个县, 3所学校, 15天, 50学时, 3年.
 */
import type { BudgetQuantities } from "./budget.js";
import type { Duration } from "../knowledge/schema.js";
import { compact, normalize } from "./text.js";

const DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 俩: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

/** One section below 万: 三千二百零五, 十五, 一百五 (= 150, the spoken short form). */
function section(s: string): number | undefined {
  let total = 0;
  let digit: number | undefined;
  let lastUnit = 0;
  let zeroSeen = false;
  for (const ch of s) {
    if (ch in DIGITS) {
      const d = DIGITS[ch]!;
      if (d === 0) zeroSeen = true;
      else if (digit !== undefined) return undefined; // 二三: not a numeral
      digit = d === 0 ? undefined : d;
    } else if (ch in UNITS) {
      const u = UNITS[ch]!;
      if (lastUnit && u >= lastUnit) return undefined; // 十百: malformed
      total += (digit ?? (total === 0 && u === 10 ? 1 : NaN)) * u;
      if (Number.isNaN(total)) return undefined;
      digit = undefined;
      lastUnit = u;
      zeroSeen = false;
    } else return undefined;
  }
  if (digit !== undefined) total += lastUnit >= 100 && !zeroSeen ? (digit * lastUnit) / 10 : digit;
  return total;
}

/** Digits with thousands separators (1,200; 12,000.5; full-width ，folds to , first), or plain digits. */
const DIGITS_PATTERN = "\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?";

/**
 * "一百" → 100, "两万三千" → 23000, "15" → 15, "１５" → 15, "1,200" → 1200, "1.5万" → 15000, "3千" → 3000;
 * anything else → undefined.
 */
export function parseNumber(text: string): number | undefined {
  const s = normalize(text).trim();
  const mixed = new RegExp(`^(${DIGITS_PATTERN})([十百千万]?)$`).exec(s);
  if (mixed) {
    const n = Number(mixed[1]!.replace(/,/g, "")) * (mixed[2] === "万" ? 10_000 : (UNITS[mixed[2] ?? ""] ?? 1));
    return Number.isFinite(n) ? Math.round(n * 1000) / 1000 : undefined;
  }
  if (!/^[零〇一二两俩三四五六七八九十百千万]+$/.test(s)) return undefined;
  const parts = s.split("万");
  if (parts.length > 2) return undefined;
  if (parts.length === 2) {
    const high = parts[0] ? section(parts[0]) : undefined;
    const low = parts[1] ? section(parts[1]) : 0;
    if (high === undefined || low === undefined) return undefined;
    // 一万五 = 15000 (spoken short form)
    const shortLow = parts[1] && /^[一二两三四五六七八九]$/.test(parts[1]) ? low * 1000 : low;
    return high * 10_000 + shortLow;
  }
  return section(s);
}

export type QuantityKind = "people" | "counties" | "schools" | "days" | "hours" | "years" | "money";

export interface Quantity {
  value: number;
  kind: QuantityKind;
  /** Offsets in the normalised text. */
  start: number;
  end: number;
  /** The words just before the number (for 教龄3年 vs 3年周期, 集中培训10天 vs 跟岗20天). */
  before: string;
}

/** A number inside free text, as a regex source with one capture group (parse the capture with parseNumber). */
export const NUMBER_PATTERN = `((?:${DIGITS_PATTERN})[十百千万]?|[零〇一二两俩三四五六七八九十百千万]+)`;
const NUM = NUMBER_PATTERN;
const PEOPLE_WORDS = "人次|人|名|位|学员|老师|教师|校长|园长|书记|主任";
/** Words between a count and the people it counts: 10个高中书记, 30个教务主任. */
const PEOPLE_QUALIFIER = "小学|初中|高中|中学|幼儿园|教务|德育";
/**
 * number, optional 多/余, optional measure word, then a unit. Counties and schools may have a short
 * qualifier in between (2个帮扶县, 3所帮扶学校).
 */
const QUANTITY = new RegExp(
  `${NUM}\\s*(?:多|余)?\\s*(?:` +
    `个?\\s*(?:${PEOPLE_QUALIFIER})?(${PEOPLE_WORDS})` +
    `|(?:(个|所)\\s*((?:(?![天年人元时名位个所])\\p{Script=Han}){0,4}?))?(县市|县(?!级)|学校|校(?!长|园长))` +
    `|(天|日|学时|课时|小时|年|万元|元|万|所)` +
    `)`,
  "gu",
);

function kindOf(unit: string): QuantityKind {
  if (unit === "天" || unit === "日") return "days";
  if (unit === "学时" || unit === "课时" || unit === "小时") return "hours";
  if (unit === "年") return "years";
  if (unit === "所" || unit === "学校" || unit === "校") return "schools";
  if (unit === "县" || unit === "县市") return "counties";
  if (unit === "元" || unit === "万" || unit === "万元") return "money";
  return "people";
}

/** The count after its noun: 帮扶县2个, 学校3所, 人数50, 学员：80名, 全员老师1500, 团队75 (not the 校 of 依法治校10). */
/** "人数一样", "人数一致": 一 that starts a word (一样, 一起, 一共…) counts nothing. */
const NOT_A_COUNT = "(?![样致起共般定些下直])";
const REVERSED = new RegExp(`(县市|县|学校|(?:(?<=帮扶|项目|示范|试点|每|各)|(?<!\\p{Script=Han}))校|人数|学员|参训人员|人员|老师|教师|团队)(?:数|数量)?(?:为|是|:|：|共|有)?\\s*${NUM}${NOT_A_COUNT}\\s*(个|所|名|人|位)?(?![天年元时万\\d])`, "gu");

/**
 * A count that ends an item of a list, with no unit after it: "书法十五", "小学校长25", "书记15个", "依法治校再报20".
 * The label is the Han text before it; the item ends at a space, a list mark or the end of the message.
 */
const LIST_COUNT = new RegExp(`((?:(?![零〇一二两俩三四五六七八九十百千万])\\p{Script=Han}){1,12})\\s*${NUM}\\s*(?:个|名|位)?(?=\\s|[，,、；;。！!？?]|$)`, "gu");
/** Labels after which a bare number is a length or a date, never a head-count. */
const NOT_PEOPLE_LABEL = /(教龄|教领|任职|工作|干了|教了|当了|做了|从教|任教|培训|研修|学习|集中|天数|时间|年限|周期|学时|课时|第|共|年|天|号|月|日)$/u;
const PERSON_LABEL = new RegExp(`(${PEOPLE_WORDS})$`, "u");

/** Every counted quantity in the text, in order. */
export function findQuantities(text: string): Quantity[] {
  const n = normalize(text);
  const out = countsWithUnits(n);
  out.push(...listCounts(n, out));
  return out.sort((a, b) => a.start - b.start);
}

/**
 * The text (normalised) with 人 after each bare count of a list ("依法治校再报20" → "依法治校再报20人"), so a part cut
 * from it still reads as a head-count on its own.
 */
export function withCountUnits(text: string): string {
  const n = normalize(text);
  let out = n;
  for (const q of listCounts(n, countsWithUnits(n)).sort((a, b) => b.end - a.end)) out = `${out.slice(0, q.end)}人${out.slice(q.end)}`;
  return out;
}

/** The quantities a unit or a noun marks (50人, 2个县, 帮扶校3所, 15天), in normalised text, in no set order. */
function countsWithUnits(n: string): Quantity[] {
  const out: Quantity[] = [];
  for (const m of n.matchAll(QUANTITY)) {
    const value = parseNumber(m[1]!);
    if (value === undefined) continue;
    // "校长25个 书记15个": the 书记 after the space labels the next count, not this one
    if (m[2] && /\s/u.test(m[0]) && new RegExp(`^\\s*${NUM}`, "u").test(n.slice(m.index + m[0].length))) continue;
    // "帮扶县1个 帮扶校3所": the 1个 counts the 县 before it (REVERSED), not the 校 after it
    // "一对一" (the sub-project's name) is no count of the 县 after it
    const head = n.slice(0, m.index).replace(/一对一/g, "___");
    if (m[3] && /(县市|县|学校|校)\s*$/u.test(head) && !/[\d零〇一二两俩三四五六七八九十百千万]\s*(个|所)?\s*\p{Script=Han}{0,4}(县市|县|学校|校)\s*$/u.test(head)) continue;
    let kind: QuantityKind;
    if (m[2]) kind = "people";
    else if (m[5]) kind = kindOf(m[5]);
    else kind = kindOf(m[6]!);
    const start = m.index;
    out.push({ value, kind, start, end: start + m[0].length, before: compact(n.slice(Math.max(0, start - 8), start)) });
  }
  for (const m of n.matchAll(REVERSED)) {
    const value = parseNumber(m[2]!);
    if (value === undefined || out.some((x) => x.start < m.index + m[0].length && m.index < x.end)) continue;
    const noun = m[1]!;
    const kind: QuantityKind = noun.startsWith("县") ? "counties" : noun.includes("校") ? "schools" : "people";
    out.push({ value, kind, start: m.index, end: m.index + m[0].length, before: compact(n.slice(Math.max(0, m.index - 8), m.index)) });
  }
  return out;
}

/**
 * Head-counts of a list whose items name a group and end in a bare number ("足球老师二十 书法十五 劳动十五"): an item
 * counts people when its label names people (园长15), or when the message counts people elsewhere, or when two or
 * more items read so. Lengths and dates (教龄5, 集中培训10, 2024) are never counts.
 */
function listCounts(n: string, found: Quantity[]): Quantity[] {
  const items: (Quantity & { person: boolean })[] = [];
  for (const m of n.matchAll(LIST_COUNT)) {
    const label = m[1]!;
    const value = parseNumber(m[2]!);
    const start = m.index + label.length + (m[0].slice(label.length).length - m[0].slice(label.length).trimStart().length);
    if (value === undefined || value < 1 || (value >= 1900 && value <= 2100) || NOT_PEOPLE_LABEL.test(label)) continue;
    if (found.some((x) => x.start < m.index + m[0].length && start < x.end)) continue;
    items.push({ value, kind: "people", start, end: m.index + m[0].length, before: compact(n.slice(Math.max(0, start - 8), start)), person: PERSON_LABEL.test(label) });
  }
  const peopleElsewhere = found.some((x) => x.kind === "people") || items.some((x) => x.person);
  const accepted = peopleElsewhere || items.length >= 2 ? items : [];
  return accepted.map(({ person: _p, ...q }) => q);
}

/** Words before a year count that make it a length of service, not a budget cycle. */
const SERVICE_WORDS = /(教龄|教了|从教|任教|教书|工作|任职|当|担任|岗位|干了|做了|已经|有)$/;

/**
 * The quantities of a budget question. Days and hours are matched to the schedule part they name
 * (集中培训10天, 在线30学时) or, when only one part has that unit among `billed`, to it.
 */
export function budgetQuantities(text: string, billed: Duration[] = []): BudgetQuantities {
  const q: BudgetQuantities = {};
  const amounts: Record<string, number> = {};
  const found = findQuantities(text);
  for (const x of found) {
    // "一年25天" is a length per year, not a one-year cycle
    const perYear = x.kind === "years" && x.value === 1 && found.some((y) => (y.kind === "days" || y.kind === "hours") && y.start >= x.end && y.start <= x.end + 1);
    if (perYear) continue;
    if (x.kind === "people" && q.people === undefined) q.people = x.value;
    else if (x.kind === "counties" && q.counties === undefined) q.counties = x.value;
    else if (x.kind === "schools" && q.schools === undefined) q.schools = x.value;
    else if (x.kind === "years" && !SERVICE_WORDS.test(x.before) && x.value >= 1 && x.value <= 10) {
      // "一年和三年各多少": the longest; the answer shows a year's total with it anyway
      q.years = Math.max(q.years ?? 0, x.value);
    } else if (x.kind === "days" || x.kind === "hours") {
      const unit = x.kind === "days" ? "天" : "学时";
      const id = durationFor(x.before, unit, billed);
      if (id && amounts[id] === undefined) amounts[id] = x.value;
    }
  }
  if (Object.keys(amounts).length) q.amounts = amounts;
  return q;
}

function durationFor(before: string, unit: "天" | "学时", billed: Duration[]): string | undefined {
  const sameUnit = billed.filter((d) => d.unit === unit);
  let best: Duration | undefined;
  let bestLen = 1;
  for (const d of sameUnit) {
    const len = commonRun(before, compact(d.label));
    if (len > bestLen) {
      best = d;
      bestLen = len;
    }
  }
  if (best) return best.id;
  // only one part of that unit outside any other: 15天 means it
  const top = sameUnit.filter((d) => !d.partOf);
  return top.length === 1 ? top[0]!.id : undefined;
}

/** Length of the longest common substring (characters). */
export function commonRun(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let best = 0;
  const prev = new Array<number>(y.length + 1).fill(0);
  for (let i = 1; i <= x.length; i++) {
    let diag = 0;
    for (let j = 1; j <= y.length; j++) {
      const keep = prev[j]!;
      prev[j] = x[i - 1] === y[j - 1] ? diag + 1 : 0;
      if (prev[j]! > best) best = prev[j]!;
      diag = keep;
    }
  }
  return best;
}

/** The unit words a typed count may carry, by the unit the form asks in (人 → 100人, 100名, 一百位). */
const UNIT_WORDS: Record<string, string[]> = {
  人: ["人次", "个人", "人", "名", "位"],
  县: ["个县市", "个县", "县市", "县", "个"],
  校: ["所学校", "个学校", "所", "学校", "校", "个"],
  天: ["个工作日", "工作日", "天", "日"],
  学时: ["个学时", "学时", "课时"],
  年: ["年"],
};

/**
 * A count typed at a form step: the number alone or with its unit ("15", "15天", "十五天", "１５", "1,200人",
 * "2个"). Spaces are ignored. Anything more (约, 左右, other words) → undefined, so the step asks again.
 */
export function parseTypedCount(raw: string, unit: string): number | undefined {
  let s = normalize(raw).replace(/\s+/g, "");
  const words = [...(UNIT_WORDS[unit] ?? [unit]), "个"].sort((a, b) => b.length - a.length);
  for (const w of words) {
    if (s.endsWith(w) && s.length > w.length) {
      s = s.slice(0, -w.length);
      break;
    }
  }
  return parseNumber(s);
}
