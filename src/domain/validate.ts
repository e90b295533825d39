/**
 * Validators for typed answers. Each failure says, in Chinese, what to type instead.
 * zod does the checking; the messages are ours (zod's own are written for developers).
 */
import { z } from "zod";
import type { Parsed } from "./parsed.js";
import { parseTypedCount } from "./numbers.js";
import { echo } from "./non-answer.js";
import { todayIn } from "./time.js";

function run<T>(schema: z.ZodType<T>, raw: unknown): Parsed<T> {
  const r = schema.safeParse(raw);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: r.error.issues[0]?.message ?? "输入有误，请重新输入。" };
}

/** Full-width digits and common separators typed on Chinese keyboards, folded to ASCII (phones, dates). */
export function normaliseDigits(s: string): string {
  return s.normalize("NFKC").replace(/[,\s]/g, "");
}

/**
 * A positive whole count in `unit`: "100", "１００", "1,200", "100人", "一百人", "两百", "十五天", "2个".
 * The one number parser (src/nlu/numbers.ts) reads it, so forms and free text agree.
 */
export function positiveInt(raw: string, what: string, unit: string, max = 1_000_000): Parsed<number> {
  const schema = z
    .string()
    .transform((s) => parseTypedCount(s, unit) ?? Number.NaN)
    .pipe(
      z
        .number({ error: `${what}请输入正整数，例如 100 或“一百”（不要带小数点或其他文字）。` })
        .int({ error: `${what}请输入正整数，不要带小数点。` })
        .min(1, { error: `${what}必须大于0，请输入正整数。` })
        .max(max, { error: `${what}不能超过${max}，请检查后重新输入。` }),
    );
  return run(schema, raw);
}

export function wholeYears(raw: string, what: string): Parsed<number> {
  const schema = z
    .string()
    .transform((s) => parseTypedCount(s, "年") ?? Number.NaN)
    .pipe(
      z
        .number({ error: `${what}请输入整数年数，例如 4 或“四年”。` })
        .int({ error: `${what}请输入整数年数，例如 4 或“四年”。` })
        .min(0, { error: `${what}请输入整数年数，例如 4 或“四年”。` })
        .max(60, { error: `${what}不超过60年，请检查后重新输入。` }),
    );
  return run(schema, raw);
}

export function requiredText(raw: string, what: string, min = 2, max = 100): Parsed<string> {
  const schema = z
    .string()
    .transform((s) => s.replace(/\p{Cc}/gu, "").trim())
    .pipe(
      z
        .string()
        .min(min, { error: `${what}至少${min}个字，请重新输入。` })
        .max(max, { error: `${what}不超过${max}个字，请精简后重新输入。` }),
    );
  return run(schema, raw);
}

/** Middle dots people type between the parts of a Uyghur or Kazakh name, folded to one. */
function foldDots(s: string): string {
  return s.replace(/[.。•・‧･]/g, "·").replace(/\s*·\s*/g, "·");
}

const HAN_NAME = /^\p{Script=Han}{2,6}$/u;
const DOTTED_NAME = /^\p{Script=Han}{1,10}(·\p{Script=Han}{1,10}){1,3}$/u;
const LATIN_NAME = /^[A-Za-z][A-Za-z' -]{1,38}[A-Za-z]$/;
/** A surname and a title is how people are addressed, not a name: 张老师, 李主任. */
const TITLE = /^\p{Script=Han}{1,2}(老师|主任|校长|院长|处长|科长|部长|局长|书记|先生|女士|同学|领导|教授|博士|经理|园长)$/u;
const ORGANISATION_WORD = /(大学|学院|学校|中心|研究院|教育局|幼儿园|中学|小学|公司|部门|办公室)/;

/**
 * A person's name: Chinese (2–6 characters), with middle dots (阿依古丽·买买提), or in Latin letters.
 * A title (张老师), an institution or anything with digits or symbols is refused.
 */
export function personName(raw: string, what: string): Parsed<string> {
  const text = requiredText(raw, what, 2, 40);
  if (!text.ok) return text;
  const name = foldDots(text.value.normalize("NFKC"));
  const example = `请输入姓名全名，例如 张三、阿依古丽·买买提。`;
  if (/\d/.test(name)) return { ok: false, error: `${what}不应包含数字。${example}` };
  if (TITLE.test(name)) return { ok: false, error: `“${echo(name)}”是称呼，不是姓名。${example}` };
  if (ORGANISATION_WORD.test(name)) return { ok: false, error: `“${echo(name)}”像是单位名称，这里需要填写${what}。${example}` };
  if (HAN_NAME.test(name) || DOTTED_NAME.test(name) || LATIN_NAME.test(name)) return { ok: true, value: name.replace(/\s+/g, " ") };
  if (/^\p{Script=Han}+$/u.test(name)) return { ok: false, error: `${what}一般为2-6个汉字（少数民族姓名各部分用“·”隔开）。${example}` };
  return { ok: false, error: `${what}只能包含汉字（或字母），不能有标点、符号或空格以外的字符。${example}` };
}

/** Characters an institution's name is written with: Han, letters, digits, brackets, · and -. */
const ORG_CHARS = /^[\p{Script=Han}A-Za-z0-9０-９（）()·\- ]+$/u;
/** How the full name of a university or a teacher-training institution ends (a trailing department in brackets allowed). */
const LEAD_ENDING = /(大学|学院|学校|中心|研究院|研究所|研修院|培训院|党校|培训基地|研修基地|分院|分校|校区)([（(][^）)]*[）)])?$/;

/** The cleaned name of an organisation, or why it is not one. */
function organisationName(raw: string, what: string, example: string): Parsed<string> {
  const text = requiredText(raw.replace(/\s+/g, " "), what, 4, 60);
  if (!text.ok) return /至少/.test(text.error) ? { ok: false, error: `${what}请填写全称（至少4个字），例如 ${example}。` } : text;
  if (!ORG_CHARS.test(text.value) || !/\p{Script=Han}{2}/u.test(text.value)) {
    return { ok: false, error: `${what}只能包含汉字、字母、数字和括号，请填写全称，例如 ${example}。` };
  }
  return text;
}

/**
 * The leading institution: the guide has 高等院校 and 教师培训机构 declare, so the full name of one
 * (…大学, …学院, …教师发展中心, …进修学校), not a greeting, a person or an abbreviation.
 */
export function institutionName(raw: string, what = "申报单位"): Parsed<string> {
  const example = "新疆师范大学、乌鲁木齐市教师发展中心";
  const text = organisationName(raw, what, example);
  if (!text.ok) return text;
  if (!LEAD_ENDING.test(text.value)) {
    return { ok: false, error: `“${echo(text.value)}”不像是高等院校或教师培训机构的全称。请填写单位全称，通常以“大学”“学院”“学校”“中心”等结尾，例如 ${example}。` };
  }
  return text;
}

/** How a 高等院校's full name ends (a bracketed department allowed): a 中心 or 进修学校 is not one. */
const UNIVERSITY_ENDING = /(大学|学院|高等专科学校|职业技术学校|分院|分校|校区)([（(][^）)]*[）)])?$/;

/** Why the applicant's name does not fit the type chosen for it, or undefined. */
export function institutionTypeProblem(name: string, type: string): string | undefined {
  if (type !== "高等院校" || UNIVERSITY_ENDING.test(name)) return undefined;
  return `“${echo(name)}”看起来不是高等院校（高等院校的名称通常以“大学”“学院”结尾）。请选择“教师培训机构”，或先修改申报单位名称。`;
}

export function mobile(raw: string): Parsed<string> {
  const schema = z
    .string()
    .transform((s) => normaliseDigits(s).replace(/^(\+?86)/, "").replace(/-/g, ""))
    .pipe(
      z
        .string()
        .regex(/^1[3-9]\d{9}$/, { error: "手机号应为11位数字、以13-19开头，例如 13912345678。" })
        // 13333333333 or 13800000000 fill the field; they are nobody's number.
        .refine((n) => !/(\d)\1{7}$/.test(n), { error: "这个手机号像是随意填写的号码，请输入联系人的真实手机号。" }),
    );
  return run(schema, raw);
}

/** An e-mail address; a full-width ＠ or a 。 typed on a Chinese keyboard is read as @ and . */
export function email(raw: string): Parsed<string> {
  const folded = raw.normalize("NFKC").replace(/[。．]/g, ".").trim();
  const schema = z
    .string()
    .pipe(z.email({ error: "邮箱格式不正确，请输入例如 name@example.edu.cn。" }))
    .transform((e) => {
      const at = e.lastIndexOf("@");
      return `${e.slice(0, at)}@${e.slice(at + 1).toLowerCase()}`;
    });
  return run(schema, folded);
}

/** A list typed with 、，, ; or new lines, e.g. partner schools. */
export function nameList(raw: string, what: string): Parsed<string[]> {
  const items = raw
    .normalize("NFKC")
    .split(/[、,;\n]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const schema = z
    .array(z.string().min(2, { error: `每个${what}名称至少2个字。` }).max(60, { error: `每个${what}名称不超过60个字。` }))
    .min(1, { error: `请至少填写一个${what}，多个用“、”分隔。` })
    .max(20, { error: `${what}最多20个。` });
  return run(schema, items);
}

/**
 * Partner institutions: a list of full names, each of the kind the guide asks this row to work with
 * (`fits` says why one does not), none repeated, none the applicant itself.
 */
export function partnerList(raw: string, what: string, fits: (name: string) => string | undefined, applicant?: string): Parsed<string[]> {
  const list = nameList(raw, what);
  if (!list.ok) return list;
  const seen = new Set<string>();
  for (const item of list.value) {
    const name = organisationName(item, `${what}“${echo(item)}”`, "乌鲁木齐市第一中学");
    if (!name.ok) return name;
    if (applicant && name.value === applicant) return { ok: false, error: `“${echo(item)}”是申报单位本身，请填写与其协同实施的其他单位。` };
    if (seen.has(name.value)) return { ok: false, error: `“${echo(item)}”重复填写了，请每个单位只写一次。` };
    seen.add(name.value);
    const mismatch = fits(name.value);
    if (mismatch) return { ok: false, error: mismatch };
  }
  return { ok: true, value: [...seen] };
}

/** Accepts 2025-03-01, 2025/3/1, 2025.3.1 and 2025年3月1日; returns YYYY-MM-DD if the date is real. */
export function calendarDate(raw: string): Parsed<string> {
  const m = normaliseDigits(raw).match(/^(\d{4})(?:[-/.年])(\d{1,2})(?:[-/.月])(\d{1,2})[日号]?$/);
  const hint = "请按“年-月-日”输入日期，例如 2025-03-01。";
  if (!m) return { ok: false, error: `日期格式不正确。${hint}` };
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    return { ok: false, error: `${m[1]}年${m[2]}月${m[3]}日不存在。${hint}` };
  }
  return { ok: true, value: `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}` };
}

/** A date strictly after today (in the time zone) and, if given, strictly after another date. */
export function futureDate(raw: string, now: Date, timeZone: string, after?: { date: string; label: string }): Parsed<string> {
  const parsed = calendarDate(raw);
  if (!parsed.ok) return parsed;
  const today = todayIn(now, timeZone);
  if (parsed.value <= today) return { ok: false, error: `日期须晚于今天（${today}），请重新输入。` };
  if (after && parsed.value <= after.date) return { ok: false, error: `日期须晚于${after.label}（${after.date}），请重新输入。` };
  return parsed;
}
