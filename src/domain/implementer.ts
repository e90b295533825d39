/**
 * Who runs a sub-project, as 附件2 says: the 实施单位 cell of a row, and the partners (协同) it names.
 * One home for two rules the answers and the declaration form both use:
 * - a blank 实施单位 cell under a filled one in the same sub-project is a merged cell and carries it;
 * - "协同X组织实施" means a declaration names partners of kind X (schools, kindergartens, universities, bureaus).
 */
import type { AudienceRow, Cite, SubProject } from "../knowledge/schema.js";
import { echo } from "./non-answer.js";

export interface Implementer {
  text: string;
  cite: Cite;
  /** The row's own cell was blank: carried from the nearest filled row above (merged cell). */
  carried: boolean;
}

/** The row's implementer; a blank cell takes the nearest filled one above it in the same sub-project. */
export function implementerOf(sp: SubProject, row: AudienceRow): Implementer | undefined {
  if (row.implementer) return { ...row.implementer, carried: false };
  for (let i = sp.rows.indexOf(row) - 1; i >= 0; i--) {
    const above = sp.rows[i]!.implementer;
    if (above) return { ...above, carried: true };
  }
  return undefined;
}

export type PartnerKind = "中学" | "小学" | "幼儿园" | "高等院校" | "教师培训机构" | "教育行政部门" | "帮扶县市";

/** What a partner's name ends with, by kind (a school's full name, a bureau's, a county's). */
const NAME_ENDINGS: Record<PartnerKind, RegExp> = {
  中学: /(中学|高中|高级中学|完全中学|一贯制学校|学校|中学校区|分校)$/,
  小学: /(小学|一贯制学校|学校|分校)$/,
  幼儿园: /(幼儿园|幼稚园|分园)$/,
  高等院校: /(大学|学院|高等专科学校|分校|校区)$/,
  教师培训机构: /(中心|学院|进修学校|研究院|研修院|培训院|研究所|培训基地|研修基地)$/,
  教育行政部门: /(教育局|教育厅|教育和科学技术局|教育科技局|教科局|教育委员会|教育处|教育办公室)$/,
  帮扶县市: /..(县|市|区|旗)$/,
};

/** How the guide names each kind, to say what is expected. */
const EXAMPLES: Record<PartnerKind, string> = {
  中学: "乌鲁木齐市第一中学",
  小学: "乌鲁木齐市第一小学",
  幼儿园: "昌吉州第一幼儿园",
  高等院校: "北京师范大学",
  教师培训机构: "喀什地区教师发展中心",
  教育行政部门: "和田县教育局",
  帮扶县市: "于田县",
};

/**
 * The guide's partner phrases → kinds. Order matters only for reading: every match adds its kinds.
 * A phrase none of these reads fails the knowledge test (test/unit/implementer.test.ts), so a new
 * wording cannot silently mean "no partners".
 */
const PHRASES: [RegExp, PartnerKind[]][] = [
  [/中小学/, ["中学", "小学"]],
  [/中学/, ["中学"]],
  [/幼儿园/, ["幼儿园"]],
  [/帮扶学校/, ["中学", "小学", "幼儿园"]],
  [/高等院校/, ["高等院校"]],
  [/教师培训机构/, ["教师培训机构"]],
  [/教育行政部门/, ["教育行政部门"]],
  [/帮扶县市/, ["帮扶县市"]],
];

export interface PartnerRule {
  /** The guide's words for the partners, e.g. 优质中小学幼儿园. */
  phrase: string;
  kinds: PartnerKind[];
}

/** The partners a row must name (协同…实施), or undefined where the guide asks for none. */
export function partnerRule(imp: Implementer | undefined): PartnerRule | undefined {
  const m = imp?.text.match(/协同(.+?)(?:等)?(?:组织)?实施/);
  if (!m) return undefined;
  const phrase = m[1]!;
  const kinds = new Set<PartnerKind>();
  for (const [re, ks] of PHRASES) if (re.test(phrase)) for (const k of ks) kinds.add(k);
  return { phrase, kinds: [...kinds] };
}

/** Example names of the kinds the rule accepts, for prompts and messages. */
export function partnerExamples(rule: PartnerRule): string {
  return rule.kinds.slice(0, 2).map((k) => EXAMPLES[k]).join("、");
}

/** Why a partner's name does not fit the rule, or undefined when it does. */
export function partnerMismatch(name: string, rule: PartnerRule): string | undefined {
  if (rule.kinds.some((k) => NAME_ENDINGS[k].test(name))) return undefined;
  return `“${echo(name)}”不像是${rule.phrase}的全称。指南要求协同${rule.phrase}组织实施，请填写单位全称，例如 ${partnerExamples(rule)}。`;
}
