/**
 * Answers about the plans as a whole (categories, how many sub-projects, totals, which run 3-year cycles, which
 * were set up in 2023, 国培 vs 区培, one sub-project against another), how to take part, what the guide does not
 * say, and a bare number typed outside a form. Pure: text and outcome, each fact from knowledge/ with its place.
 */
import { describeDuration } from "../domain/budget.js";
import { checkCondition } from "../domain/eligibility.js";
import { compact } from "../domain/text.js";
import { groupDigits } from "../domain/money.js";
import type { AudienceRow, Knowledge, Plan, SubProject } from "../knowledge/schema.js";
import type { Profile } from "../domain/profile.js";
import type { PlanQuestion } from "../nlu/types.js";
import { citeLine, inferredMark } from "./cite.js";
import { escapeHtml as e } from "./html.js";
import type { Outcome } from "./outcome.js";

export interface PlainAnswer {
  text: string;
  outcome: Outcome;
}

/** Where to ask what the guide leaves open. */
export const ASK_OFFICE = "请向推荐单位（学校或县市教育局）或项目办（项目管理部门）咨询。";

function plans(k: Knowledge, plan?: Plan) {
  return k.plans.filter((p) => !plan || p.id === plan);
}

/**
 * Which sub-project rows are for a person described by post and stage: none of the row's role and stage conditions
 * fails on what was said, and a post asked about (德育主任) is one the row names, not merely not excluded (正职 comes
 * with 园长, not asked). `who` names the person for the heading.
 */
function forPerson(k: Knowledge, profile: Profile) {
  const posts = (profile.positions ?? []).filter((x) => x !== "正职");
  const postNamed = (r: AudienceRow) => !posts.length || r.conditions.some((c) => c.field === "positions" && checkCondition(c, { ...profile, positions: posts }) === "pass");
  const rowFits = (r: AudienceRow) => postNamed(r) && r.conditions.every((c) => (c.field !== "role" && c.field !== "stage") || checkCondition(c, profile) !== "fail");
  const post = posts.map((x) => k.vocabulary.positions.find((p) => p.id === x)?.label ?? x).join("、");
  // a 校长/园长 with a stage is one of the two (幼儿园园长, 高中校长)
  const head = profile.role === "principal" && profile.stage ? (profile.stage === "幼儿园" ? "园长" : "校长") : undefined;
  const who = post || [profile.stage, head ?? (profile.role ? k.vocabulary.roles.find((r) => r.id === profile.role)?.label : undefined)].filter(Boolean).join("");
  return { rowFits, fitsRow: (s: SubProject) => s.rows.some(rowFits), who };
}

/** The first 实施单位 cell of a sub-project's rows that names every word, with its merged-cell mark. */
function implementerCell(s: SubProject, words: string[]): string | undefined {
  const cell = s.rows.find((r) => r.implementer && words.every((w) => r.implementer!.text.includes(w)))?.implementer;
  return cell && `${cell.text}${inferredMark(cell.cite)}`;
}

/** "3年周期性", "1年短期": a cycle length as the guide's titles say it. */
const cycleName = (years: number) => `${years}年${years > 1 ? "周期性" : "短期"}`;

function ofPlan(k: Knowledge, plan: Plan): SubProject[] {
  return k.subProjects.filter((s) => s.plan === plan);
}

/** 国培 or 区培, as a list line says it. */
const planShort = (plan: Plan) => (plan === "guopei" ? "国培" : "区培");

/**
 * The head-count a sub-project plans to train (its quotas in 人; those counted by 县 or 校 are not people): 0 means
 * it gives none, as quotas are positive, so "has a head-count" is `plannedPeople(s) > 0` everywhere.
 */
const plannedPeople = (s: SubProject) => s.quota.filter((x) => x.unit === "人").reduce((n, x) => n + x.value, 0);

function list(sps: SubProject[]): string {
  return sps.map((s) => `• ${e(s.name)}（${planShort(s.plan)}）`).join("\n");
}

const answer = (text: string, ids: string[], topic: Outcome["topic"] = "plan"): PlainAnswer => ({
  text,
  outcome: { kind: "answer", topic, subProjects: ids.map((id) => ({ id })) },
});

export function planAnswer(k: Knowledge, q: PlanQuestion): PlainAnswer {
  switch (q.ask) {
    case "categories": {
      const out = plans(k, q.plan).map((p) => {
        const sps = ofPlan(k, p.id);
        const cats = p.categories
          .map((c) => {
            const of = sps.filter((s) => s.category === c.id);
            return `${e(c.no)}${e(c.name)}（${of.length}个子项目${of.length === 1 && of[0]!.name === c.name ? "" : `：${of.map((s) => e(s.name)).join("、")}`}）`;
          })
          .join("\n");
        return `<b>${e(p.name)}</b>：${e(p.intro.text)}\n${cats}\n${citeLine(p.intro.cite)}`;
      });
      return answer(out.join("\n\n"), []);
    }
    case "subprojects": {
      const out = plans(k, q.plan).map((p) => {
        const sps = ofPlan(k, p.id);
        const byCat = p.categories.map((c) => `${e(c.no)}${e(c.name)}：${sps.filter((s) => s.category === c.id).length}个`).join("\n");
        return `<b>${e(p.name)}</b>共 <b>${sps.length}个子项目</b>（按正文各类所设子项目合计）：\n${byCat}`;
      });
      if (!q.plan) out.push(`两个计划合计 <b>${k.subProjects.length}个子项目</b>。`);
      return answer(out.join("\n\n"), []);
    }
    case "quota": {
      // "区培三年周期项目一共多少人": only the sub-projects of that cycle length
      const ofCycle = (sp: SubProject) => q.years === undefined || sp.cycle.years === q.years;
      const ofCycleTitle = q.years === undefined ? "" : ` · ${cycleName(q.years)}项目`;
      const parts = plans(k, q.plan)
        .map((p) => ({ p, sps: ofPlan(k, p.id).filter(ofCycle) }))
        .filter((x) => x.sps.length || q.plan);
      if (!parts.some((x) => x.sps.length)) return { text: `指南中没有${q.years}年周期的子项目。`, outcome: { kind: "answer", topic: "plan", subProjects: [] } };
      const sums = parts.map(({ sps }) => sps.reduce((n, s) => n + plannedPeople(s), 0));
      const out = parts.map(({ p, sps }, i) => {
        const people = sps.filter((s) => plannedPeople(s) > 0);
        const none = sps.filter((s) => plannedPeople(s) === 0);
        const lines = people.map((s) => `• ${e(s.name)}：${s.quota.filter((x) => x.unit === "人").map((x) => `${x.value}人`).join("、")}`);
        const rest = none.length ? `\n未给出培训人数：${none.map((s) => e(s.name)).join("、")}` : "";
        return `<b>${e(p.name)}${ofCycleTitle}</b>：指南未直接给出总人数；各子项目计划培训人数合计 <b>${groupDigits(sums[i]!)}人</b>：\n${lines.join("\n")}${rest}`;
      });
      if (!q.plan && parts.length > 1) out.push(`两个计划${q.years === undefined ? "" : `的${cycleName(q.years)}项目`}合计 <b>${groupDigits(sums.reduce((a, b) => a + b, 0))}人</b>（各子项目计划培训人数之和）。`);
      return answer(out.join("\n\n"), parts.flatMap((x) => (q.years === undefined ? [] : x.sps.map((s) => s.id))));
    }
    case "cycle": {
      const sps = k.subProjects.filter((s) => s.cycle.years === q.years && (!q.plan || s.plan === q.plan));
      if (!sps.length) return { text: `指南中没有${q.years}年周期的子项目。`, outcome: { kind: "answer", topic: "plan", subProjects: [] } };
      return answer(`<b>${cycleName(q.years)}项目</b>（${sps.length}个）：\n${list(sps)}\n📖 出处：正文各子项目标题括注`, sps.map((s) => s.id));
    }
    case "established": {
      const sps = k.subProjects.filter((s) => s.established.year === q.year && (!q.plan || s.plan === q.plan));
      if (!sps.length) {
        // say when those there are were set up ("区培计划的6个子项目：2024年新设")
        const of = k.subProjects.filter((s) => !q.plan || s.plan === q.plan);
        const labels = [...new Set(of.map((s) => s.established.label))].map(e).join("、");
        return { text: `${q.plan ? e(plans(k, q.plan)[0]!.name) : "指南"}中没有${q.year}年设立的子项目（其${of.length}个子项目：${labels}）。\n📖 出处：正文各子项目标题括注`, outcome: { kind: "answer", topic: "plan", subProjects: [] } };
      }
      return answer(`<b>${q.year}年设立的子项目</b>（${sps.length}个）：\n${sps.map((s) => `• ${e(s.name)}：${e(s.established.label)}`).join("\n")}\n📖 出处：正文各子项目标题括注`, sps.map((s) => s.id));
    }
    case "funding": {
      const funded = (s: SubProject) => s.rows.some((r) => "rates" in r.funding);
      const sps = k.subProjects.filter((s) => funded(s) === q.given);
      if (!q.given) return answer(`<b>指南未给出培训经费标准的子项目</b>（${sps.length}个）：\n${list(sps)}\n本助手不为这些项目估算预算。`, sps.map((s) => s.id), "funding");
      const others = k.subProjects.length - sps.length;
      // 书记研修, 依法治校: their own cells are blank; the standard is read from a merged cell above
      const rates = (s: SubProject) => s.rows.flatMap((r) => ("rates" in r.funding ? r.funding.rates : []));
      const inferred = (s: SubProject) => rates(s).every((x) => x.cite.inferred);
      const lines = sps.map((s) => `• ${e(s.name)}（${planShort(s.plan)}）${inferred(s) ? "：本栏为空，据合并单元格推定" : ""}`);
      return answer(
        `<b>指南给出培训经费标准的子项目</b>（${sps.length}个）：\n${lines.join("\n")}\n其余${others}个子项目指南未给出标准。要看某个项目的标准，发送例如“县骨经费标准”。\n📖 出处：附件2 各子项目培训经费标准栏`,
        sps.map((s) => s.id),
        "funding",
      );
    }
    case "list": {
      const p = k.plans.find((x) => x.id === q.plan)!;
      const sps = ofPlan(k, p.id);
      const lines = p.categories.map((c) => `${e(c.no)}${e(c.name)}\n${sps.filter((s) => s.category === c.id).map((s) => `  • ${e(s.name)}`).join("\n")}`);
      return answer(`<b>${e(p.name)}</b>（${sps.length}个子项目）：\n${lines.join("\n")}\n${citeLine(p.intro.cite)}`, sps.map((s) => s.id));
    }
    case "plans": {
      const out = k.plans.map((p) => `<b>${e(p.name)}</b>：${e(p.intro.text)}（${ofPlan(k, p.id).length}个子项目）\n${citeLine(p.intro.cite)}`);
      return answer(`国培计划与区培计划的区别：\n\n${out.join("\n\n")}`, []);
    }
    case "implementer": {
      const found = k.subProjects.flatMap((s) => {
        const cell = implementerCell(s, q.words);
        return cell ? [{ s, cell }] : [];
      });
      if (!found.length) return { text: `附件2的实施单位栏中没有写“${e(q.words.join("、"))}”的子项目。`, outcome: { kind: "answer", topic: "implementer", subProjects: [] } };
      const lines = found.map(({ s, cell }) => `• ${e(s.name)}：${e(cell)}`);
      return answer(`<b>实施单位写有“${e(q.words.join("、"))}”的子项目</b>（${found.length}个）：\n${lines.join("\n")}\n📖 出处：附件2 各子项目实施单位栏`, found.map(({ s }) => s.id), "implementer");
    }
    case "largest": {
      const sps = k.subProjects.filter((s) => (!q.plan || s.plan === q.plan) && plannedPeople(s) > 0);
      const ranked = [...sps].sort((a, b) => (q.least ? plannedPeople(a) - plannedPeople(b) : plannedPeople(b) - plannedPeople(a)));
      const top = ranked[0];
      const most = q.least ? "最少" : "最多";
      const tied = top ? ranked.filter((s) => plannedPeople(s) === plannedPeople(top)) : [];
      if (!top) return { text: "指南未给出培训人数。", outcome: { kind: "answer", topic: "quota", subProjects: [] } };
      const lines = ranked.slice(0, 3).map((s) => `• ${e(s.name)}：${groupDigits(plannedPeople(s))}人`);
      const quotaCite = top.quota.find((x) => x.unit === "人")!.cite;
      return answer(
        `${q.plan ? `<b>${e(plans(k, q.plan)[0]!.name)}</b>中` : ""}计划培训人数${most}的是 <b>${tied.map((s) => e(s.name)).join("、")}</b>（${groupDigits(plannedPeople(top))}人${tied.length > 1 ? "，并列" : ""}）。前三位：\n${lines.join("\n")}\n${citeLine(quotaCite)}\n（按正文各子项目的计划培训人数；以县、校计或未写人数的项目不在比较之列。）`,
        tied.map((s) => s.id),
        "quota",
      );
    }
    case "schedulePart": {
      // a shorter label inside the word asked counts too ("异步在线" for "异步在线学习")
      const named = (label: string) => label.includes(q.word) || (label.length >= 4 && q.word.includes(label));
      const parts = (s: SubProject) => [...s.schedule, ...s.rows.flatMap((r) => r.schedule ?? [])].filter((d) => named(compact(d.label)));
      const sps = k.subProjects.filter((s) => parts(s).length);
      // one line per length: the prose's 异步在线学习50学时 and 附件2's 异步在线50学时 are the same part
      const distinct = (s: SubProject) => [...new Map(parts(s).map((d) => [describeDuration(d), `${d.label}${describeDuration(d)}`])).values()];
      const lines = sps.map((s) => `• ${e(s.name)}：${distinct(s).map(e).join("、")}`);
      // "哪些项目要去区外": the 实施单位 cells that name the word too, said as who implements, not where trainees go
      const byImplementer = k.subProjects.filter((s) => !sps.includes(s) && implementerCell(s, [q.word]));
      const also = byImplementer.length
        ? `\n\n另：实施单位栏写有“${e(q.word)}”的子项目（${byImplementer.length}个；这是由谁实施，指南未说明学员是否前往）：\n${byImplementer.map((s) => `• ${e(s.name)}：${e(implementerCell(s, [q.word])!)}`).join("\n")}\n📖 出处：附件2 各子项目实施单位栏`
        : "";
      return answer(`<b>培训时间中含“${e(q.word)}”的子项目</b>（${sps.length}个）：\n${lines.join("\n")}\n📖 出处：正文各子项目培训时间、附件2 培训周期栏${also}`, [...sps, ...byImplementer].map((s) => s.id), "schedule");
    }
    case "condition": {
      const texts = (s: SubProject) => [s.audience.text, ...s.rows.flatMap((r) => r.conditions.map((c) => c.text))];
      const sps = k.subProjects.filter((s) => texts(s).some((t) => compact(t).includes(q.phrase)));
      const lines = sps.map((s) => `• ${e(s.name)}：${e(texts(s).find((t) => compact(t).includes(q.phrase))!)}`);
      return answer(`<b>培训对象或遴选条件中写有“${e(q.phrase)}”的子项目</b>（${sps.length}个）：\n${lines.join("\n")}\n📖 出处：正文各子项目培训对象、附件2 遴选条件栏`, sps.map((s) => s.id), "audience");
    }
    case "audience": {
      const { fitsRow, rowFits, who } = forPerson(k, q.profile);
      const sps = k.subProjects.filter((s) => (!q.plan || s.plan === q.plan) && fitsRow(s));
      const rowsOf = (s: SubProject) => (s.rows.length > 1 ? `：${s.rows.filter(rowFits).map((r) => e(r.label)).join("、")}` : "");
      if (!sps.length) return { text: `${q.plan ? e(plans(k, q.plan)[0]!.name) : "指南"}中没有面向${e(who)}的子项目。`, outcome: { kind: "answer", topic: "audience", subProjects: [] } };
      return answer(
        `<b>面向${e(who)}的子项目</b>（${sps.length}个，按附件2各行的培训对象；能否参加还看教龄、学科、任职年限等，可发送“我是…”自测）：\n${sps.map((s) => `• ${e(s.name)}（${planShort(s.plan)}）${rowsOf(s)}`).join("\n")}\n📖 出处：附件2 各子项目培训对象、遴选条件栏`,
        sps.map((s) => s.id),
        "audience",
      );
    }
    case "category": {
      const plan = k.plans.find((p) => p.categories.some((c) => c.id === q.category))!;
      const cat = plan.categories.find((c) => c.id === q.category)!;
      const all = ofPlan(k, plan.id).filter((s) => s.category === cat.id);
      const sps = q.years ? all.filter((s) => s.cycle.years === q.years) : all;
      const quota = (s: SubProject) => (s.quota.length ? `计划培训${s.quota.map((x) => `${x.value}${x.unit === "人" ? "人" : x.unit === "县" ? "个县" : "所学校"}`).join("、")}` : "未写明计划培训人数");
      const lines = sps.map((s) => `• ${e(s.name)}：${s.cycle.years}年${e(s.cycle.kind)}项目，${e(s.established.label)}，${quota(s)}`);
      const head = `<b>${e(plan.name)}${e(cat.no)}${e(cat.name)}</b>${q.years ? `中${cycleName(q.years)}项目${sps.length}个（本类共${all.length}个子项目）` : `共${all.length}个子项目`}：`;
      const out = [head, ...lines];
      if (q.total) {
        const counted = sps.filter((s) => plannedPeople(s) > 0);
        const missing = sps.filter((s) => plannedPeople(s) === 0);
        const sum = counted.reduce((n, s) => n + plannedPeople(s), 0);
        out.push(
          `计划培训人数合计 <b>${groupDigits(sum)}人</b>（${counted.map((s) => groupDigits(plannedPeople(s))).join(" + ")}，各子项目计划人数之和）${missing.length ? `；${missing.map((s) => e(s.name)).join("、")}以县、校计或未写明人数，未计入` : ""}。`,
        );
      }
      out.push(citeLine(cat.cite));
      return answer(out.join("\n"), sps.map((s) => s.id));
    }
    case "amount": {
      const has = (label: string) => !q.word || compact(label).includes(q.word);
      if (q.what === "duration") {
        const parts = (s: SubProject) =>
          [...s.schedule, ...s.rows.flatMap((r) => r.schedule ?? [])].filter((d) => d.unit === q.unit && has(d.label) && (d.value === q.value || (d.bound === "range" && d.max !== undefined && d.value <= q.value && q.value <= d.max)));
        const sps = k.subProjects.filter((s) => parts(s).length);
        const lines = sps.map((s) => `• ${e(s.name)}：${[...new Set(parts(s).map((d) => `${d.label}${describeDuration(d)}`))].map(e).join("、")}`);
        const what = `${q.word ? `“${e(q.word)}”` : ""}${q.value}${q.unit}`;
        if (!sps.length) return { text: `指南中没有培训时间为${what}的子项目。`, outcome: { kind: "answer", topic: "schedule", subProjects: [] } };
        return answer(`<b>培训时间中有${what}的子项目</b>（${sps.length}个）：\n${lines.join("\n")}\n📖 出处：正文各子项目培训时间、附件2 培训周期栏`, sps.map((s) => s.id), "schedule");
      }
      const unit = q.unit === "天" ? ["元/人/天", "元/天"] : ["元/人/学时"];
      const rates = (s: SubProject) => s.rows.flatMap((r) => ("rates" in r.funding ? r.funding.rates : [])).filter((x) => x.amount === q.value && unit.includes(x.unit) && has(x.item));
      const sps = k.subProjects.filter((s) => rates(s).length);
      const lines = sps.map((s) => {
        const rs = rates(s);
        const inferred = rs.every((x) => x.cite.inferred) ? "（合并单元格推定）" : "";
        return `• ${e(s.name)}：${[...new Set(rs.map((x) => `${x.item}${x.amount}${x.unit}`))].map(e).join("、")}${inferred}`;
      });
      const what = `${q.word ? `“${e(q.word)}”` : ""}${q.value}${q.unit === "天" ? "元/人/天" : "元/人/学时"}`;
      if (!sps.length) return { text: `附件2中没有经费标准为${what}的子项目。`, outcome: { kind: "answer", topic: "funding", subProjects: [] } };
      return answer(`<b>经费标准为${what}的子项目</b>（${sps.length}个）：\n${lines.join("\n")}\n📖 出处：附件2 各子项目培训经费标准栏`, sps.map((s) => s.id), "funding");
    }
    case "quotaOf": {
      const sps = q.ids.map((id) => k.subProjects.find((s) => s.id === id)!).filter(Boolean);
      const counted = sps.filter((s) => plannedPeople(s) > 0);
      const missing = sps.filter((s) => plannedPeople(s) === 0);
      const sum = counted.reduce((n, s) => n + plannedPeople(s), 0);
      const lines = sps.map((s) => `• ${e(s.name)}：${plannedPeople(s) ? `${groupDigits(plannedPeople(s))}人` : "未写明计划培训人数"}`);
      const cites = counted.map((s) => citeLine(s.quota.find((x) => x.unit === "人")!.cite));
      return answer(
        `${lines.join("\n")}\n合计 <b>${groupDigits(sum)}人</b>（${counted.map((s) => groupDigits(plannedPeople(s))).join(" + ")}）${missing.length ? `；${missing.map((s) => e(s.name)).join("、")}未写明人数，未计入` : ""}。\n${cites.join("\n")}`,
        sps.map((s) => s.id),
        "quota",
      );
    }
    case "phase": {
      // the 培训环节 lists, and schedule parts named the same way (县域's 实地调研与跟踪指导)
      const has = (t: string) => q.words.some((w) => compact(t).includes(w));
      // a row's list read from a merged cell says so, unless another row or the prose states the same
      const INFERRED = "（据合并单元格推定）";
      const phaseItems = (s: SubProject) => {
        const all = [
          ...(s.phases?.items ?? []).filter(has),
          ...s.rows.flatMap((r) => (r.phases?.items ?? []).filter(has).map((x) => (r.phases!.cite.inferred ? `${x}${INFERRED}` : x))),
        ];
        return [...new Set(all)].filter((x) => !x.endsWith(INFERRED) || !all.includes(x.slice(0, -INFERRED.length)));
      };
      const scheduleItems = (s: SubProject) => [...new Set([...s.schedule, ...s.rows.flatMap((r) => r.schedule ?? [])].map((d) => d.label).filter(has))];
      const sps = k.subProjects.filter((s) => phaseItems(s).length || scheduleItems(s).length);
      const said = q.words.map((w) => `“${e(w)}”`).join("或");
      if (!sps.length) return { text: `指南各子项目的培训环节中没有${said}。`, outcome: { kind: "answer", topic: "phases", subProjects: [] } };
      const lines = sps.map((s) => `• ${e(s.name)}：${[...phaseItems(s), ...scheduleItems(s).map((l) => `${l}（培训时间）`)].map(e).join("、")}`);
      return answer(`<b>培训环节含${said}的子项目</b>（${sps.length}个）：\n${lines.join("\n")}\n📖 出处：正文各子项目培训目标、附件2 培训环节栏`, sps.map((s) => s.id), "phases");
    }
    case "categoryTotals": {
      const cats = k.plans
        .filter((p) => !q.plan || p.id === q.plan)
        .flatMap((p) => p.categories.map((c) => ({ plan: p, cat: c, sps: k.subProjects.filter((s) => s.plan === p.id && s.category === c.id) })))
        .map((x) => ({ ...x, total: x.sps.reduce((n, s) => n + plannedPeople(s), 0), unstated: x.sps.filter((s) => plannedPeople(s) === 0) }))
        .filter((x) => x.total > 0 || q.each)
        .sort((a, b) => (q.least ? a.total - b.total : b.total - a.total));
      const top = cats[0];
      if (!top) return { text: "指南未给出培训人数。", outcome: { kind: "answer", topic: "quota", subProjects: [] } };
      const lines = cats.map((x) =>
        x.total === 0
          ? `• ${e(x.cat.name)}（${planShort(x.plan.id)}）：未写人数`
          : `• ${e(x.cat.name)}（${planShort(x.plan.id)}）：${groupDigits(x.total)}人${x.unstated.length ? `（${x.unstated.map((s) => e(s.name)).join("、")}未写人数）` : ""}`,
      );
      const source = "📖 出处：正文各子项目培训对象（计划培训人数）";
      if (q.each) return answer(`<b>各类计划培训人数</b>（各子项目计划培训人数之和，指南未直接给出）：\n${lines.join("\n")}\n${source}`, cats.flatMap((x) => x.sps.map((s) => s.id)), "quota");
      return answer(
        `计划培训人数${q.least ? "最少" : "最多"}的类别是 <b>${e(top.cat.name)}</b>（${groupDigits(top.total)}人，${top.sps.map((s) => groupDigits(plannedPeople(s))).filter((n) => n !== "0").join(" + ")}）。各类合计：\n${lines.join("\n")}\n${source}`,
        top.sps.map((s) => s.id),
        "quota",
      );
    }
    case "each": {
      // "面向党组织书记的项目各几天": only the sub-projects for that person
      const person = q.profile ? forPerson(k, q.profile) : undefined;
      const sps = k.subProjects.filter((s) => (!q.plan || s.plan === q.plan) && (!person || person.fitsRow(s)) && (q.years === undefined || s.cycle.years === q.years));
      const of = (s: SubProject) =>
        q.fact === "cycle" ? `${s.cycle.years}年${s.cycle.kind}项目` : s.schedule.map((d) => `${d.label}${describeDuration(d)}`).join("，") || "未写明";
      const where = q.fact === "cycle" ? "正文各子项目标题括注" : "正文各子项目培训时间";
      const ofCycle = q.years === undefined ? "" : cycleName(q.years);
      const whose = person ? `面向${e(person.who)}的${ofCycle}子项目` : q.plan ? `${e(plans(k, q.plan)[0]!.name)}各${ofCycle}子项目` : `各${ofCycle}子项目`;
      return answer(
        `<b>${whose}的${q.fact === "cycle" ? "周期" : "培训时间"}</b>（${sps.length}个）：\n${sps.map((s) => `• ${e(s.name)}：${e(of(s))}`).join("\n")}\n📖 出处：${where}`,
        sps.map((s) => s.id),
        q.fact,
      );
    }
    case "compare": {
      const sps = q.ids.map((id) => k.subProjects.find((s) => s.id === id)!).filter(Boolean);
      const out = sps.map((s) => {
        const quota = s.quota.map((x) => `${x.value}${x.unit === "人" ? "人" : x.unit === "县" ? "个县" : "所学校"}`).join("、") || "未写明";
        const schedule = s.schedule.map((d) => `${e(d.label)}${describeDuration(d)}`).join("，");
        return `<b>${e(s.name)}</b>\n• 培训对象：${e(s.audience.text)}\n• 计划培训：${quota}\n• 培训时间：${schedule}\n• ${e(s.established.label)}，${s.cycle.years}年${s.cycle.kind}项目\n${citeLine(s.audience.cite)}`;
      });
      return answer(out.join("\n\n"), sps.map((s) => s.id), "compare");
    }
  }
}

/** How to take part, from what the guide says: trainees are recommended by their unit, institutions declare. */
export function processAnswer(k: Knowledge, subProjectId?: string): PlainAnswer {
  const sp = subProjectId ? k.subProjects.find((s) => s.id === subProjectId) : undefined;
  const row = sp?.rows.find((r) => r.implementer) ?? undefined;
  const priority = sp?.rows.flatMap((r) => r.priority)[0];
  const lines = [
    sp ? `<b>${e(sp.name)}</b>：` : "",
    "• <b>参训人员不能个人报名</b>：教师、校（园）长、书记由所在学校或教育行政部门按名额<b>推荐</b>（遴选），请向学校或县市教育局了解本地安排。",
    row?.implementer ? `• 项目由院校、培训机构申报：${e(row.implementer.text)}。院校联系人可发送 /declare 在线申报。` : "• 项目由高等院校、教师培训机构牵头申报；院校联系人可发送 /declare 在线申报。",
    `• 报名的具体时间、方式和材料，指南未说明，${ASK_OFFICE}`,
  ].filter(Boolean);
  if (row?.implementer) lines.push(citeLine(row.implementer.cite));
  if (priority) lines.push(citeLine(priority.cite));
  return { text: lines.join("\n"), outcome: { kind: "answer", topic: "process", subProjects: sp ? [{ id: sp.id }] : [] } };
}

/** The guide does not say: say so, and where to ask; never invent. */
export function unansweredAnswer(k: Knowledge, topic: string, subProjectId?: string): PlainAnswer {
  const sp = subProjectId ? k.subProjects.find((s) => s.id === subProjectId) : undefined;
  const text = `${sp ? `<b>${e(sp.name)}</b>：` : ""}指南未说明${e(topic)}，本助手不作推测。${ASK_OFFICE}`;
  return { text, outcome: { kind: "not-in-guide", topic: "process", subProjects: sp ? [{ id: sp.id }] : [] } };
}

/** A bare number or date outside a form: ask what it is for, never open a card. */
export function numberAnswer(text: string): PlainAnswer {
  return {
    text: `你发送的“${e(text.slice(0, 20))}”是指什么？请连同项目或问题一起发送，例如“县级骨干培训多少天”“地级骨干 50人 预算”。如果正在填写申报，请发送 /declare 继续。`,
    outcome: { kind: "clarify", topic: "number", subProjects: [], asks: ["what the number is for"] },
  };
}
