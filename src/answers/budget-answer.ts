/** Renders a budget line by line, with per-year and per-cycle totals and the standards it used. */
import type { Budget } from "../domain/budget.js";
import { assertYuan, wan, yuan } from "../domain/money.js";
import { place } from "./cite.js";
import { escapeHtml } from "./html.js";

export function budgetAnswer(b: Budget): string {
  const rows = b.anyRow ? "各培训对象标准相同" : (b.rows ?? [b.row]).map((r) => r.label).join(" ＋ ");
  const title = `<b>预算测算</b>：${escapeHtml(b.subProject.name)}（${escapeHtml(rows)}）`;
  // the knowledge's sentence ends with its own full stop ("…没有此项）。")
  if (b.noStandard) return `${title}\n${escapeHtml(b.noStandard.replace(/[。.]$/, ""))}，因此无法测算预算。`;
  const lines = b.lines.map((l) => `• ${escapeHtml(l.item)}：${l.formula}`);
  const missing = b.missing.map((m) => ({ people: "培训人数", counties: "帮扶县数", schools: "帮扶校数" })[m]);
  // a planned amount below the guide's minimum comes first: the figure below is only what those amounts give
  const outside = b.outside?.length ? [`⚠️ ${escapeHtml(b.outside.join("；"))}。请核对后再测算；下面按你给的数字计算，仅供参考。`] : [];
  const perPlace = b.perPlace ? [`人数：${b.perPlace.places}${b.perPlace.unit} × 每${b.perPlace.unit}${b.perPlace.each}人 = ${b.perPlace.places * b.perPlace.each}人`] : [];
  const parts = b.peopleParts ? [`人数：${b.peopleParts.map((n) => `${n}人`).join(" + ")} = ${b.peopleParts.reduce((a, n) => a + n, 0)}人`] : [];
  // a blank cell read as the merged one above: said first, and the figures below are a reference, not the guide's
  const unstated = b.unstated ? [`⚠️ ${escapeHtml(b.unstated.replace(/[。.]$/, ""))}。下面按上方合并单元格的标准推算，仅供参考，请向项目办确认。`] : [];
  const out = [title, ...unstated, ...outside, ...perPlace, ...parts, ...lines];
  if (missing.length) out.push(`（未提供${missing.join("、")}，相应项目未计入）`);
  out.push(`每年合计：<b>${yuan(b.perYear)}</b>（${wan(b.perYear)}）`);
  // one group of trainees, every line per person: what one trainee costs a year
  if (b.lines.length && (b.rows?.length ?? 1) === 1 && b.lines.every((l) => l.perPerson !== undefined)) {
    out.push(`折合每人每年：${yuan(b.lines.reduce((a, l) => a + l.perPerson!, 0))}`);
  }
  const ownCycle = b.subProject.cycle.years;
  // years asked that are not the project's own cycle: computed as asked, and said so ("三年" for a 1年短期项目)
  if (b.years > 1) out.push(`${b.years === ownCycle ? `${b.years}年周期` : `按${b.years}年`}合计：<b>${yuan(b.cycle)}</b>（${wan(b.cycle)}）`);
  if (b.years > 1 && b.years !== ownCycle) out.push(`   注：指南中该项目为${ownCycle}年${b.subProject.cycle.kind}项目（${escapeHtml(b.subProject.cycle.cite.where)}），上面按你说的${b.years}年计。`);
  for (const l of b.lines) {
    const c = l.rate.cite;
    // a blank cell's reading is said in the warning above, not again
    out.push(`📖 ${escapeHtml(l.item)}标准：${place(c)}「${escapeHtml(c.quote)}」${c.note && !b.unstated ? `\n   注：${escapeHtml(c.note)}` : ""}`);
  }
  for (const w of b.warnings) if (!b.outside?.includes(w)) out.push(`⚠️ ${escapeHtml(w)}`);
  return out.join("\n");
}

/**
 * Several sub-projects' budgets one after another, then the sum per year and over each one's cycle of those whose
 * standard the guide gives; a reference figure from a blank cell (Budget.unstated) is shown, not summed.
 */
export function budgetsAnswer(parts: Budget[]): { text: string; perYear: number; cycle: number; years: number; summed: Budget[] } {
  const stated = parts.filter((b) => !b.unstated);
  const summed = stated.length ? stated : parts;
  const perYear = assertYuan(summed.reduce((n, b) => n + b.perYear, 0));
  const cycle = assertYuan(summed.reduce((n, b) => n + b.cycle, 0));
  const years = Math.max(...summed.map((b) => b.years));
  const sameYears = summed.every((b) => b.years === years);
  const left = parts.filter((b) => !summed.includes(b));
  const sum = [
    `<b>${left.length ? `合计（不含${left.map((b) => escapeHtml(b.subProject.name)).join("、")}）` : `${summed.length}项合计`}</b>${stated.length ? "" : "（均为参考推算）"}：每年 <b>${yuan(perYear)}</b>（${wan(perYear)}）`,
    ...(years > 1 ? [`${sameYears ? `${years}年周期` : "各按其周期"}合计：<b>${yuan(cycle)}</b>（${wan(cycle)}）`] : []),
    ...(left.length ? ["（未计入的项目指南未写明经费标准，上面它的数字仅供参考。）"] : []),
  ];
  return { text: [...parts.map(budgetAnswer), sum.join("\n")].join("\n\n"), perYear, cycle, years, summed };
}
