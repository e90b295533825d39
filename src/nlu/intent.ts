/**
 * Free Chinese text → Intent. Rules, in order:
 * 1. menu words (帮助, 我要申报, 订阅, 截止, 我的申报, 资格自测, 项目列表, 预算测算) → command;
 * 2. a self-description (我是…老师/校长/书记…) or 能报什么/适合什么 with a profile → eligibility;
 * 3. 预算/测算, or 多少钱/经费多少/需要多少 with numbers of people, counties or schools → budget;
 * 4. a sub-project found by the index → fact, its kind from the question words (overview when none);
 * 5. otherwise unknown.
 */
import { billedAlike, billedDurations, findRow, quantitiesNeeded, scheduleOf } from "../domain/budget.js";
import { checkCondition, rolesOf } from "../domain/eligibility.js";
import type { SearchIndex } from "./search.js";
import type { AudienceRow, Duration, Knowledge, Plan, Role, SubProject, Vocabulary } from "../knowledge/schema.js";
import type { Profile } from "../domain/profile.js";
import type { BudgetQuantities, PerPlace } from "../domain/budget.js";
import { budgetQuantities, commonRun, findQuantities, parseNumber, withCountUnits, type Quantity } from "../domain/numbers.js";
import { extractProfile, hasProfile, readProfile } from "./profile.js";
import { compact, normalize, words } from "./segment.js";
import type { Candidate, FactKind, Intent, PlanQuestion, Topic } from "./types.js";

export interface NluContext {
  knowledge: Knowledge;
  index: SearchIndex;
  /** What the conversation was about (the user's session), for follow-ups. */
  topic?: Topic;
}

type Command = Extract<Intent, { kind: "command" }>["command"];

/** Whole-message menu words (after dropping punctuation, 请/我要/我想 and 吧/吗/一下). */
const COMMAND_WORDS: Record<string, Command> = {};
const commandWords: [Command, string[]][] = [
  ["start", ["开始", "start", "你好", "您好", "嗨", "hi", "hello", "在吗", "在不在"]],
  ["help", ["帮助", "菜单", "help", "怎么用", "使用说明", "功能", "说明", "主菜单", "有什么功能", "你能做什么", "能做什么"]],
  ["declare", ["申报", "填报", "开始申报", "新建申报", "提交申报", "机构申报", "项目申报", "填写申报", "申报项目", "申报书"]],
  ["subscribe", ["订阅", "提醒", "订阅提醒", "开启提醒", "接收提醒", "提醒我", "通知我", "订阅通知"]],
  ["deadlines", ["截止", "截止日期", "截止时间", "deadline", "ddl", "申报截止", "期限", "时间节点"]],
  ["my", ["我的申报", "我的申请", "申报进度", "申报状态", "我提交的", "我的"]],
  ["eligibility", ["资格自测", "自测", "资格测试", "资格测评", "测一测", "资格", "能报什么", "可以报什么", "适合什么", "我能报什么", "我可以报什么", "我适合什么", "报什么"]],
  ["projects", ["项目列表", "浏览", "浏览项目", "全部项目", "所有项目", "有哪些项目", "项目清单", "子项目", "项目", "列表", "项目有哪些", "都有什么项目", "有什么项目"]],
  ["budget", ["预算测算", "预算", "测算", "算预算", "预算计算", "经费测算", "计算预算", "预算计算器", "算经费"]],
];
for (const [command, words] of commandWords) for (const w of words) COMMAND_WORDS[compact(w)] = command;

/** Commands recognised anywhere in a message, whatever else it says. */
const COMMAND_ANYWHERE: [Command, RegExp][] = [
  ["deadlines", /截止|deadline|ddl|申报(的)?(时间|期限|日期)|什么时候(申报|截止|提交|交材料|报名)|(申报书|申报表|申报材料|材料)(要|得)?(什么时候|哪天|几号|何时)(交|提交|报送|上交|截止)|几号(截止|之前|前)|报名时间|申报期/],
  ["my", /我的申报|我提交的|申报(的)?(审核)?(进度|状态)|审核(进度|状态|结果)|审核到哪|查(看|询)?申报/],
  ["subscribe", /订阅|提醒我|开启提醒|接收提醒|到期提醒/],
];

/** Asking for the list, when no sub-project is named. */
const PROJECTS_ASKED = /项目列表|全部项目|所有项目|(有|都有)(哪些|什么)(子)?项目|项目(有哪些|清单)|浏览项目/;

function commandOf(text: string): Command | undefined {
  const c = compact(text.replace(/^\s*\//, ""))
    .replace(/^(请|麻烦|帮我|我要|我想|我想要)/, "")
    .replace(/(吧|呢|啊|呀|一下|吗|谢谢)+$/, "");
  return COMMAND_WORDS[c];
}

const SELF = /^(我|本人|俺|咱)|我(是|在|当|做|教|任|担任|现任|目前是|现在是|们学校|们是|们县|校|园)|本人(是|在)/;
/** "有啥能报的": what there is to take part in; for a person described (here or before), what fits them. */
const OFFERS = /有(啥|什么|哪些)(能|可以|可)(报|参加)/;
const ELIGIBILITY_Q = new RegExp(
  `${OFFERS.source}|(够|符合)(格|条件|资格|要求)(吗|么|不|呢)$|(能|可以)(被)?优先推荐(吗|么|不)?$|(能|可以|可)(报|参加|申请)(什么|哪|啥)|适合(什么|哪|啥)|符合(什么|哪|啥)|有资格|够(条件|资格)|(能|可以|可)(报|参加|参训|申请|去).{0,24}(吗|么|不)$|(能不能|可不可以|能否|是否可以|可否)(报|参加|参训|申请|去)|有什么(项目)?(可以|能)|(有|能报|能参加|可以参加)(什么|哪些)(培训|项目|研修)(可以|能)?(报|参加)?$|(能|可以)(报|参加)的(项目|培训)`,
);
const BUDGET_WORDS = /预算|测算|算一下|算算|总经费|一共多少|总共多少|需要多少|多少钱|经费多少|要多少|总额|合计|经费是多少|花多少|费用多少/;
const BUDGET_ALONE = /预算|测算|算一下|算算|(要|需要|得)多少(经费|钱)|花多少钱/;
const MONEY_WORDS = /经费|钱|费用|预算/;
/** "…一年多少", "…一共多少" after counts: how much, with no unit that makes it a days or hours question. */
const BUDGET_TAIL = /(一年|每年|一共|总共|合计|两年|三年|2年|3年)(下来)?(要|需要|得)?多少(钱)?(呢)?$|要多少(呢)?$|(一共|总共|合计|总计)(呢|是)?$|(算下来|下来|各|分别|总的|总计|是)多少(钱)?(呢|啊|呀)?$/;
const TOTAL_WORDS = /总共|一共|合计|总计|加起来|全部/;

/** Question words for each fact, in priority order: the first that matches decides. */
const FACT_RULES: [FactKind, RegExp][] = [
  // "由什么人去替换幼儿园老师": who takes the trainees' place is said in the goal (师范生顶岗支教，置换…)
  // "要培养出什么样的人": the goal; "师范生要几年级的": the goal says who takes their place (高年级师范生)
  ["goal", /(谁|什么人|哪些人)(去|来)?(替换|置换|顶替|代替)|(替换|置换|顶替)(的)?(是|由)?(谁|什么人)|培养(出|成)?(什么样|怎样|哪种|什么)|造就|几年级|哪个年级|什么年级/],
  ["discrepancy", /不一致|矛盾|出入|差异|冲突|两种说法|哪个准|哪个对|说法不同|不同说法|不统一|写法不同|对不上/],
  [
    "implementer",
    /谁(来)?(申报|办|组织|实施|承办|承担|负责|牵头)|由谁|(教育局|教育行政部门|学校|高校|院校|机构|大学|幼儿园|中小学)(在里面|在其中|在项目里|在这个项目里?)?(干什么|做什么|干啥|做啥|负责什么|负责啥|起什么作用|起啥作用|什么角色|承担什么)|实施单位|承办|承训|牵头|协同|(哪些|什么|哪个|哪类)(单位|机构|学校|院校)(可以|能|来)?(申报|承担|实施|组织)|申报(单位|主体)|(高校|院校|机构|大学)(能|可以)(不能)?(申报|报)|(怎么|如何|怎样)申报|谁(能|可以)申报/,
  ],
  ["audience", /(当|任|做|干)了?(校长|园长|书记|老师|教师|主任).{0,3}(几|多少)年|(当|任|做|干|任职|工作)(了|满|够)?(几|多少)年(的)?(校长|园长|书记|老师|教师|主任)?(才)?(行|能|可以)?|岗位(上)?.{0,6}(几|多少)年|(哪些|什么|哪几|几)(个)?(学科|科目|门)|学科(有|包括|范围)|(几|多少)年以上|对象|条件|资格|任职|谁(能|可以|可)|哪些(人|老师|教师)|什么(人|样的人|老师)|教龄|要求|面向|遴选|推荐|招(谁|什么)|(能|可以)参加|年限|门槛|限制|针对/],
  ["funding", /经费|标准|多少钱|费用|钱|拨款|资金|补助|补贴|\d+元|收费|花费|开支|报销/],
  ["quota", /多少人|几个人|几人|名额|计划培训|人数|多少名|几名|规模|指标|(多少|几)个?(县|校|所)|有(多少|几)个|几个$|多少(所|个)?学校|招多少|培训多少(?!天|学时|小时)/],
  ["cycle", /几年|周期|新设|哪年|哪一年|设立|短期|长期|年度|延续|多少年|持续多久|什么时候开始的|第几年/],
  ["schedule", /几天|多少天|多久|学时|课时|时间|不少于|天数|时长|多长|日程|安排|\d+天|几个?小时|多少小时/],
  ["phases", /环节|流程|步骤|阶段|三段式|怎么培训|如何培训|培训方式|方式|形式|怎么(开展|组织|进行)/],
  ["goal", /目标|内容|学什么|培训什么|目的|主题|重点|任务|意义|干什么|做什么|研修什么|提升什么/],
];

/** Words inside names that look like question words; cut before classifying. */
const NAME_NOISE = /新课程标准|课程标准|新课标|专业标准|培训计划|国培计划|区培计划|管理人员|教学能力比赛|示范校/g;

export function factKindOf(rest: string): FactKind {
  const s = rest.replace(NAME_NOISE, " ");
  for (const [kind, re] of FACT_RULES) if (re.test(s)) return kind;
  return "overview";
}

/** Kinds that a second question in one message may ask ("几天 多少人", "经费标准和人数"). */
const ALSO_KINDS = new Set<FactKind>(["schedule", "quota", "funding", "cycle", "implementer"]);

/**
 * The other facts one message asks besides `first`, each from a clause of its own: the message is cut at spaces,
 * commas and 和/还有/以及, and each piece's kind is taken alone ("生涯规划那个 几天 多少人").
 */
/** A message cut into clauses at punctuation and spaces (and at `more`, words that join two questions). */
function clausesOf(raw: string, more?: RegExp): string[] {
  const cut = new RegExp(`[，,。；;！!？?、\\s]+${more ? `|${more.source}` : ""}`);
  return normalize(raw).split(cut).filter(Boolean);
}

export function alsoAsked(text: string, first: FactKind): FactKind[] {
  // "…多少人 要任职几年": a condition asked beside a figure is answered with it
  if (!ALSO_KINDS.has(first) && first !== "audience") return [];
  const pieces = clausesOf(text.replace(NAME_NOISE, " "), /和|还有|以及|另外|并且/);
  if (pieces.length < 2) return [];
  const kinds: FactKind[] = [];
  for (const piece of pieces) {
    const k = factKindOf(piece);
    if (k !== first && ALSO_KINDS.has(k) && !kinds.includes(k)) kinds.push(k);
  }
  return kinds;
}

/** Words in schedule labels too common to identify a part by themselves. */
const GENERIC_PART_WORDS = new Set(["培训", "研修", "学习", "实践", "学时", "时间", "不少", "少于", "指导", "工作"]);

function longestCommon(a: string, b: string): string {
  let best = "";
  for (let i = 0; i < a.length; i++) {
    for (let j = i + best.length + 1; j <= a.length; j++) {
      const sub = a.slice(i, j);
      if (b.includes(sub)) best = sub;
      else break;
    }
  }
  return best;
}

/** The schedule part a text names (影子学习, 跟岗, 名校观摩, 区外, 送教, 工作坊, 一对一指导…), by duration id. */
export function namedDuration(rest: string, schedule: Duration[]): string | undefined {
  const text = compact(rest.replace(/线上|网上|网络/g, "在线"));
  let best: Duration | undefined;
  let bestLen = 1;
  for (const d of schedule) {
    const common = longestCommon(text, compact(d.label));
    if (common.length < 2 || GENERIC_PART_WORDS.has(common)) continue;
    if (common.length > bestLen) {
      best = d;
      bestLen = common.length;
    }
  }
  return best?.id;
}

function subProject(k: Knowledge, id: string | undefined): SubProject | undefined {
  return id === undefined ? undefined : k.subProjects.find((s) => s.id === id);
}

/** Abbreviations and typos → the guide's words (knowledge/vocabulary.yaml `rewrites`). */
export function applyRewrites(text: string, v: Vocabulary): string {
  let out = text;
  for (const r of v.rewrites) {
    let from = 0;
    for (;;) {
      const i = out.indexOf(r.from, from);
      if (i < 0) break;
      const after = out.slice(i + r.from.length);
      // 顶岗 already followed by 支教 is left alone (a shortening such as 级的 → 级 always applies)
      const already = r.to.length > r.from.length && out.startsWith(r.to, i);
      if (already || r.notBefore.some((x) => after.startsWith(x))) {
        from = i + r.from.length;
        continue;
      }
      out = out.slice(0, i) + r.to + after;
      from = i + r.to.length;
    }
  }
  return out;
}

/** A count and nothing else ("100人", "15天", "3所"). */
const BARE_COUNT = /^(\d+|[一二两三四五六七八九十百千万]+)(个)?(人|名|位|天|学时|课时|所|县|校|万|元|年)$/;
/** "我想了解一下顶岗支教": the writer asks about something, they do not describe themselves. */
const ASKING_ABOUT = /^(我|我们|本人)(想|要|想要)?(了解|咨询|问|问问|请教|知道|打听)/;
/** A message ending on a person (…的副局长, …老师) and asking nothing describes the writer. */
const PERSON_END = /(老师|教师|校长|园长|书记|局长|副局长|主任|培训者|教研员|负责人|股长|科长|干部|班主任)$/;
/** "…可以吗", "…行不行": whether the person just described may join. */
const PERSON_OK = /(可以|能|行|符合|够)(吗|么|嘛|不|不行|不能)$|(能不能|可不可以|行不行)$/;

/** A number or a date and nothing else ("20", "2027-07-20", "十五"). */
const BARE_NUMBER = /^[\d\s.\-/年月日号:：,，。.]+$/;

/** How to take part: asked without naming anything else. */
const PROCESS_Q = /(怎么|如何|怎样|在哪)(报名|参加|参训|申请|报|推荐|选拔|遴选)|(我们|我|本)?(学校|中学|小学|幼儿园|园所)(想|要|能|可以|能不能|可不可以)(牵头)?(申报|承办|承担)|个人(可以|能|能否|能不能)?(报名|申请|参加)|自己(可以|能)?(报名|申请|去报)|(老师|教师|校长)自己报|报名(方式|流程|程序|途径)|谁(来)?推荐|需要推荐|要推荐吗/;

const PLAN_WORDS: [RegExp, Plan][] = [
  [/国培/, "guopei"],
  [/区培/, "qupei"],
];

function planIn(text: string): Plan | undefined {
  const hits = PLAN_WORDS.filter(([re]) => re.test(text)).map(([, p]) => p);
  return hits.length === 1 ? hits[0] : undefined;
}

/** Questions about the plans as a whole; `named` is how many sub-projects the message names exactly. */
const COMPARE = /(区别|不同|差别|差异|不一样|对比|比较)/;
/** "哪个人数多", "每年集中天数差几天": two sub-projects weighed on head-count or days, which the comparison shows. */
const WHICH_MORE = /(哪个|哪一个|谁)(的)?(人数|人|天数|时间|名额|规模)?(更)?(多|少|长|短|久|大|小)|(差|相差|差了)(几|多少)(天|人|个人)?/;
const weighs = (whole: string) => (COMPARE.test(whole) || WHICH_MORE.test(whole)) && !MONEY_WORDS.test(whole);
/** A list of sub-projects asked for ("有没有给教研员的项目", "培训有哪几个"), not one sub-project's fact. */
const ASKS_WHICH =
  /(哪些|哪几个|什么|有没有)(子)?(项目|培训)|有没有.{1,10}(项目|培训)|(项目|培训)(是|都是|有)?(哪些|哪几个)|有(给|针对|面向).{1,10}(项目|培训)|(项目|培训)(都是|全是|只)(针对|面向|给)/;

/** `personKnown`: the conversation already describes the person, so "区培有啥能报的" asks what fits them. */
function planQuestion(k: Knowledge, whole: string, named: string[], personKnown = false): PlanQuestion | undefined {
  const plan = planIn(whole);
  if (/(国培|区培).{0,4}(和|与|跟|同).{0,3}(国培|区培).{0,6}(区别|不同|差别|差异|不一样|关系|联系)/.test(whole)) return { ask: "plans" };
  if (named.length === 2 && weighs(whole)) return { ask: "compare", ids: [named[0]!, named[1]!] };
  // "县骨地骨加起来一共培训多少人": the named sub-projects' head-counts added up
  // (counts given make it a budget: "管理团队20人 数字素养20人 一共")
  if (named.length >= 2 && TOTAL_WORDS.test(whole) && factKindOf(whole) === "quota" && !findQuantities(whole).some((x) => x.kind === "people")) return { ask: "quotaOf", ids: named };
  // "领航和县骨都是三年周期吗", "…分别几天": the two side by side
  if (named.length === 2 && /都是|都要|分别|各是|各(要|有)?(多少|几)/.test(whole)) return { ask: "compare", ids: [named[0]!, named[1]!] };
  const category = categoryAsked(k, whole, plan);
  if (category) return category;
  // "有没有面向德育主任的项目", "面向高中校长的项目有哪些": who projects are for, though the post is also in one
  // sub-project's name
  if (named.length && /面向|针对|给/.test(whole) && ASKS_WHICH.test(whole) && !SELF.test(whole)) {
    const profile = readProfile(whole, k.vocabulary).profile;
    if (profile.positions?.some((x) => x !== "正职") || (profile.role && profile.role !== "teacher")) return { ask: "audience", profile, ...(plan ? { plan } : {}) };
  }
  // "每个项目集中培训多少天", "区培六个项目各是几年周期", "面向党组织书记的项目各几天": that fact of each, listed
  // "所有三年周期项目 一年集中培训天数分别是多少": of one cycle length only
  const eachOfCycle = /(所有|全部|每个|各个)([\d一两二三])年(周期|短期)(的)?(子)?项目/.exec(whole);
  const eachYears = eachOfCycle ? parseNumber(eachOfCycle[2]!) : undefined;
  const listsEach = /(每个|每一个|各个|各|所有|全部)(子)?项目|项目(各|分别)(是|要|有)?/.test(whole) || eachYears !== undefined;
  const eachFact = listsEach ? (/天数|几天|多少天|多长时间|多久/.test(whole) ? "schedule" : /几年|周期/.test(whole) && eachYears === undefined ? "cycle" : undefined) : undefined;
  const ofCycle = eachYears !== undefined ? { years: eachYears } : {};
  // a post after 面向/给/针对 is whom the projects are for, though a sub-project is named after it (党组织书记)
  const forWhom = eachFact && /面向|针对|给/.test(whole) ? readProfile(whole, k.vocabulary).profile : undefined;
  if (eachFact && forWhom?.role) return { ask: "each", fact: eachFact, profile: forWhom, ...(plan ? { plan } : {}), ...ofCycle };
  if (named.length) return undefined;
  if (eachFact) return { ask: "each", fact: eachFact, ...(plan ? { plan } : {}), ...ofCycle };
  // "哪一类计划培训人最多": the categories' totals, not one sub-project's
  if (/(哪一|哪个|哪|什么)(大)?类|类别/.test(whole) && /最(多|少|大|小)/.test(whole) && /人/.test(whole)) return { ask: "categoryTotals", ...(plan ? { plan } : {}), ...(/最(少|小)/.test(whole) ? { least: true } : {}) };
  // "区培三大类各计划培训多少人": each category's total
  if (/(各|每)(一|个)?(大)?类|大类(各|分别)|类别(各|分别)/.test(whole) && /多少人|几个人|人数/.test(whole)) return { ask: "categoryTotals", each: true, ...(plan ? { plan } : {}) };
  // "有哪七大类", "三大类是什么": the count named, the names asked
  const namedCount = /(哪|这)?[一二三四五六七八九十\d]大类(是|有|分别|都|包括)?(什么|哪些|啥)?/.test(whole) && /哪|什么|啥|分别|包括/.test(whole);
  // "国培里哪一类只有一个项目"; without a plan, "哪一类" after a list asks which row ("初中数学的是哪一类")
  if (/(几|多少|哪几|哪些|什么)(大)?类|类别/.test(whole) || namedCount || (plan && /(哪一|哪个)(大)?类/.test(whole))) return { ask: "categories", ...(plan ? { plan } : {}) };
  const setUp = /(20\d\d)年?(度)?(就|才)?(设立|新设|开始|成立)/.exec(whole);
  // "国培有几个子项目是2023年设立的": the year decides, not the count of sub-projects
  if (/(几|多少)个?(子)?项目|项目(有)?(几|多少)个/.test(whole) && !setUp && (plan || /国培/.test(whole) && /区培/.test(whole))) return { ask: "subprojects", ...(plan ? { plan } : {}) };
  const bothPlans = /国培/.test(whole) && /区培/.test(whole);
  // "区培三年周期项目一共计划多少人", "1年短期项目一共计划培训多少人": the total of that cycle length only
  const cycleOfTotal = /([\d一两二三])年(周期|短期)/.exec(whole);
  const totalYears = cycleOfTotal ? parseNumber(cycleOfTotal[1]!) : undefined;
  if (/(一共|总共|共|合计|总|加起来|加在一起)(计划|要|需要|能)?(培训|培养)?(多少|几)(个)?(人|名|老师|教师|学员|校长)|总(人数|规模)|计划培训(多少|几)(个)?(人|名)/.test(whole) && (plan || bothPlans || totalYears !== undefined)) {
    return { ask: "quota", ...(plan ? { plan } : {}), ...(totalYears !== undefined ? { years: totalYears } : {}) };
  }
  if (/(人数|规模|名额)最(多|大)|最多(人|的人)|培训(的)?人(数)?最多/.test(whole) && /哪|什么/.test(whole)) return { ask: "largest", ...(plan ? { plan } : {}) };
  if (/(人数|规模|名额)最(少|小)|最少(人|的人)|培训(的)?人(数)?最少/.test(whole) && /哪|什么/.test(whole)) return { ask: "largest", least: true, ...(plan ? { plan } : {}) };
  // "哪些项目没有写计划培训多少人": the quota list says which give no head-count
  if (/哪些|哪几个|什么/.test(whole) && /(没有|没|未)(写|给|说|写明|给出)?.{0,3}(计划)?(培训)?(多少人|人数)/.test(whole)) return { ask: "quota", ...(plan ? { plan } : {}) };
  const cycle = /(哪些|哪几个|什么|几个|多少个).{0,6}?(\d|一|两|二|三)年(周期|的)/.exec(whole) ?? /(\d|一|两|二|三)年(周期|的)(的)?(项目)?(有|是)?(哪些|哪几个|几个|多少个)/.exec(whole);
  if (cycle) {
    const n = parseNumber(cycle[2] && /\d|一|两|二|三/.test(cycle[2]) ? cycle[2] : cycle[1]!);
    if (n) return { ask: "cycle", years: n, ...(plan ? { plan } : {}) };
  }
  if (setUp && /哪些|哪几个|什么|有/.test(whole)) return { ask: "established", year: Number(setUp[1]), ...(plan ? { plan } : {}) };
  const asksList = /哪些|哪几个|什么项目|有几个|多少个/.test(whole);
  // "新设" without a year is the guide's "2024年新设"
  if (asksList && /新设/.test(whole)) return { ask: "established", year: 2024 };
  if (asksList && /短期/.test(whole)) return { ask: "cycle", years: 1 };
  if (asksList && /(没有|无|未给|没给).{0,4}(经费|标准)/.test(whole)) return { ask: "funding", given: false };
  if (asksList && !named.length && /(有|给出?了?|规定了?|写了?)(培训)?(经费|资金)(标准)?|(经费|资金)标准/.test(whole)) return { ask: "funding", given: true };
  // "哪些项目协同区外院校实施": the sub-projects whose 实施单位 cell says so
  if (/(哪些|哪几个|有哪些)(子)?项目|(的|是|有)(哪些|哪几个)(项目)?$/.test(whole) && /协同|实施|牵头|承办/.test(whole)) {
    const found = IMPLEMENTER_WORDS.filter(([re]) => re.test(whole)).map(([, w]) => w);
    if (found.length) return { ask: "implementer", words: found };
  }
  // "集中培训7天的都有哪几个项目", "经费400元一天的项目都有哪些": sub-projects by a length or a rate
  const amount = amountAsked(whole);
  if (amount && /(哪些|哪几个|什么|哪个)(子)?项目|项目(都)?(有|是)?(哪些|哪几个)|(是|有)哪(些|几个)/.test(whole)) return { ask: "amount", ...amount };
  // a list asked about the projects, not by a person describing themselves ("我是…可以报哪些项目")
  const asksWhich = ASKS_WHICH.test(whole) && !SELF.test(whole) && !/适合我|我能|我可以/.test(whole);
  // "哪些项目要求工作业绩突出": a phrase of the guide's 培训对象 or 遴选条件 (four characters or more)
  const phrase = asksWhich && /要求|条件|限制/.test(whole) ? (CONDITION_WORDS.find((w) => whole.includes(w)) ?? conditionPhrase(k, whole)) : undefined;
  if (phrase) return { ask: "condition", phrase };
  // "有跟踪指导环节的项目有哪些": a 培训环节 named in the guide's own words
  const phases = asksWhich || /环节/.test(whole) ? phaseWords(k).filter((w) => whole.includes(w)) : [];
  if (phases.length) return { ask: "phase", words: phases };
  // "哪些项目面向幼儿园老师", "有没有给教研员的项目": who a project is for (before schedule words: 教研员 is no 联合教研)
  if (asksWhich && /面向|给|针对|对象是/.test(whole)) {
    const profile = readProfile(whole, k.vocabulary).profile;
    if (profile.role || profile.stage) return { ask: "audience", profile, ...(plan ? { plan } : {}) };
  }
  // "有异步学习要求的都是哪几个项目": a schedule part named in the guide's own words
  const part = asksWhich ? schedulePartWord(k, whole) : undefined;
  if (part) return { ask: "schedulePart", word: part };
  // "区培有哪些项目", "区培有啥能报的": the plan's sub-projects (a person described is assessed before this)
  if ((/(哪些|什么|有)(子)?项目/.test(whole) || (OFFERS.test(whole) && !personKnown && !hasProfile(readProfile(whole, k.vocabulary).profile))) && plan) return { ask: "list", plan };
  return undefined;
}

/**
 * Words that ask about a category as a group: 这一类, 下面, 分哪两个, 包括哪些项目, 四个项目… (a sub-project's own
 * name with "有哪些内容" is not one).
 */
const CATEGORY_ASKED =
  /(这|那|此|该|一|大)类|下面|下设|下属|分(为|成)?(哪|几)[几两二三四]?个|(包括|包含|有|是)(哪些|哪几个|啥|什么)(子)?项目|(包括|包含)(哪|啥)|哪几个(子)?项目|[几两二三四五六七]个(子)?项目/;
/** The head-count of a whole category asked ("加起来多少人", "总共培训多少校长"). */
const CATEGORY_TOTAL = /(总共|一共|合计|加起来|加在一起|共计|总计).{0,8}(多少|几)|多少人/;

/**
 * A category asked about as a group: the one whose name (or alias) shares the longest run with the text — six
 * characters or more, or four with an explicit 这一类 —, unique within the plan named.
 */
function categoryAsked(k: Knowledge, whole: string, plan: Plan | undefined): PlanQuestion | undefined {
  if (!CATEGORY_ASKED.test(whole)) return undefined;
  const explicit = /(这|那|此|该|一|大)类/.test(whole);
  const scored = k.plans
    .filter((p) => !plan || p.id === plan)
    .flatMap((p) => p.categories.map((c) => ({ id: c.id, n: Math.max(...[c.name, ...(c.aliases ?? [])].map((x) => longestCommon(whole, compact(x)).length)) })))
    .sort((a, b) => b.n - a.n);
  const best = scored[0];
  if (!best || best.n < (explicit ? 4 : 6) || scored[1]?.n === best.n) return undefined;
  const cycle = /(短期|[一1]年(的)?(短期|项目))/.test(whole) ? 1 : parseNumber(/([两二三\d])年(的)?周期/.exec(whole)?.[1] ?? "");
  return { ask: "category", category: best.id, ...(CATEGORY_TOTAL.test(whole) ? { total: true } : {}), ...(cycle ? { years: cycle } : {}) };
}

/** Kinds of schedule parts and funding items, as their labels in the guide begin or contain them. */
const PART_KINDS = ["集中", "异步", "在线", "跟岗", "影子", "工作坊", "送教", "访学", "观摩", "返岗", "一对一"];

/** A length ("7天", "十天", "50学时") or a rate ("400元一天", "6元一学时", "500元/人/天") the question names. */
function amountAsked(whole: string): { what: "duration" | "rate"; value: number; unit: "天" | "学时"; word?: string } | undefined {
  const word = PART_KINDS.find((w) => whole.includes(w));
  const rate = /(\d+)元(\/|每|一)?(人)?(\/|每|一)?(个)?(天|学时)/.exec(whole);
  if (rate) return { what: "rate", value: Number(rate[1]), unit: rate[6] as "天" | "学时", ...(word ? { word } : {}) };
  const d = /(\d+|[一二两三四五六七八九十百]+)(个)?(天|学时)/.exec(whole);
  const n = d ? parseNumber(d[1]!) : undefined;
  return d && n ? { what: "duration", value: n, unit: d[3] as "天" | "学时", ...(word ? { word } : {}) } : undefined;
}

/** "再加上县骨20人", "加地骨40人": a budget added to the one just discussed. */
const ADDS = /^(那)?(再|还)?(加上|加|算上|加个|加一个)|^(那)?再(算|来)/;
/** "再干两年", "再教3年", "过两年": years added to those told (the post's for a head, the teaching years for a teacher). */
const MORE_YEARS = /(?:再|又|过)(?:干|当|做|任职|工作|教|有|过)?(?:了)?(\d+|[一二两三四五六七八九十]+)年/;

function withMoreYears(p: Profile, told: Profile, more: RegExpExecArray): Profile {
  const n = parseNumber(more[1]!);
  if (n === undefined) return p;
  const field = told.role && told.role !== "teacher" && told.postYears !== undefined ? "postYears" : told.teachingYears !== undefined ? "teachingYears" : undefined;
  if (!field) return p;
  const { teachingYears: _t, postYears: _p, ...rest } = p;
  const kept = { ...(told.teachingYears !== undefined ? { teachingYears: told.teachingYears } : {}), ...(told.postYears !== undefined ? { postYears: told.postYears } : {}) };
  return { ...rest, ...kept, [field]: told[field]! + n };
}

/** "经费分项列一下", "明细": the budget just discussed, item by item. */
const ITEMISED = /分项|明细|列一下|列出来|拆开|细分|每一项|各项|怎么算的|怎么算出来/;
/** "县骨也40人 合起来呢": another sub-project's budget summed with the one just discussed. */
const SUMMED = /合起来|加起来|加在一起|合在一起|一起算|连同/;
/** A head-count corrected, the number typed without 人: "人数改成60", "人数写错了 是45", "学员改为三十". */
const PEOPLE_CORRECTED = /(?:人数|学员|人).{0,5}?(?:改成|改为|换成|变成|调成|调整为|应该是|应为|是|为)(\d+|[一二两三四五六七八九十百千]+)(?:个|名|人|位)?(?:吧|呢|了|啊)?$/;

/** The cycle length a message gives ("三年一共多少"), to apply to every part of a sum. */
function yearsOf(raw: string): BudgetQuantities {
  const y = budgetQuantities(raw, []).years;
  return y !== undefined ? { years: y } : {};
}

/**
 * A message cut after each head-count ("县骨四十人加地骨三十人 每年预算合计" → 县骨四十人 | 加地骨三十人): the
 * parts that each name exactly one sub-project, with the counts of their own part. A part that names the previous
 * part's sub-project again, or, after a part that named one of its groups, another group it trains (紧缺领域 班主任30个 |
 * 德育主任20个, though 德育主任 also names the 高中 教务德育 培训), joins it as one of its rows (`folded`). One sub-project named twice apart gives no
 * parts: not a sum.
 */
function budgetParts(ctx: NluContext, typed: string): { candidate: Candidate; quantities: BudgetQuantities; folded?: true }[] {
  // full-width digits (２０人) cut like half-width ones; a bare count of a list keeps its 人 in its part
  const raw = withCountUnits(typed);
  // each count of people or places ends a part ("县骨20人 地骨10人", "再加30个教务主任…")
  const cuts = findQuantities(raw).filter((q) => q.kind === "people" || q.kind === "counties" || q.kind === "schools").map((q) => q.end);
  if (!cuts.length) return [];
  const parts: { candidate: Candidate; sp: SubProject; seg: string; folded?: true }[] = [];
  let from = 0;
  for (const [i, end] of cuts.entries()) {
    const seg = raw.slice(from, i === cuts.length - 1 ? raw.length : end);
    from = end;
    const found = ctx.index.lookup(seg);
    const top = found.candidates[0];
    const prev = parts.at(-1);
    // a list of groups goes on ("班主任30个 德育主任20个"); after a bare count ("数字素养 200人 管理团队 100人") a
    // name is another sub-project's
    if (prev && (prev.sp.id === top?.subProjectId || (prev.candidate.rowId !== undefined && trainsGroupOf(prev.sp, seg)))) {
      prev.seg += seg;
      prev.folded = true;
      continue;
    }
    // a part naming no sub-project (its count would be dropped): not a sum
    if (!found.exact || !found.confident || !top) return [];
    parts.push({ candidate: top, sp: subProject(ctx.knowledge, top.subProjectId)!, seg });
  }
  if (new Set(parts.map((p) => p.sp.id)).size < parts.length) return [];
  return parts.map(({ candidate, sp, seg, folded }) => {
    const billed = billedDurations(sp, findRow(sp, candidate.rowId));
    const quantities = { ...withRows(withGroups(budgetQuantities(seg, billed), seg, billed), seg, sp, ctx.knowledge.vocabulary, candidate.rowId), ...yearsOf(raw) };
    return { candidate, quantities, ...(folded ? { folded } : {}) };
  });
}

/** Whether a part's words name a group (three characters or more, 德育主任) among the sub-project's trainees. */
function trainsGroupOf(sp: SubProject, seg: string): boolean {
  const trainees = compact(sp.rows.map((r) => `${r.label}${r.audience.text}`).join("、"));
  const common = longestCommon(compact(seg), trainees);
  return common.length >= 3 && !/项目|培训|研修/.test(common);
}

/** Short words that name a kind of condition ("哪些项目对教龄有要求"). */
const CONDITION_WORDS = ["教龄", "任职", "正职", "业绩突出"];

/** The longest run (four characters or more) the text shares with a sub-project's 培训对象 or a condition. */
function conditionPhrase(k: Knowledge, whole: string): string | undefined {
  let best = "";
  for (const sp of k.subProjects) {
    for (const t of [sp.audience.text, ...sp.rows.flatMap((r) => r.conditions.map((c) => c.text))]) {
      const common = longestCommon(whole, compact(t));
      if (common.length >= 4 && common.length > best.length && !/项目|培训|研修/.test(common)) best = common;
    }
  }
  return best || undefined;
}

const phaseWordsOf = new WeakMap<Knowledge, string[]>();

/** A phase as it is asked: without quotes, and without a 研修/培训 tail ("“三段式”研修" is asked as 三段式培训). */
function phaseKey(item: string): string {
  const w = compact(item).replace(/[“”"]/g, "");
  return /^.{3,}(研修|培训)$/.test(w) && !/^(专题|集中|岗位|主题)/.test(w) ? w.replace(/(研修|培训)$/, "") : w;
}

/** Every 培训环节 the guide names (实地诊断, 跟踪指导, 返岗实践, 三段式…), longest first; computed once per knowledge. */
function phaseWords(k: Knowledge): string[] {
  const known = phaseWordsOf.get(k);
  if (known) return known;
  const items = k.subProjects.flatMap((s) => [...(s.phases?.items ?? []), ...s.rows.flatMap((r) => r.phases?.items ?? [])]);
  // the quoted name is a key too ("“三段式”周期性研修" is 三段式)
  const keys = items.flatMap((w) => [...[...w.matchAll(/“([^”]{3,})”/g)].map((m) => compact(m[1]!)), phaseKey(w)]);
  const found = [...new Set(keys)].filter((w) => w.length >= 3).sort((a, b) => b.length - a.length);
  phaseWordsOf.set(k, found);
  return found;
}

/** Words of schedule labels that name a kind of part (异步, 影子学习, 跟岗, 送教…), longest found in the text. */
function schedulePartWord(k: Knowledge, whole: string): string | undefined {
  const labels = k.subProjects.flatMap((sp) => [...sp.schedule, ...sp.rows.flatMap((r) => r.schedule ?? [])].map((d) => compact(d.label)));
  const text = compact(whole.replace(/线上|网上|网络/g, "在线"));
  const found = new Set<string>();
  for (const label of labels) {
    // every run of two or more characters the text shares with the label
    for (let i = 0; i < label.length - 1; i++) {
      for (let j = i + 2; j <= label.length && text.includes(label.slice(i, j)); j++) found.add(label.slice(i, j));
    }
  }
  const words = [...found].filter((w) => !GENERIC_PART_WORDS.has(w) && !/^(集中|培训|研修|每年|学时|天)|(集中|培训|研修)$/.test(w));
  // the longest, and of those the one fewest labels have (异步 over 在线)
  const uses = (w: string) => labels.filter((l) => l.includes(w)).length;
  return words.sort((a, b) => b.length - a.length || uses(a) - uses(b))[0];
}

/** Parts of the guide's 实施单位 cells a question may name, with the guide's own words. */
const IMPLEMENTER_WORDS: [RegExp, string][] = [
  [/区外/, "区外"],
  [/帮扶(学)?校/, "帮扶学校"],
  [/帮扶县/, "帮扶县市"],
  [/教育行政部门|教育局/, "教育行政部门"],
  [/幼儿园/, "幼儿园"],
  [/区域教师培训机构/, "区域教师培训机构"],
  [/优质中学|优质高中/, "优质中学"],
  [/优质中小学/, "优质中小学"],
];

/** Years and nothing else ("4年", "快5年了"): after an eligibility answer, the reply to its question about years. */
const YEARS_ONLY = /^(快|将近|近|不到|满|有|整|足)?(\d+(?:\.\d+)?|[一二两三四五六七八九十]+)(个)?年(多|半)?(了)?$/;

/**
 * "4年" right after an eligibility answer (the topic is a person, not a fact or a budget): the 教龄 of a teacher,
 * or the 任职年限 of a head, as the message that says so. Undefined when the reply could be either (a head who
 * also teaches) or is not that.
 */
function yearsReplied(whole: string, topic?: Topic): string | undefined {
  if (!topic?.profile || topic.budget || topic.fact || !YEARS_ONLY.test(whole)) return undefined;
  const roles = rolesOf(topic.profile);
  const head = roles.some((r) => r !== "teacher");
  if (head && roles.includes("teacher")) return undefined;
  return `${head ? "任职" : "教龄"}${whole}`;
}

/** "能报X吗" where X is shared by at most this many sub-projects is answered for each; more is a list question. */
const MAX_AMONG = 4;
/** The words that ask "can I take part in X" with X after them: 能报X吗, 可以参加X吗. */
const TARGET_Q = /(能|可以|可|能否|能不能|可不可以)(报|报名|参加|参训|申请|申报)(.{2,40}?)(吗|么|不|呢)?$/;

export function parseIntent(text: string, ctx: NluContext): Intent {
  const v = ctx.knowledge.vocabulary;
  const raw = applyRewrites(text.trim(), v);
  if (!raw) return { kind: "unknown" };
  const whole = compact(raw);

  const command = commandOf(raw);
  if (command) return { kind: "command", command };
  const yearsReply = yearsReplied(whole, ctx.topic);
  if (yearsReply) return parseIntent(yearsReply, ctx);
  // "100人" right after a funding answer or a budget is that budget's count, not a bare number
  const countForBudget = BARE_COUNT.test(whole) && ctx.topic?.subProjectId !== undefined && (ctx.topic.budget !== undefined || ctx.topic.fact === "funding");
  if (!countForBudget && (BARE_NUMBER.test(normalize(raw)) || BARE_COUNT.test(whole) || (whole.length <= 6 && parseNumber(whole) !== undefined))) return { kind: "number", text: raw };
  for (const [cmd, re] of COMMAND_ANYWHERE) if (re.test(whole)) return { kind: "command", command: cmd };

  const found = ctx.index.lookup(raw);
  const top = found.candidates[0];
  const rest = found.rest;
  const topic = ctx.topic;
  const named = found.exact ? found.candidates.filter((c) => c.score <= 0.02).map((c) => c.subProjectId) : [];

  const unanswered = v.unanswered.find(
    (u) => (u.words.some((w) => whole.includes(compact(w))) || u.patterns.some((re) => re.test(whole))) && !u.except.some((x) => whole.includes(compact(x))),
  );
  if (unanswered) {
    // only a sub-project the text names: a fuzzy match on a word like 机构 is not what the question is about
    const about = top && found.exact && found.confident ? top.subProjectId : topic?.subProjectId;
    const aboutSp = subProject(ctx.knowledge, about);
    // "县骨是线上还是线下": its schedule has an online part, and says how much
    const hint = unanswered.unlessScheduleHas;
    if (aboutSp && hint && aboutSp.schedule.some((d) => d.label.includes(hint))) {
      return { kind: "fact", fact: "schedule", candidates: [{ subProjectId: aboutSp.id, score: 0 }], confident: true, ...(about === topic?.subProjectId ? { fromContext: true } : {}) };
    }
    return { kind: "unanswered", topic: unanswered.topic, ...(about ? { subProjectId: about } : {}) };
  }
  const plan = planQuestion(ctx.knowledge, whole, [...new Set(named)], topic?.profile !== undefined && hasProfile(topic.profile));
  if (plan) return { kind: "plan", question: plan };
  // "跟骨干校园长有啥区别" after a card: the sub-project just discussed against the one named
  const namedOne = [...new Set(named)];
  if (namedOne.length === 1 && topic?.subProjectId && topic.subProjectId !== namedOne[0] && weighs(whole)) {
    return { kind: "plan", question: { ask: "compare", ids: [topic.subProjectId, namedOne[0]!] } };
  }
  // "两年的项目经费标准": a fact of every sub-project of that cycle length, none named: offer them
  const cycleOnly = !found.exact && /([一两二三\d])年(周期)?(性)?的(子)?项目/.exec(whole);
  if (cycleOnly) {
    const n = parseNumber(cycleOnly[1]!);
    const sps = ctx.knowledge.subProjects.filter((s) => s.cycle.years === n);
    const fact = factKindOf(whole.replace(cycleOnly[0], ""));
    if (sps.length > 1 && fact !== "overview" && fact !== "cycle") return { kind: "fact", fact, candidates: sps.map((s) => ({ subProjectId: s.id, score: 0 })), confident: false };
  }
  if (!found.exact && PROJECTS_ASKED.test(whole)) return { kind: "command", command: "projects" };
  if (PROCESS_Q.test(whole) && !SELF_WITH_PROFILE(raw, v)) {
    const about = top && found.exact ? top.subProjectId : topic?.subProjectId;
    return { kind: "process", ...(about ? { subProjectId: about } : {}) };
  }

  // budget
  const quantities = findQuantities(raw).filter((q) => q.kind === "people" || q.kind === "counties" || q.kind === "schools");
  const years = findQuantities(raw).some((q) => q.kind === "years");
  // a fuzzy match ("20人" finds the 20所 项目学校) never overrides the sub-project just discussed
  const named0 = found.exact ? top : undefined;
  // several counts that all fold into one sub-project's groups ("紧缺领域 班主任30个 德育主任20个"): that one, though
  // the words of a group name another too; the one just discussed, when it is that one
  const parts = budgetParts(ctx, raw);
  const folded = parts.length === 1 && parts[0]!.folded ? parts[0]!.candidate : undefined;
  const ownTop = folded ? (folded.subProjectId === topic?.subProjectId ? undefined : folded) : (named0 ?? (topic?.subProjectId ? undefined : top));
  const wantsBudget =
    (BUDGET_WORDS.test(whole) && (quantities.length > 0 || (top !== undefined && BUDGET_ALONE.test(rest)))) ||
    (quantities.length > 0 && (MONEY_WORDS.test(whole) || BUDGET_TAIL.test(whole))) ||
    // "顶岗支教 二十五人", "领航 12人 每年按30天算": a sub-project and its counts, asking nothing else
    (found.exact && quantities.length > 0 && !QUESTIONISH.test(whole) && !SELF.test(whole));
  // "那2个县呢" after 一对一's funding, "三年总共呢" after a budget: the counts or years of the budget just discussed
  const talkedMoney = topic?.budget !== undefined || topic?.fact === "funding";
  const budgetFollowUp =
    !ownTop &&
    topic?.subProjectId &&
    ((BUDGET_WORDS.test(whole) || MONEY_WORDS.test(whole) || BUDGET_TAIL.test(whole)) && (quantities.length > 0 || (years && topic.budget)) ||
      (talkedMoney && FOLLOW_UP.test(whole) && (quantities.length > 0 || (years && topic.budget !== undefined) || (TOTAL_WORDS.test(whole) && topic.budget !== undefined))) ||
      // "经费分项列一下" after a budget: that budget, line by line
      (topic.budget !== undefined && ITEMISED.test(whole)));
  // several sub-projects, each with its own count, or one added to the budget just discussed
  const adds = (ADDS.test(whole) || SUMMED.test(whole)) && topic?.subProjectId && topic.budget && parts.length === 1 && parts[0]!.candidate.subProjectId !== topic.subProjectId;
  if (parts.length > 1 && (BUDGET_WORDS.test(whole) || MONEY_WORDS.test(whole) || BUDGET_TAIL.test(whole) || TOTAL_WORDS.test(whole) || !QUESTIONISH.test(whole))) {
    return { kind: "budgets", parts };
  }
  // "换成地骨呢", "换成统编教材 人数不变" after a budget: the same counts for the sub-project or row named (its own days and rates)
  const switched =
    !adds && /换成|改成|改为|换做|换作|如果是/.test(whole) && topic?.budget && found.exact && top && (top.subProjectId !== topic.subProjectId || (top.rowId !== undefined && top.rowId !== topic.rowId)) && quantities.length === 0;
  if (switched) {
    const { people, counties, schools, years } = topic.budget!;
    const carried = { ...(people !== undefined ? { people } : {}), ...(counties !== undefined ? { counties } : {}), ...(schools !== undefined ? { schools } : {}), ...(years !== undefined ? { years } : {}) };
    return { kind: "budget", candidates: [top], confident: true, quantities: { ...carried, ...yearsOf(raw) } };
  }
  // "人数改成60", "人数写错了 是45" after a budget: that budget with the count corrected
  const corrected = topic?.budget && topic.subProjectId && !found.exact ? PEOPLE_CORRECTED.exec(whole) : null;
  const correctedPeople = corrected ? parseNumber(corrected[1]!) : undefined;
  if (correctedPeople !== undefined && correctedPeople > 0) {
    const candidate = { subProjectId: topic!.subProjectId!, score: 0, ...(topic!.rowId ? { rowId: topic!.rowId } : {}) };
    return { kind: "budget", candidates: [candidate], confident: true, quantities: { ...topic!.budget!, people: correctedPeople }, fromContext: true };
  }
  if (adds) {
    const before = { candidate: { subProjectId: topic.subProjectId!, score: 0, ...(topic.rowId ? { rowId: topic.rowId } : {}) }, quantities: { ...topic.budget!, ...yearsOf(raw) } };
    return { kind: "budgets", parts: [before, parts[0]!] };
  }
  // after a funding answer or a budget, counts and nothing else ("14个人 一年培训25天") are that budget's
  const countsFollowUp = !ownTop && topic?.subProjectId && talkedMoney && quantities.length > 0 && !QUESTIONISH.test(whole);
  // after a budget, "如果只培训10天呢", "按20天算呢": the same budget with other days or hours
  const lengthFollowUp =
    !ownTop && topic?.subProjectId && topic.budget !== undefined && (FOLLOW_UP.test(whole) || /如果|假如|要是|按|改成|换成/.test(whole)) &&
    findQuantities(raw).some((x) => x.kind === "days" || x.kind === "hours");
  if (wantsBudget || budgetFollowUp || countsFollowUp || lengthFollowUp) {
    // counts per county or school that the sub-project just discussed does not bill by, while one this message may
    // name does ("一对一 1个县 2所学校" after an eligibility answer about 县骨): the message's own sub-project
    const billsPlaces = (id: string) => subProject(ctx.knowledge, id)?.rows.some((r) => quantitiesNeeded(r).some((x) => x === "counties" || x === "schools")) ?? false;
    const placeCounts = quantities.some((x) => x.kind === "counties" || x.kind === "schools");
    const placesElsewhere = placeCounts && topic?.subProjectId !== undefined && !billsPlaces(topic.subProjectId) && found.candidates.some((c) => billsPlaces(c.subProjectId));
    const fromContext = !ownTop && topic?.subProjectId !== undefined && !placesElsewhere;
    const candidates = fromContext ? [{ subProjectId: topic!.subProjectId!, score: 0, ...(topic!.rowId ? { rowId: topic!.rowId } : {}) }] : folded ? [folded] : top ? found.candidates : [];
    const sp = subProject(ctx.knowledge, candidates[0]?.subProjectId);
    const billed = sp ? billedDurations(sp, findRow(sp, candidates[0]?.rowId)) : [];
    const q = sp ? timesPlaces(withRows(withGroups(budgetQuantities(raw, billed), raw, billed), raw, sp, v, candidates[0]?.rowId), whole, billsPlaces(sp.id)) : withGroups(budgetQuantities(raw, billed), raw, billed);
    // "再加10人" after a budget of 10: 20 people, not 10 (also "再加10个高中书记", which names the same sub-project)
    const sameBudget = fromContext || (sp !== undefined && sp.id === topic?.subProjectId);
    const addsPeople = sameBudget && ADDS.test(whole) && topic?.budget?.people !== undefined && q.people !== undefined;
    const merged = (fromContext || addsPeople) && topic?.budget ? { ...topic.budget, ...q, ...(addsPeople ? { people: topic.budget.people! + q.people!, peopleParts: [...(topic.budget.peopleParts ?? [topic.budget.people!]), ...(q.peopleParts ?? [q.people!])] } : {}) } : q;
    // "一对一 1县3校" (一对一 is also 顶岗支教's 一对一指导): counts per county or school fit only the sub-projects billed so
    const perPlace = !fromContext && !found.confident && (merged.counties !== undefined || merged.schools !== undefined);
    const fitting = perPlace
      ? candidates.filter((c) => billsPlaces(c.subProjectId))
      : [];
    if (fitting.length === 1) return { kind: "budget", candidates: fitting, confident: true, quantities: merged };
    return { kind: "budget", candidates, confident: fromContext || folded !== undefined || found.confident, quantities: merged, ...(fromContext ? { fromContext } : {}) };
  }

  if (!top && !topic?.subProjectId && BUDGET_WORDS.test(whole) && whole.length <= 12) return { kind: "command", command: "budget" };

  // institutions asking whether they may declare: who declares (the implementer), not a person's eligibility
  if (!found.exact && INSTITUTION.test(whole) && /申报|牵头|承办|承担/.test(whole)) return { kind: "process" };
  // "我们是疆内的高校 数字素养…我们能做吗": an institution asking whether it may run a named sub-project
  if (top && found.exact && INSTITUTION.test(whole) && /申报|牵头|承办|承担|组织实施|(能|可以)(做|办|承接|接)/.test(whole)) {
    return { kind: "fact", fact: "implementer", candidates: found.candidates, confident: found.confident };
  }

  // eligibility: who am I, what fits me
  // after a card, "副校长可以吗" asks whether that person may join it
  // the question may be one clause of several ("能报县骨吗 要自己报名还是学校推荐")
  const clause = eligibilityClause(raw);
  const asksEligibility = clause !== undefined || (topic?.subProjectId !== undefined && !found.exact && PERSON_OK.test(whole));
  const clauseAt = clause ? whole.indexOf(clause) : 0;
  const targetMatch = asksEligibility ? TARGET_Q.exec(clause ?? whole) : null;
  const lookedUp = targetMatch ? ctx.index.lookup(targetMatch[3]!) : undefined;
  const target = lookedUp?.exact && lookedUp.confident ? lookedUp : undefined;
  // "能参加园长培训吗": X is a name shared by a few sub-projects, so the answer covers each of them, and the
  // sub-project just discussed is not the one asked about
  const among =
    lookedUp && !target && lookedUp.candidates.length >= 2 && lookedUp.candidates.length <= MAX_AMONG
      ? { term: compact(targetMatch![3]!), ids: [...new Set(lookedUp.candidates.map((c) => c.subProjectId))] }
      : undefined;
  // "新课程新教材能报吗", "我是高中体育老师，新课程新教材我能参加吗": X named right before the question
  const before = asksEligibility && !target ? nameBeforeQuestion(ctx.knowledge, raw) : undefined;
  // "副校长能参加吗" after a card: the sub-project just discussed
  // "其他项目能报吗", "别的呢" ask about the rest, not the one just discussed
  const topicTarget =
    asksEligibility && !found.exact && !among && topic?.subProjectId && !/(什么|哪|啥|其他|其它|别的)/.test(whole) ? { subProjectId: topic.subProjectId, score: 0 } : undefined;
  const targetCandidate = target?.candidates[0] ?? (before ? { subProjectId: before.subProjectId, score: 0 } : topicTarget);
  // the person is what the message says besides the question about X ("高中校长能参加依法治校研修吗 我当了5年")
  const personText =
    targetMatch && target ? whole.slice(0, clauseAt + targetMatch.index) + whole.slice(clauseAt + targetMatch.index + targetMatch[0].length) : before ? before.person : undefined;
  // a self-description is read whole; otherwise words inside a matched name (骨干教师) are no profile
  // "县教育局分管教育信息化的副局长": a statement naming a person is a self-description too
  // a sub-project's name alone ("优秀校园长") asks for its card, though it ends like a post
  const nameAlone = found.exact && compact(rest).length === 0;
  const selfDescribed = (SELF.test(whole) && !ASKING_ABOUT.test(whole)) || (PERSON_END.test(whole) && !QUESTIONISH.test(whole) && !nameAlone);
  const readText = personText ?? (selfDescribed || asksEligibility || !found.exact ? raw : rest);
  const ignore = [...(targetMatch ? [targetMatch[0]] : []), ...(before ? [before.asked] : []), ...matchedNames(ctx.knowledge, found.exact ? named : [])];
  let reading = readProfile(readText, v, ignore);
  // years of service make the message a self-description, so a row name in it ("小学党组织书记 任职两年") is the
  // person's post, not a project asked about: read the whole message
  // (not when the text left out is the "能报X吗" asked about: X is no post of the person, 团委书记…能报书记研修吗)
  if (readText !== raw && personText === undefined && (reading.profile.teachingYears !== undefined || reading.profile.postYears !== undefined)) reading = readProfile(raw, v, ignore);
  const asserted = assertedMembership(ctx.knowledge, found.exact ? named : [], whole);
  // "我们县不是顶岗支教的项目县": the list named is denied, which settles its condition as not met
  if (asserted && LIST_DENIED.test(whole)) {
    const denied = reading.profile.denied ?? {};
    reading = { ...reading, profile: { ...reading.profile, denied: { ...denied, projects: [...new Set([...(denied.projects ?? []), asserted])] } } };
  } else if (asserted) {
    reading = {
      ...reading,
      profile: { ...reading.profile, projects: [...new Set([...(reading.profile.projects ?? []), asserted])] },
      membership: reading.membership.filter((m) => !m.projects.includes(asserted)),
    };
  }
  // a profile told over several messages ("我是高中物理老师" / "教龄7年" / "区培高中骨干能报吗"): what this message
  // says about the same person is added to what was said before; a new role is a new person
  // "要是再干两年呢": years supposed on top of those told
  const more = MORE_YEARS.exec(whole);
  const continues =
    topic?.profile &&
    (asksEligibility || hasProfile(reading.profile) || more !== null) &&
    !OTHER_PERSON.test(whole) &&
    (!reading.profile.role || (reading.profile.role === topic.profile.role && !SELF_INTRO.test(whole)) || FOLLOW_UP.test(whole)) &&
    // "小学校长能参加…" after "幼儿园园长 任职8年": another post, whose years were not said ("那如果是小学呢" keeps them)
    // ("我是幼儿园保育员" after "小学教导主任 教龄10年": a self-introduction at another stage, though the post is unknown)
    !((reading.profile.role || SELF_INTRO.test(whole)) && reading.profile.stage && topic.profile.stage && reading.profile.stage !== topic.profile.stage && !FOLLOW_UP.test(whole)) &&
    // "我是小学教导主任" after "小学校长 6年": a post the guide does not list, introduced afresh, is not the 校长's
    !(SELF_INTRO.test(whole) && reading.unplaced.length > 0 && !reading.profile.role);
  const told = topic?.profile;
  // a role said again without 副 is the 正职: the deputy title said before does not carry over
  const { deputy: _before, ...kept } = told ?? {};
  const merged = continues ? { ...(reading.profile.role && !reading.profile.deputy ? kept : told), ...reading.profile } : reading.profile;
  // "我也是党支部书记 干了4年" after "幼儿园园长 任职8年": a second post of the same person, each with its years
  const secondPost = told?.role && reading.profile.role && reading.profile.role !== told.role && ALSO_HOLDS.test(whole) ? reading.profile.role : undefined;
  // "书记干了3年" (or "3年" when that was asked) after "校长 任职6年 也是党支部书记": the years of a post held
  const withPostYears = told && !secondPost && !OTHER_PERSON.test(whole) && !SELF_INTRO.test(whole) ? yearsOfHeldPost(told, reading.profile) : undefined;
  const held: Profile = secondPost && told ? holdingBoth(told, reading.profile, secondPost) : withPostYears ? { ...merged, ...withPostYears } : merged;
  // "要是再干两年呢" after "园长 任职5年": the years told before, plus these (not 2 years instead of 5)
  const profile = continues && told && more ? withMoreYears(held, told, more) : held;
  // what this message itself says of the person (a follow-up "书记那个研修要去几天" states nothing new)
  const personal = reading.profile.teachingYears !== undefined || reading.profile.postYears !== undefined || (reading.profile.honours?.length ?? 0) > 0;
  const supposed = profile !== held ? more![0] : undefined;
  const notes = {
    unplaced: reading.unplaced,
    membership: reading.membership,
    postAsks: reading.postAsks,
    deputy: reading.deputy,
    ...(reading.looseYears ? { looseYears: reading.looseYears } : {}),
    ...(supposed ? { supposed } : {}),
  };
  const saysSomething = hasProfile(profile) || notes.unplaced.length > 0 || notes.membership.length > 0;
  // years of service describe a person even next to a project name; an honour word may be part of the name (名师领航)
  const statesYears = reading.profile.teachingYears !== undefined || reading.profile.postYears !== undefined;
  // "我们是足球特色学校": a school's membership claimed describes the person too
  if (saysSomething && (selfDescribed || asksEligibility || (personal && !found.exact) || statesYears || personText !== undefined || asserted !== undefined || (continues && more !== null))) {
    // "高中历史老师教龄12年" states years; "地骨要几年教龄" asks about them
    const factQuestion = found.exact && factKindOf(rest) !== "overview" && !selfDescribed && !asksEligibility && (!personal || QUESTIONISH.test(rest));
    if (!factQuestion) {
      const alsoFact = ELIGIBILITY_FACTS.find(([, re]) => re.test(whole))?.[0];
      const amongAsked = !targetCandidate && among && among.ids.length >= 2 ? { among } : {};
      // "区培能报啥" limits the list; "想报区培高中骨干" names a sub-project, and what else fits still matters
      const onlyPlan = !targetCandidate && !amongAsked.among && !found.exact ? planIn(whole) : undefined;
      return {
        kind: "eligibility",
        profile,
        notes,
        ...(targetCandidate ? { target: targetCandidate } : {}),
        ...amongAsked,
        ...(alsoFact ? { alsoFact } : {}),
        ...(onlyPlan ? { plan: onlyPlan } : {}),
        ...(supposed && told ? { supposed: { said: supposed, actual: told } } : {}),
      };
    }
  }
  if (asksEligibility && !hasProfile(profile) && !top) return { kind: "command", command: "eligibility" };

  if (!top || (!found.exact && topic?.subProjectId)) {
    // a follow-up: a fact question about the sub-project just discussed ("详细说说" shows its card)
    let fact = MORE.test(whole) ? "overview" : factKindOf(whole);
    if (topic?.subProjectId && fact === "overview" && MORE.test(whole)) {
      return { kind: "fact", fact, candidates: [{ subProjectId: topic.subProjectId, score: 0 }], confident: true, fromContext: true };
    }
    // "那异步在线呢": a part of the schedule of the sub-project just discussed
    const topicSp = subProject(ctx.knowledge, topic?.subProjectId);
    if (topicSp && fact === "overview" && FOLLOW_UP.test(whole) && namedDuration(whole, scheduleOf(topicSp, findRow(topicSp, topic?.rowId)))) fact = "schedule";
    // after a list with several fitting sub-projects, "这个培训几天" does not say which: offer them
    // "这两个培训分别多少天" after a list of two: both, side by side
    if (topic?.among && topic.among.length === 2 && fact !== "overview" && /这两个|两个都|分别|各自|各是/.test(whole)) {
      return { kind: "plan", question: { ask: "compare", ids: [topic.among[0]!, topic.among[1]!] } };
    }
    if (topic?.among && topic.among.length > 1 && fact !== "overview") {
      return { kind: "fact", fact, candidates: topic.among.map((id) => ({ subProjectId: id, score: 0 })), confident: false };
    }
    if (topic?.subProjectId && fact !== "overview") {
      const sp = subProject(ctx.knowledge, topic.subProjectId)!;
      const durationId = namedDuration(whole, scheduleOf(sp, findRow(sp, topic.rowId)));
      // "计划多少人 几天": every fact the follow-up asks
      const also = alsoAsked(raw, fact);
      return {
        kind: "fact",
        fact,
        candidates: [{ subProjectId: sp.id, score: 0, ...(topic.rowId ? { rowId: topic.rowId } : {}) }],
        confident: true,
        fromContext: true,
        ...(durationId ? { durationId } : {}),
        ...(also.length ? { also } : {}),
      };
    }
    const shared = top ? [] : sharedNameCandidates(ctx.knowledge, whole);
    if (shared.length > 1 && fact !== "overview") return { kind: "fact", fact, candidates: shared, confident: false };
    // "培训多少天", "研修几天": a fact asked of no sub-project, with nothing discussed before: ask which
    if (!top && !topic?.subProjectId && fact !== "overview") return { kind: "which", fact };
    if (!top) return { kind: "unknown" };
  }

  const fact = asksEligibility && !hasProfile(profile) ? "audience" : factKindOf(rest);
  const sp = subProject(ctx.knowledge, top.subProjectId)!;
  const durationId = namedDuration(rest, scheduleOf(sp, findRow(sp, top.rowId)));
  const kind = durationId && fact === "overview" ? "schedule" : fact;
  const also = alsoAsked(raw, kind);
  // "校园长研修多少人": a word several names share (骨干校园长, 优秀校园长), and nothing exact: offer them
  const shared = found.exact || topic?.subProjectId ? [] : sharedNameCandidates(ctx.knowledge, whole, true);
  if (shared.length > 1 && shared.some((c) => c.subProjectId === top.subProjectId)) {
    return { kind: "fact", fact: kind, candidates: shared, confident: false };
  }
  return {
    kind: "fact",
    fact: kind,
    candidates: found.candidates,
    confident: found.confident,
    ...(durationId ? { durationId } : {}),
    ...(also.length ? { also } : {}),
  };
}

/**
 * Head-counts of parts attended by their own group (自主选学指导团队 30人, 全员教师 500人): a count is that
 * group's when the words before it name the group; a single unnamed count is kept as \`people\`, which those
 * parts never reuse (the calculator then asks for each group).
 */
function withGroups(q: BudgetQuantities, raw: string, billed: Duration[]): BudgetQuantities {
  const groups = billed.filter((d) => d.who);
  if (!groups.length) return q;
  const counts = findQuantities(raw).filter((x) => x.kind === "people");
  const byDuration = claimCounts(raw, counts, counts, groups.map((g) => ({ id: g.id, name: compact(g.who!).replace(/教师|老师/g, "") })));
  if (!Object.keys(byDuration).length) return q;
  const { people: _unnamed, ...rest } = q;
  return { ...rest, peopleByDuration: { ...q.peopleByDuration, ...byDuration } };
}

/**
 * Head-counts of several rows of one sub-project ("名师示范 统编教材20人 新课标30人"): a count is a row's when the
 * words since the previous count name that row best. Counts that no group or row claims, when there are two or
 * more, are kept as `unplacedCounts`, so the calculator asks rather than bill one of them for all.
 */
function withRows(q: BudgetQuantities, raw: string, sp: SubProject, v: Vocabulary, rowId?: string): BudgetQuantities {
  const counts = findQuantities(raw).filter((x) => x.kind === "people");
  const claimed = Object.values(q.peopleByDuration ?? {});
  const free = counts.filter((x) => !claimed.includes(x.value));
  if (free.length < 2) return q;
  // the row named, and a count for each of its own groups ("统编教材 小学语文30人 初中历史10人", "新课标示范研修 初中化学25人
  // 小学科学15人"): one row's people, though a group's stage word (小学) is in another row's name too
  const row = sp.rows.find((r) => r.id === rowId);
  const summed = { people: free.reduce((a, x) => a + x.value, 0), peopleParts: free.map((x) => x.value) };
  if (row && teachersOfRow(raw, counts, free, row, v)) return { ...q, ...summed };
  // the words every row label shares (示范研修) tell no row apart
  const labels = sp.rows.map((r) => compact(r.label));
  const shared = labels.reduce((a, b) => longestCommon(a, b));
  const byRow = claimCounts(raw, counts, free, sp.rows.map((r, i) => ({ id: r.id, name: shared.length >= 2 ? labels[i]!.replace(shared, "") : labels[i]! })));
  if (Object.keys(byRow).length === free.length) return { ...q, peopleByRow: byRow };
  // groups the rows' audiences name, all billed alike, add up: one row ("高中校长领导力 校长40人 书记20人") or
  // rows with the same rates ("骨干校园长研修 园长15人 中学校长25人", "紧缺领域 劳动教育30人 书法20人")
  const audiences = compact(sp.rows.map((r) => `${r.label}${r.audience.text}`).join(""));
  if ((sp.rows.length === 1 || billedAlike(sp)) && groupsOfRow(raw, counts, free, audiences)) {
    return { ...q, ...summed, ...(sp.rows.length > 1 ? { acrossRows: true } : {}) };
  }
  return { ...q, unplacedCounts: free.map((x) => x.value) };
}

/**
 * "两个县 每县指导团队30人": head-counts per county or school, times the places, for a sub-project billed by head
 * (one billed per county or school keeps its places).
 */
function timesPlaces(q: BudgetQuantities, whole: string, billsPlaces: boolean): BudgetQuantities {
  const unit: PerPlace["unit"] | undefined = /每(个)?(县|县市)/.test(whole) ? "县" : /每(个|所)?(校|学校|所)/.test(whole) ? "校" : undefined;
  const places = unit === "县" ? q.counties : unit === "校" ? q.schools : undefined;
  if (billsPlaces || !unit || places === undefined || places < 2) return q;
  const times = (r: Record<string, number> | undefined) => (r ? Object.fromEntries(Object.entries(r).map(([k, n]) => [k, n * places])) : undefined);
  const { counties: _c, schools: _s, ...rest } = q;
  const people = q.people !== undefined ? { people: q.people * places, perPlace: { places, each: q.people, unit } } : {};
  const byDuration = times(q.peopleByDuration);
  const byRow = times(q.peopleByRow);
  return { ...rest, ...people, ...(byDuration ? { peopleByDuration: byDuration } : {}), ...(byRow ? { peopleByRow: byRow } : {}) };
}

/** Whether the words before each of `free` name a stage or subject, none of which the row's conditions rule out. */
function teachersOfRow(raw: string, counts: Quantity[], free: Quantity[], row: AudienceRow, v: Vocabulary): boolean {
  return countsWithWords(raw, counts).every(({ count, said }) => {
    if (!free.includes(count)) return true;
    const group = extractProfile(said, v);
    const placed = group.stage !== undefined || (group.subjects?.length ?? 0) > 0;
    return placed && !row.conditions.some((c) => (c.field === "stage" || c.field === "subjects") && checkCondition(c, group) === "fail");
  });
}

/** Whether the words before each of `free` (since the previous count) name a group of the row's audience. */
function groupsOfRow(raw: string, counts: Quantity[], free: Quantity[], audience: string): boolean {
  return countsWithWords(raw, counts).every(({ count, said }) => !free.includes(count) || commonRun(said, audience) >= 2);
}

/** Each count with the words typed since the previous one ("团队50人 全员1000人": 团队 for 50, 全员 for 1000), compacted. */
function countsWithWords(raw: string, counts: Quantity[]): { count: Quantity; said: string }[] {
  const text = normalize(raw);
  let prevEnd = 0;
  return counts.map((count) => {
    const said = compact(text.slice(prevEnd, count.start));
    prevEnd = count.end;
    return { count, said };
  });
}

/**
 * Which named thing (a group, a row) each count belongs to: the words since the previous count name it ("团队50人
 * 全员1000人"). Each of `claimable` goes to the best-matching thing not yet counted, and only to a clear best.
 */
function claimCounts(raw: string, counts: Quantity[], claimable: Quantity[], named: { id: string; name: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { count: x, said } of countsWithWords(raw, counts)) {
    if (!claimable.includes(x)) continue;
    const scored = named
      .filter((t) => out[t.id] === undefined)
      .map((t) => ({ t, n: commonRun(said, t.name) }))
      .sort((p, r) => r.n - p.n);
    const best = scored[0];
    if (best && best.n >= 2 && (scored[1]?.n ?? 0) < best.n) out[best.t.id] = x.value;
  }
  return out;
}

/** The last clause's "X(我)能报吗": X is what is asked about; what stands before it describes the person. */
const TARGET_BEFORE_Q =
  /^(.+?)(?:我们|我|本人|俺|咱)?(?:也|还)?(?:(?:能不能|可不可以|能否|可以|能|可)(?:被)?(?:报名|报|参加|参训|申请|申报|优先推荐|去)|(?:够|符合)(?:格|条件|资格|要求)|有资格)(?:吗|么|不|呢|嘛)?$/;
/** A fact question ending a message after "能报吗" (要去几天, 培训多久). */
const TRAILING_FACT = /(要|需要|得)?(去|培训|学习|研修)?(几天|多少天|多久|多长时间|多少钱|多少人)(呢|啊)?$/;
/** Words between the name and the question that say nothing (这个培训, 的话). */
const TARGET_TAIL = /(这个|这项|那个|的话|的)?(培训|项目|研修|培训项目)?$/;
/** The name is what the person is ("我是县级骨干教师能报吗"), not what they ask about. */
const COPULA_END = /(是|当|任|做|为|属于|作为|担任)$/;

/**
 * The sub-project named at the end of the last clause, right before "能报吗/能参加吗" ("…新课程新教材能报吗"),
 * and the text before it (the person). The longest name or alias that the clause ends with decides.
 */
function nameBeforeQuestion(k: Knowledge, raw: string): { subProjectId: string; person: string; asked: string } | undefined {
  const clauses = clausesOf(raw);
  // the last clause that asks (a fact clause may follow: "县骨能报吗 培训多少天"); a fact asked after it in the
  // same run of words ("…我能报吗要去几天") is answered on its own
  const at = clauses.map((c) => TARGET_BEFORE_Q.test(compact(c).replace(TRAILING_FACT, ""))).lastIndexOf(true);
  if (at < 0) return undefined;
  const last = compact(clauses[at]!).replace(TRAILING_FACT, "");
  const m = TARGET_BEFORE_Q.exec(last)!;
  const head = m[1]!.replace(TARGET_TAIL, "");
  let best: { id: string; len: number } | undefined;
  for (const sp of k.subProjects) {
    for (const n of [sp.name, sp.tableName ?? "", ...sp.aliases]) {
      const c = compact(n);
      // an alias that names a person (高中书记, 高中校长) says who is asking, not what about
      if (c.length >= 2 && head.endsWith(c) && !PERSON_END.test(c) && c.length > (best?.len ?? 0)) best = { id: sp.id, len: c.length };
    }
  }
  if (!best) return undefined;
  const personInClause = head.slice(0, head.length - best.len);
  if (COPULA_END.test(personInClause)) return undefined;
  const person = [...clauses.slice(0, at).map(compact), personInClause, ...clauses.slice(at + 1).map(compact)].join("，");
  return { subProjectId: best.id, person, asked: last.slice(personInClause.length) };
}

/** The words that name a list of a sub-project: 项目县, 项目学校 (place words such as 南疆 or 示范校 do not). */
const LIST_WORDS = /项目县|项目学校|项目校|试点学校|试点项目学校/;
/** A list of project counties or schools said not to include the person's ("不是…的项目县", "不在…项目学校里"). */
const LIST_DENIED = /(不是|不在|不属于|并非|没(有)?(入选|列入|进))[^，。,.]{0,12}(项目县|项目学校|项目校|试点学校|试点项目学校)/;

/**
 * "我们县是县域教师发展支持服务体系建设项目县": naming a sub-project together with its list word says the writer
 * is on that list (as "我们县是乡村振兴巩固提升县" does). The list tag, when the named sub-projects use exactly one.
 */
function assertedMembership(k: Knowledge, named: string[], whole: string): string | undefined {
  if (!named.length || !LIST_WORDS.test(whole)) return undefined;
  const tags = new Set(
    named.flatMap((id) => subProject(k, id)?.rows.flatMap((r) => r.conditions.flatMap((c) => (c.field === "projects" ? c.anyOf : []))) ?? []),
  );
  return tags.size === 1 ? [...tags][0] : undefined;
}

/** Facts a self-description may also ask about ("…能报吗 要去几天"): words no profile is made of. */
const ELIGIBILITY_FACTS: [FactKind, RegExp][] = [
  ["schedule", /几天|多少天|多久|多长时间|培训时间|学时/],
  ["funding", /经费|多少钱|费用标准/],
  ["quota", /多少人|几个人|名额|招多少/],
];

/** A message that introduces the writer afresh ("我是…"), where one that goes on adds to what was said. */
const SELF_INTRO = /^(我是|本人是|我现在是)/;

/** Words that add a post to the person already described ("我也是党支部书记", "同时兼任书记"). */
const ALSO_HOLDS = /也是|也当|也担任|还是|还当|还担任|同时(也|还)?(是|担任|兼)|兼任|还兼|也兼/;

/**
 * The years of each post told so far, to add to: told post by post, each post's own; else the overall years are the
 * first post's.
 */
function yearsByPost(p: Profile): Partial<Record<Role, number>> {
  return { ...(p.postYearsByRole ?? (p.postYears !== undefined && p.role ? { [p.role]: p.postYears } : {})) };
}

/** The person as before, holding a second post with its own years (a role condition passes on either). */
function holdingBoth(before: Profile, said: Profile, second: Role): Profile {
  const years = yearsByPost(before);
  if (said.postYears !== undefined) years[second] = said.postYears;
  const positions = [...new Set([...(before.positions ?? []), ...(said.positions ?? [])])];
  return {
    ...before,
    ...(said.stage && !before.stage ? { stage: said.stage } : {}),
    alsoRoles: [...new Set([...(before.alsoRoles ?? []), second])],
    ...(Object.keys(years).length ? { postYearsByRole: years } : {}),
    ...(positions.length ? { positions } : {}),
  };
}

/**
 * The person as before, with the years of one of the posts they hold: that post's if the message names one they
 * hold, else those of the posts whose years were not told yet. Undefined when the message is not that.
 */
function yearsOfHeldPost(before: Profile, said: Profile): Profile | undefined {
  if (said.postYears === undefined || said.alsoRoles || !before.alsoRoles?.length) return undefined;
  const roles = rolesOf(before);
  const years = yearsByPost(before);
  const untold = said.role ? (roles.includes(said.role) ? [said.role] : []) : before.postYearsByRole ? roles.filter((r) => years[r] === undefined) : [];
  if (!untold.length) return undefined;
  for (const r of untold) years[r] = said.postYears;
  return { ...before, ...(said.stage && !before.stage ? { stage: said.stage } : {}), postYearsByRole: years, postYears: before.postYears ?? said.postYears };
}

/** Someone else is described ("我同事是…", "他能报什么"; not the 他 of 其他): nothing carries over from the writer's profile. */
const OTHER_PERSON = /同事|朋友|爱人|老婆|老公|(?<!其)[他她]|别人|另一位|另一个老师/;

/** Words that make a text a question rather than a statement. */
const QUESTIONISH = /[?？]|吗|么|几|多少|什么|哪|啥|怎么|如何|是否|多久|多长/;

/** Asking for more about what was just discussed. */
const MORE = /^(请)?(详细|具体|详情|展开|更多|再)(说说|讲讲|介绍|一点|点|一些|些|看看|情况)?|^(介绍一下|说说|讲讲)(这个|它|吧)?$/;

/** A question that leans on what was said before: 那…, 这个…, or no subject at all. */
const FOLLOW_UP = /^(那|那么|这个|这|它|该项目|此项目|那个)|呢$/;

/** Institutions (院校, 培训机构) speaking for themselves. */
const INSTITUTION = /(学院|大学|院校|高校|培训机构|进修学校|教师发展中心|教师培训中心|我们单位|我单位|本单位|我校)/;

/** Words inside several sub-project names (骨干教师, 园长): those sub-projects are the candidates. */
function sharedNameCandidates(k: Knowledge, whole: string, strict = false): Candidate[] {
  const fillers = new Set(k.vocabulary.fillers);
  // strict: only a short shared word; a long run of one name typed with a slip ("县级古干教师学科育人能力提升研修")
  // is that name, which fuzzy matching settles
  if (strict && k.subProjects.some((sp) => [sp.name, ...sp.aliases].some((n) => longestCommon(whole, compact(n)).length >= 6))) return [];
  const segmented = words(whole).filter((w) => [...w].length >= 2 && !fillers.has(w) && !/多少|几天|几年|时间|经费|标准|人数/.test(w));
  // "园长研修要去几天": a role word named as a training is the shared term (骨干园长, 优秀园长); the segmenter splits 园长
  const roleWord = k.vocabulary.roles.flatMap((r) => r.synonyms).filter((w) => [...w].length >= 2 && whole.includes(w)).sort((a, b) => b.length - a.length)[0];
  const roleTraining = roleWord !== undefined && /^(研修|培训)/.test(whole.slice(whole.indexOf(roleWord) + roleWord.length));
  const terms = roleTraining ? [roleWord] : segmented;
  if (!terms.length) return [];
  const hits = k.subProjects.filter((sp) => terms.every((t) => [sp.name, sp.tableName ?? "", ...sp.aliases].some((n) => n.includes(t))));
  return hits.length >= 2 && hits.length <= 6 ? hits.map((sp) => ({ subProjectId: sp.id, score: 0.5 })) : [];
}

/** Names and aliases of the sub-projects a message names, so their words are not reported as unknown. */
function matchedNames(k: Knowledge, ids: string[]): string[] {
  return ids.flatMap((id) => {
    const sp = subProject(k, id);
    return sp ? [sp.name, sp.tableName ?? "", ...sp.aliases].filter(Boolean) : [];
  });
}

/** "我是小学老师，怎么报名" is a process question from a person; the answer is the same, but keep the profile path for 能报什么. */
function SELF_WITH_PROFILE(raw: string, v: Vocabulary): boolean {
  const whole = compact(raw);
  const clause = eligibilityClause(raw);
  // "能报什么", or "能报县骨吗" with another clause about how to apply: the verdict answers both (it says who recommends)
  return clause !== undefined && hasProfile(readProfile(whole, v).profile) && (/(什么|哪|啥)/.test(clause) || clause !== compact(whole));
}

/** The clause that asks "may I take part": the whole message, else the last of its clauses that does (compact). */
function eligibilityClause(raw: string): string | undefined {
  const whole = compact(raw);
  if (ELIGIBILITY_Q.test(whole)) return whole;
  // "…我能报吗要去几天": the question before a trailing fact question
  const untailed = whole.replace(TRAILING_FACT, "");
  if (untailed !== whole && ELIGIBILITY_Q.test(untailed)) return untailed;
  const clauses = clausesOf(raw).map(compact);
  return clauses.length > 1 ? clauses.filter((c) => ELIGIBILITY_Q.test(c)).at(-1) : undefined;
}
