/**
 * Validators for typed answers. Each failure says, in Chinese, what to type instead.
 * zod does the checking; the messages are ours (zod's own are written for developers).
 */
import { z } from "zod";
import type { Parsed } from "../engine/types.js";
import { todayIn } from "./time.js";

function run<T>(schema: z.ZodType<T>, raw: unknown): Parsed<T> {
  const r = schema.safeParse(raw);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: r.error.issues[0]?.message ?? "输入有误，请重新输入。" };
}

/** Full-width digits and common separators typed on Chinese keyboards, folded to ASCII. */
export function normaliseDigits(s: string): string {
  return s.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/[，,\s]/g, "");
}

export function positiveInt(raw: string, what: string, unit: string, max = 1_000_000): Parsed<number> {
  const schema = z
    .string()
    .transform((s) => normaliseDigits(s).replace(new RegExp(`${unit}$`), ""))
    .pipe(z.string().regex(/^\d+$/, { error: `${what}请输入正整数，例如 100（不要带小数点或其他文字）。` }))
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1, { error: `${what}必须大于0，请输入正整数。` })
        .max(max, { error: `${what}不能超过${max}，请检查后重新输入。` }),
    );
  return run(schema, raw);
}

export function wholeYears(raw: string, what: string): Parsed<number> {
  const schema = z
    .string()
    .transform((s) => normaliseDigits(s).replace(/年$/, ""))
    .pipe(z.string().regex(/^\d+$/, { error: `${what}请输入整数年数，例如 4。` }))
    .transform(Number)
    .pipe(z.number().int().max(60, { error: `${what}不超过60年，请检查后重新输入。` }));
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

/** A person's name: 2–20 characters, no digits. */
export function personName(raw: string, what: string): Parsed<string> {
  const text = requiredText(raw, what, 2, 20);
  if (!text.ok) return text;
  return /\d/.test(text.value) ? { ok: false, error: `${what}不应包含数字，请输入姓名，例如 张三。` } : text;
}

export function mobile(raw: string): Parsed<string> {
  const schema = z
    .string()
    .transform((s) => normaliseDigits(s).replace(/^(\+?86)/, "").replace(/-/g, ""))
    .pipe(z.string().regex(/^1[3-9]\d{9}$/, { error: "手机号应为11位数字、以13-19开头，例如 13912345678。" }));
  return run(schema, raw);
}

export function email(raw: string): Parsed<string> {
  return run(z.string().trim().pipe(z.email({ error: "邮箱格式不正确，请输入例如 name@example.edu.cn。" })), raw);
}

/** A list typed with 、，, ; or new lines, e.g. partner schools. */
export function nameList(raw: string, what: string): Parsed<string[]> {
  const items = raw
    .split(/[、，,；;\n]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const schema = z
    .array(z.string().min(2, { error: `每个${what}名称至少2个字。` }).max(60, { error: `每个${what}名称不超过60个字。` }))
    .min(1, { error: `请至少填写一个${what}，多个用“、”分隔。` })
    .max(20, { error: `${what}最多20个。` });
  return run(schema, items);
}

/** Accepts 2025-03-01, 2025/3/1, 2025.3.1 and 2025年3月1日; returns YYYY-MM-DD if the date is real. */
export function calendarDate(raw: string): Parsed<string> {
  const m = normaliseDigits(raw).match(/^(\d{4})(?:[-/.年])(\d{1,2})(?:[-/.月])(\d{1,2})日?$/);
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
