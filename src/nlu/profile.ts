/**
 * A Profile from a self-description: "我是小学数学老师，教龄4年", "我在幼儿园当园长7年了",
 * "初中英语教师，工作6年，是县级名师工作室成员", "我是南疆项目县的幼儿园老师".
 * Words come from knowledge/vocabulary.yaml (ids, labels and synonyms); only what is said is set.
 */
import type { Profile } from "../domain/profile.js";
import type { Role, Stage, TagField, Vocabulary } from "../knowledge/schema.js";
import { parseNumber } from "../domain/numbers.js";
import { compact, isHan, words } from "./segment.js";

type Field = "role" | "stage" | "subjects" | "honours" | "positions" | "projects" | "block";

interface Term {
  term: string;
  field: Field;
  id: string;
}

/**
 * Words that must claim their span so a shorter word inside them does not match:
 * 中小学 is not 小学, and 中学 is not a stage we can place (初中 or 高中); 教师培训股, 教师发展中心 and 教师进修学校
 * are workplaces, not a teacher (a longer term such as 教师培训者 or 教师发展中心主任 still wins).
 */
const BLOCKERS = ["中小学", "中学", "中小学幼儿园", "科学研究", "政治素质", "劳动者", "教师培训", "教师发展", "教师进修", "教师工作"];

/** Extra words people use that the vocabulary leaves out (kept here, not in knowledge/, as they are phrasing not facts). */
const EXTRA: Term[] = [
  { term: "幼儿园", field: "stage", id: "幼儿园" },
  { term: "幼儿教师", field: "stage", id: "幼儿园" },
  { term: "初一", field: "stage", id: "初中" },
  { term: "初二", field: "stage", id: "初中" },
  { term: "初三", field: "stage", id: "初中" },
  { term: "高一", field: "stage", id: "高中" },
  { term: "高二", field: "stage", id: "高中" },
  { term: "高三", field: "stage", id: "高中" },
  { term: "教师", field: "role", id: "teacher" },
  { term: "班主任", field: "positions", id: "班主任" },
  { term: "幼儿园教师", field: "stage", id: "幼儿园" },
];

/** Positions only teachers hold: naming one says the person is a teacher. */
const TEACHER_POSTS = new Set(["班主任", "德育主任", "教务主任", "教研主任", "教研组长", "生涯规划指导教师"]);

const cache = new WeakMap<Vocabulary, Term[]>();

function termsOf(v: Vocabulary): Term[] {
  const hit = cache.get(v);
  if (hit) return hit;
  const out: Term[] = [];
  const add = (field: Field, id: string, words: string[]) => {
    for (const w of words) {
      for (const variant of [w, w.replace(/[（(][^）)]*[）)]/g, "")]) {
        for (const piece of field === "role" ? variant.split("/") : [variant]) {
          const t = compact(piece);
          if ([...t].length >= 2 || field === "stage") out.push({ term: t, field, id });
        }
      }
    }
  };
  for (const r of v.roles) add("role", r.id, [r.label, ...r.synonyms]);
  for (const s of v.stages) add("stage", s.id, [s.id, s.label, ...s.synonyms]);
  for (const [field, list] of [
    ["subjects", v.subjects],
    ["honours", v.honours],
    ["positions", v.positions],
    ["projects", v.projects],
  ] as const) {
    for (const e of list) add(field, e.id, [e.id, e.label, ...e.synonyms]);
  }
  for (const b of BLOCKERS) out.push({ term: b, field: "block", id: b });
  // schools and posts outside the guide (中职, 团委书记) claim their span too: 团委书记 is no 党组织书记
  for (const w of v.outside) out.push({ term: compact(w), field: "block", id: w });
  out.push(...EXTRA);
  const seen = new Set<string>();
  const terms = out
    .filter((t) => t.term && !seen.has(`${t.field}|${t.id}|${t.term}`) && seen.add(`${t.field}|${t.id}|${t.term}`))
    .sort((a, b) => b.term.length - a.term.length);
  cache.set(v, terms);
  return terms;
}

interface Hit extends Term {
  start: number;
  end: number;
}

/** Vocabulary hits, longest first, without overlaps (identical spans may carry several fields). */
export function vocabularyHits(text: string, v: Vocabulary): Hit[] {
  const s = compact(text);
  const taken: Hit[] = [];
  for (const t of termsOf(v)) {
    let from = 0;
    for (;;) {
      const i = s.indexOf(t.term, from);
      if (i < 0) break;
      from = i + 1;
      const end = i + t.term.length;
      const clash = taken.some((h) => i < h.end && h.start < end && !(h.start === i && h.end === end));
      if (!clash) taken.push({ ...t, start: i, end });
    }
  }
  return taken.filter((h) => h.field !== "block").sort((a, b) => a.start - b.start);
}

const NUM = "(\\d+(?:\\.\\d+)?|[零〇一二两三四五六七八九十百]+)(?:多|余)?";
const HEAD = "(?:校长|园长|书记|党支部书记|党组织书记|副校长|正职|主任|局长|负责人|管理者|教研员|培训者)";
const TEACHER = "(?:老师|教师|班主任)";
/** Words between a post or 教龄 and its years: 任职了5年, 已经5年, 满5年, 整七年, 快5年, 不到5年 (SHORT_OF reads the last). */
const SHORT = "快|近|将近|不到|不足";
const LINK = `(?:了|已经|已|有|刚|满|整|足|${SHORT})`;
const POST_PATTERNS = [
  new RegExp(`任职${LINK}*${NUM}年`),
  new RegExp(`(?:当|做|担任|任|干)(?:了)?${HEAD}${LINK}*${NUM}年`),
  new RegExp(`(?:当|做|担任|干)(?:了)?(?:${SHORT})?${NUM}年(?:的)?${HEAD}`),
  new RegExp(`${HEAD}(?:岗位)?(?:上)?(?:工作|任职|干)?${LINK}*${NUM}年`),
  new RegExp(`岗位(?:上)?(?:工作|任职)?${LINK}*${NUM}年`),
  // "书记是3年", "校长其实是8年" (not "…是3年周期", "…为5年制")
  new RegExp(`${HEAD}(?:岗位)?(?:上)?(?:其实|实际)?(?:是|为)${NUM}年(?![级制期])`),
];
const TEACHING_PATTERNS = [
  new RegExp(`教龄(?:是|为|有|已经|已|刚|满|共|整|足|${SHORT})*${NUM}年`),
  // "我教初中物理有六年了": 教 + what is taught + 有/已经 + years
  new RegExp(`(?:我|在)教(?:\\p{Script=Han}){1,8}?(?:有|已经|已|满)+${NUM}年`, "u"),
  new RegExp(`${NUM}年(?:的)?教龄`),
  // "教高中体育9年了", "教小学美术6年": the message opens on 教 + what is taught + years
  new RegExp(`^教(?:\\p{Script=Han}){1,8}?${NUM}年`, "u"),
  new RegExp(`(?:教了|教书|从教|任教|执教|教学)${LINK}*${NUM}年`),
  new RegExp(`(?:当|做)(?:了)?${TEACHER}${LINK}*${NUM}年`),
  new RegExp(`(?:当|做)(?:了)?(?:${SHORT})?${NUM}年(?:的)?${TEACHER}`),
];
const GENERIC_PATTERNS = [
  new RegExp(`(?:工作|干|做|当|任)${LINK}+${NUM}年`),
  new RegExp(`(?:工作|干|做)${NUM}年`),
  new RegExp(`(?:已经|已)(?:有)?${NUM}年了?`),
  // "党支部书记兼园长 都是4年": the years of every post told
  new RegExp(`(?:都是|都有|都|各)${NUM}年`),
  // "幼儿园老师 5年", "小学校长 6年": bare years right after the post
  new RegExp(`(?:老师|教师|校长|园长|书记|教研员)\\s*${NUM}年(?![级制期])`),
];
/** Not yet a year in the post: 刚上任, 上任半年, 任职不到一年. */
const UNDER_A_YEAR = /刚上任|刚到任|刚任职|刚当上|(上任|到任|任职|当|干)(了|才|刚)?(半年|几个月|不到一年|不满一年)/;

/** What after "N年" makes it more than N: 五年半, 5年多 (a "3-5年" row does not take them). */
const PAST_WHOLE_YEARS = /^(?:半|多)/;

/** The years a pattern's match states; a half or 多 after 年 counts as half a year more, not as nothing. */
function yearsStated(m: RegExpExecArray, s: string): number | undefined {
  const value = parseNumber(m[1]!);
  if (value === undefined || value > 60) return undefined;
  const whole = Math.floor(value);
  // "快5年", "不到5年": short of it, so it meets 3-5年 but not 5-8年
  // ("将近5年教龄": the word is before the match)
  if (SHORT_OF.test(m[0].slice(0, m[0].lastIndexOf(m[1]!))) || SHORT_BEFORE.test(s.slice(0, m.index))) return whole - 0.5;
  const beyond = value > whole || PAST_WHOLE_YEARS.test(s.slice(m.index + m[0].length));
  return beyond ? whole + 0.5 : whole;
}

/** Words before a number of years that say it is not yet reached. */
const SHORT_OF = new RegExp(SHORT);
const SHORT_BEFORE = new RegExp(`(?:${SHORT})$`);

/** The years the most explicit matching pattern states (patterns are in order of explicitness). */
function firstYears(s: string, patterns: RegExp[]): number | undefined {
  for (const p of patterns) {
    const m = p.exec(s);
    const years = m ? yearsStated(m, s) : undefined;
    if (years !== undefined) return years;
  }
  return undefined;
}

/** Years told right after a post's word: 书记只干了1年, 校长干了7年, 校长任职6年. */
const YEARS_AFTER_POST = new RegExp(`^(?:岗位)?(?:上)?(?:只|才|已经|已|都|均|也)?(?:干|当|做|任职|工作|任)?(?:了)?(?:有|满|是|为)?${NUM}年`);

/** Years told right before a post's word: 当了6年小学校长. */
const YEARS_BEFORE_POST = new RegExp(`(?:当|做|担任|干)(?:了)?(?:${SHORT})?${NUM}年(?:的)?(?:小学|初中|高中|中学|幼儿园)?$`);

/** What ends a place name: 县, 市, 州, 地区 (the run of unread characters before it is the name). */
const PLACE_END = /^(县|市|州|地区)/;

/** Words that join two posts one person holds. */
const DUAL = /兼|同时(是|也是|担任)|也是|又是|还是/;

/** What joins two posts into one post held ("校长兼书记", "书记、校长"): years said after both are for each. */
const JOINED = /^(兼任?|和|与|及|、|并)$/;

/** Years said of every post named ("都是4年", "均为5年"). */
const EVERY_POST = /^(岗位)?(上)?(都|均)/;

/** Words that turn what follows into a question ("算不算名师"). */
const ASKED_BEFORE = /(算不算|是不是|属不属于|够不够|算是|能不能算|可以算)$/;

/**
 * Words that deny what follows ("不兼校长", "不是试点县", "不在35所帮扶学校里", "没入选天山英才"), with a count or
 * 那/这 allowed between; "是不是", "算不算", "有没有" ask instead (ASKED_BEFORE).
 */
const DENIED_BEFORE = /((?<!是)不是|(?<!兼)不兼|(?<!在)不在|(?<!属)不属于|并非|(?<!有)没有?(入选|评上|评过|获得|当过|担任)?|未(入选|获得|评上|担任)|(?<!算)不算)[\d一二三四五六七八九十百几所个的那这]{0,5}$/;

/** A deputy (副校长, 副园长, 副书记) is not the 正职 that 附件2's rows ask for. */
const DEPUTY = /副(校长|园长|书记|职)/;
/** A head named without 副 holds the post itself (园长 = 正职园长). */
const HEAD_POST = /(?<!副)(校长|园长|书记)/;

/** The profile a text states; fields it does not mention stay undefined. */
export function extractProfile(text: string, v: Vocabulary): Profile {
  const p: Profile = {};
  const compacted = compact(text);
  // what the person denies is not claimed: a tag denied makes a condition naming only it fail; a post denied is no post
  const all = vocabularyHits(text, v);
  const denied = all.filter((h) => DENIED_BEFORE.test(compacted.slice(Math.max(0, h.start - 8), h.start)));
  const hits = all.filter((h) => !denied.includes(h));
  const tags: Record<"subjects" | "honours" | "positions" | "projects", string[]> = { subjects: [], honours: [], positions: [], projects: [] };
  const roles: Role[] = [];
  // the text with denied words blanked, for the checks below that read it directly (校长 in "不兼校长" is no post)
  const sc = denied.reduce((x, h) => x.slice(0, h.start) + " ".repeat(h.end - h.start) + x.slice(h.end), compacted);
  for (const h of hits) {
    // "算不算名师", "我们县算不算乡村振兴巩固提升县": a designation or list asked about is not one claimed
    if ((h.field === "honours" || h.field === "projects") && (ASKED_BEFORE.test(sc.slice(0, h.start)) || /^(吗|么|不)/.test(sc.slice(h.end)))) continue;
    if (h.field === "role" && !roles.includes(h.id as Role)) roles.push(h.id as Role);
    if (h.field === "role") p.role ??= h.id as Role;
    else if (h.field === "stage") p.stage ??= h.id as Stage;
    else if (h.field !== "block" && !tags[h.field].includes(h.id)) tags[h.field].push(h.id);
  }
  for (const f of ["subjects", "honours", "positions", "projects"] as const) if (tags[f].length) p[f] = tags[f];
  const deniedTags: Partial<Record<TagField, string[]>> = {};
  for (const h of denied) if (h.field !== "role" && h.field !== "stage" && h.field !== "block") (deniedTags[h.field] ??= []).push(h.id);
  if (Object.keys(deniedTags).length) p.denied = deniedTags;
  // "没有获得过任何称号", "没有称号": none held, which settles the 称号 conditions
  if (!tags.honours.length && /(没有|没|无|未)(获得|得|拿|评)?(过)?(任何)?(称号|荣誉)/.test(compacted)) p.honours = [];

  const s = sc;
  // "校长兼书记", "主任也兼培训者", "同时是…", each post with its own years ("副园长任职3年 党支部书记3年"), or years
  // of all of them ("校长和书记都是4年"): each post held counts
  const postsWithYears = new Set(hits.filter((h) => h.field === "role" && YEARS_AFTER_POST.test(s.slice(h.end))).map((h) => h.id));
  const yearsOfEvery = hits.some((h) => h.field === "role" && EVERY_POST.test(s.slice(h.end)) && YEARS_AFTER_POST.test(s.slice(h.end)));
  if (roles.length > 1 && (DUAL.test(s) || postsWithYears.size > 1 || yearsOfEvery)) p.alsoRoles = roles.slice(1);
  // a role word inside a longer tag (正职校长, 党支部书记研修) still says the role
  if (!p.role) {
    // not inside a post outside the guide (团委书记)
    const own = v.outside.reduce((x, w) => x.replaceAll(compact(w), " "), s);
    if (/校长|园长/.test(own) && !/进修学校校长/.test(own)) p.role = "principal";
    else if (/书记/.test(own)) p.role = "party_secretary";
  }
  // 园长 works in a kindergarten; a teacher-only post or a subject says "teacher"
  if (p.role === "principal" && !p.stage && /园长/.test(s) && !/校园长/.test(s)) p.stage = "幼儿园";
  if (!p.role && (p.positions?.some((x) => TEACHER_POSTS.has(x)) || p.subjects?.length || /幼师|幼儿园教师|幼儿园老师|幼儿教师/.test(s))) p.role = "teacher";
  if ((p.role === "principal" || p.role === "party_secretary") && !/进修学校校长/.test(s)) {
    const deputy = DEPUTY.test(s);
    const posts = (p.positions ?? []).filter((x) => !(deputy && x === "正职"));
    if (!deputy && HEAD_POST.test(s) && !posts.includes("正职")) posts.push("正职");
    // "副校长兼党委书记": 正职 in one post, 副 in the other; one set of positions cannot say which row that
    // settles, so 正职 is left open (asked), never ticked or failed
    const mixed = deputy && p.alsoRoles !== undefined && HEAD_POST.test(s.replace(/副(校长|园长|书记)/g, ""));
    if (mixed) delete p.positions;
    else if (deputy || posts.length) p.positions = posts;
    if (deputy && !mixed) p.deputy = DEPUTY.exec(s)![0];
  }

  // several posts, each with its own years ("书记只干了1年 校长干了7年"): the years after each post's word
  // ("校长兼书记 任职6年": years after posts joined as one are for each of them; "校长和书记都是4年": for all)
  if (p.alsoRoles) {
    const byRole: Partial<Record<Role, number>> = {};
    const posts = hits.filter((x) => x.field === "role");
    posts.forEach((h, i) => {
      const rest = s.slice(h.end);
      const before = s.slice(0, h.start);
      const after = YEARS_AFTER_POST.exec(rest);
      // (not the years right after the post before: "校长干了6年 书记才兼上" says nothing of the 书记's years)
      const ahead = after ? null : YEARS_BEFORE_POST.exec(before);
      const m = after ?? (ahead && !posts.some((x) => x.end === ahead.index) ? ahead : null);
      const value = m ? yearsStated(m, after ? rest : before) : undefined;
      if (value === undefined) return;
      const joined = posts.slice(0, i).reverse();
      const end = joined.findIndex((x, j) => !JOINED.test(s.slice(x.end, (j ? joined[j - 1]! : h).start)));
      const covered = EVERY_POST.test(m![0]) ? posts.slice(0, i + 1) : [h, ...joined.slice(0, end < 0 ? undefined : end)];
      for (const x of covered) byRole[x.id as Role] ??= value;
    });
    if (Object.keys(byRole).length) p.postYearsByRole = byRole;
  }
  const post = firstYears(s, POST_PATTERNS);
  const teaching = firstYears(s, TEACHING_PATTERNS);
  const generic = firstYears(s, GENERIC_PATTERNS);
  if (teaching !== undefined) p.teachingYears = teaching;
  if (post !== undefined) p.postYears = post;
  else if (p.role !== undefined && p.role !== "teacher" && UNDER_A_YEAR.test(s)) p.postYears = 0;
  if (generic !== undefined) {
    const holdsPost = p.role !== undefined && p.role !== "teacher";
    if (holdsPost && p.postYears === undefined) p.postYears = generic;
    else if (!holdsPost && p.teachingYears === undefined) p.teachingYears = generic;
  }
  // years told only post by post ("校长、书记均为5年") are still years in post
  if (p.postYearsByRole && p.postYears === undefined) p.postYears = p.postYearsByRole[p.role!] ?? Math.max(...Object.values(p.postYearsByRole));
  // a head who names the subject they teach ("副校长兼教务主任 教物理 教龄12年") is a teacher too
  if (p.role && p.role !== "teacher" && (p.role === "principal" || p.role === "party_secretary") && p.subjects?.length && p.teachingYears !== undefined && !(p.alsoRoles ?? []).includes("teacher")) {
    p.alsoRoles = [...(p.alsoRoles ?? []), "teacher"];
  }
  return p;
}

/** What a self-description says beyond the profile: what could not be placed, and what must be asked. */
export interface ProfileReading {
  profile: Profile;
  /** Words the reader could not place (信息科技, 保育员): said back, and no verdict rests on them. */
  unplaced: string[];
  /** Place words that are not membership of a named list (南疆, 示范校, 试点县): said back and asked. */
  membership: { term: string; say: string; projects: string[] }[];
  /** A workplace that gives the role but not the post (在教育局上班): what to ask. */
  postAsks: string[];
  /** The person said 副校长/副园长/副书记. */
  deputy: boolean;
  /** Years typed after a post the reader could not place ("保育员 5年"): neither 教龄 nor 任职, so said back. */
  looseYears?: string;
}

/** A length of years on its own (not 2024年, 3年级, 3年制, 3年期). */
const LOOSE_YEARS = /(?<![\d.])(?:\d{1,2}(?:\.\d)?|[一二两三四五六七八九十]+)(?:多|余)?(?:个)?(?:半)?年(?:多|半)?(?![级制期度前后])/;

const LOOSE_YEARS_ALL = new RegExp(LOOSE_YEARS.source, "g");

const YEAR_SPANS = [...POST_PATTERNS, ...TEACHING_PATTERNS, ...GENERIC_PATTERNS].map((r) => new RegExp(r.source, `${r.flags}g`));

/** Marks every occurrence of `term` in `s` as read. */
function consume(s: string, read: boolean[], term: string): boolean {
  let found = false;
  for (let i = s.indexOf(term); i >= 0 && term; i = s.indexOf(term, i + 1)) {
    found = true;
    for (let j = i; j < i + term.length; j++) read[j] = true;
  }
  return found;
}

/**
 * The profile, and what the reader could not place. `ignore` lists spans already read elsewhere (a
 * sub-project's name, the question words), so they are not reported as unknown.
 */
export function readProfile(text: string, v: Vocabulary, ignore: string[] = []): ProfileReading {
  const s = compact(text);
  const read = new Array<boolean>(s.length).fill(false);
  const membership: ProfileReading["membership"] = [];
  for (const m of v.membership) {
    for (const term of m.terms) {
      if (!s.includes(term) || membership.some((x) => x.term.includes(term))) continue;
      // a full name of the list (顶岗支教项目县, 自主学习试点县) is membership, not a place word
      const named = v.projects.some((e) => m.projects.includes(e.id) && [e.label, ...e.synonyms].some((w) => compact(w).includes(term) && s.includes(compact(w))));
      if (!named) membership.push({ term, say: m.say.replaceAll("{term}", term), projects: m.projects });
    }
  }
  const profile = extractProfile(text, v);
  const postAsks: string[] = [];
  for (const w of v.workplaces) {
    if (!s.includes(w.term)) continue;
    consume(s, read, w.term);
    if (profile.role === undefined) profile.role = w.role;
    if (profile.role === w.role && !w.settledBy.some((x) => s.includes(x))) postAsks.push(w.ask);
  }
  for (const h of vocabularyHits(text, v)) for (let j = h.start; j < h.end; j++) read[j] = true;
  const unplaced: string[] = [];
  // a subject named at a stage whose lists do not have it ("高中科学"): said back, and no row rests on it
  for (const e of v.subjects) {
    if (!e.stages || !profile.stage || e.stages.includes(profile.stage) || !profile.subjects?.includes(e.id)) continue;
    profile.subjects = profile.subjects.filter((x) => x !== e.id);
    if (!profile.subjects.length) delete profile.subjects;
    unplaced.push(`${profile.stage}${e.label}`);
  }
  // schools the guide has no sub-project for (中职): said back
  for (const w of v.outside) if (consume(s, read, compact(w)) && !unplaced.some((u) => u.includes(w))) unplaced.push(w);
  for (const b of BLOCKERS) consume(s, read, b);
  // what the recommending unit decides (骨干, 学科带头人, 业绩突出) is understood, though it settles nothing
  for (const j of v.judged) consume(s, read, compact(j.term));
  for (const m of membership) consume(s, read, m.term);
  for (const r of [...YEAR_SPANS, LOOSE_YEARS_ALL]) for (const m of s.matchAll(r)) for (let j = m.index; j < m.index + m[0].length; j++) read[j] = true;
  for (const x of ignore) consume(s, read, compact(x));
  for (const x of s.matchAll(/[\d.]+|[a-z]+/g)) for (let j = x.index; j < x.index + x[0].length; j++) read[j] = true;
  const fillers = new Set(v.fillers.map(compact));
  // fillers of two or more characters are read wherever they stand, not only where the word segmenter happens to
  // cut ("能报国培哪个" segments as 能/报国/培/哪个): longest first, and only over characters nothing else has read
  for (const f of [...fillers].filter((x) => [...x].length >= 2).sort((a, b) => b.length - a.length)) {
    for (let i = s.indexOf(f); i >= 0; i = s.indexOf(f, i + 1)) {
      if (read.slice(i, i + f.length).some(Boolean)) continue;
      for (let j = i; j < i + f.length; j++) read[j] = true;
    }
  }
  let run = "";
  const flush = () => {
    if (!run) return;
    let kept = "";
    const out: string[] = [];
    // single characters the segmenter split off ("研训员" → 研/训/员) join their neighbours: two or more
    // unread characters together are a word said back; a lone one is not
    const keep = () => {
      if ([...kept].length >= 2) out.push(kept);
      kept = "";
    };
    for (const w of words(run)) {
      const chars = [...w];
      const filler = fillers.has(w) || chars.every((c) => fillers.has(c)) || !isHan(chars[0]!);
      if (!filler) kept += w;
      else keep();
    }
    keep();
    for (const w of out) if (!unplaced.includes(w)) unplaced.push(w);
    run = "";
  };
  for (let i = 0; i < s.length; i++) {
    const place = run ? PLACE_END.exec(s.slice(i)) : null;
    // a place name ("莎车县", "喀什市"): where someone works says nothing the guide's lists hold, so it is not
    // said back (list membership is asked on its own)
    if (place) {
      run = "";
      i += place[0].length - 1;
    } else if (!read[i] && isHan(s[i]!)) run += s[i];
    else flush();
  }
  flush();
  // "保育员 5年": with the post unknown, whether the years are 教龄 or 任职 is unknown too; say them back, never drop them
  const years = unplaced.length && profile.teachingYears === undefined && profile.postYears === undefined ? LOOSE_YEARS.exec(s) : null;
  return { profile, unplaced, membership, postAsks, deputy: DEPUTY.test(s), ...(years ? { looseYears: years[0] } : {}) };
}

/** True when the profile says anything at all. */
export function hasProfile(p: Profile): boolean {
  return Object.values(p).some((x) => x !== undefined);
}
