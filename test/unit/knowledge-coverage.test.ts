/**
 * Nothing of the guide is left out: every sub-project named in the prose, every 附件2 table row, and every
 * figure (quota, days, hours, yuan, cycle years, 教龄/任职 years) is held by some fact in knowledge/.
 * The expectations are extracted from the guide's text, not written out by hand.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { loadKnowledge } from "../../src/knowledge/load.js";
import type { Condition, Duration, Knowledge, SubProject } from "../../src/knowledge/schema.js";

const GUIDE_PATH = fileURLToPath(new URL("../../../shared/seed/000_d3baed12bb62d892.txt", import.meta.url));

function readGuide(): string {
  if (!existsSync(GUIDE_PATH)) throw new Error(`the guide is missing: expected it at ${GUIDE_PATH}`);
  return readFileSync(GUIDE_PATH, "utf8");
}

const CN_DIGITS = "一二三四五六七八九十";
/** 一…十, and 两 (设置两个子项目). */
const cnNumber = (s: string) => (s === "两" ? 2 : CN_DIGITS.indexOf(s) + 1);

// ---- the prose ----

interface ProseProject {
  plan: "guopei" | "qupei";
  /** 1-based index of the category within its plan (（一）→1). */
  category: number;
  order: number;
  name: string;
  year: number;
  line: string;
}

interface ProseCategory {
  plan: "guopei" | "qupei";
  index: number;
  /** 设置N个子项目, or 1 when the category heading is itself a project. */
  expected: number;
  line: string;
}

function parseProse(prose: string): { projects: ProseProject[]; categories: ProseCategory[] } {
  const projects: ProseProject[] = [];
  const categories: ProseCategory[] = [];
  let plan: "guopei" | "qupei" | undefined;
  let category = 0;
  for (const raw of prose.split("\n")) {
    const line = raw.replace(/\[bookmark:[^\]]*\]/gu, "").trim();
    if (line.startsWith("一、")) plan = "guopei";
    if (line.startsWith("二、")) plan = "qupei";
    if (!plan) continue;
    const heading = /^（([一二三四五六七八九十])）(.+)$/u.exec(line);
    const numbered = /^(\d+)\.(.+)$/u.exec(line);
    const project = /^(.+?)（(20\d\d)年(?:度)?(?:新设|设立)/u;
    if (heading) {
      category = cnNumber(heading[1]!);
      const count = /。设置([一两二三四五六七八九十])个子项目/u.exec(heading[2]!);
      const asProject = project.exec(heading[2]!);
      categories.push({ plan, index: category, expected: count ? cnNumber(count[1]!) : asProject ? 1 : 0, line });
      if (asProject) projects.push({ plan, category, order: 1, name: asProject[1]!, year: Number(asProject[2]), line });
    } else if (numbered) {
      const m = project.exec(numbered[2]!);
      if (m) projects.push({ plan, category, order: Number(numbered[1]), name: m[1]!, year: Number(m[2]), line });
    }
  }
  return { projects, categories };
}

// ---- 附件2: one cell per line (a tab, then the text); an empty line ends a row ----

interface TableRow {
  table: 1 | 2;
  cells: string[];
  /** Filled cells by role, per this table's layout (see cellsOf). */
  category?: string;
  project?: string;
  subProject?: string;
  audience?: string;
}

function parseTables(text: string): TableRow[] {
  const lines = text.slice(text.indexOf("\n附件2")).split("\n").slice(2);
  const raw: string[][] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    if (line === "") {
      if (current) raw.push(current);
      current = undefined;
    } else if (line.startsWith("\t")) {
      (current ??= []).push(line.slice(1).trim());
    } else if (current && current.length > 0) {
      current[current.length - 1] += line.trim(); // a cell continued on the next line
    }
  }
  if (current) raw.push(current);

  const rows: TableRow[] = [];
  let table: 1 | 2 = 1;
  let previous: TableRow | undefined;
  for (const cells of raw) {
    if (cells[0] === "项目") {
      table = cells.length === 10 ? 1 : 2; // the header rows
      previous = undefined;
      continue;
    }
    if (cells.length < 3 && previous) {
      previous.cells.push(...cells); // a cell the flattening pushed onto a line of its own
      continue;
    }
    const row: TableRow = { table, cells, ...cellsOf(table, cells) };
    rows.push(row);
    previous = row;
  }
  return rows;
}

/**
 * 表1 has 10 columns (计划, 项目类别, 项目, 子项目, 培训对象, …); rows of 9 cells merge 项目 and 子项目.
 * 表2 has 9 columns (计划, 项目类别, 子项目, 培训对象, …).
 */
function cellsOf(table: 1 | 2, c: string[]): Pick<TableRow, "category" | "project" | "subProject" | "audience"> {
  const filled = (s: string | undefined) => (s ? s : undefined);
  if (table === 1 && c.length === 10) return { category: filled(c[1]), project: filled(c[2]), subProject: filled(c[3]), audience: filled(c[4]) };
  return { category: filled(c[1]), subProject: filled(c[2]), audience: filled(c[3]) };
}

/** "小学骨干教师，包括小学语文、…" → "小学骨干教师". */
const audienceHead = (s: string) => s.split("，包括")[0]!;

// ---- the knowledge ----

function allDurations(k: Knowledge): Duration[] {
  return k.subProjects.flatMap((sp) => [...sp.schedule, ...sp.rows.flatMap((r) => r.schedule ?? [])]);
}
function allConditions(k: Knowledge): Condition[] {
  return k.subProjects.flatMap((sp) => sp.rows.flatMap((r) => [...r.conditions, ...r.priority]));
}
function allRates(k: Knowledge) {
  return k.subProjects.flatMap((sp) => sp.rows.flatMap((r) => ("rates" in r.funding ? r.funding.rates : [])));
}
const spNames = (sp: SubProject) => [sp.name, ...(sp.tableName ? [sp.tableName] : []), ...sp.aliases];

describe("knowledge covers the guide", () => {
  let guide: string;
  let prose: string;
  let k: Knowledge;

  beforeAll(() => {
    guide = readGuide();
    prose = guide.slice(0, guide.indexOf("\n附件2"));
    k = loadKnowledge();
  });

  it("has the guide's plans and categories: 国培 7, 区培 3", () => {
    expect(k.plans.map((p) => [p.id, p.categories.length])).toEqual([
      ["guopei", 7],
      ["qupei", 3],
    ]);
  });

  it("has 22 sub-projects, as many per category as the guide sets up", () => {
    const { categories, projects } = parseProse(prose);
    expect(projects).toHaveLength(22);
    expect(k.subProjects).toHaveLength(22);
    expect(categories.map((c) => `${c.plan}${c.index}`)).toEqual([
      ...[1, 2, 3, 4, 5, 6, 7].map((i) => `guopei${i}`),
      ...[1, 2, 3].map((i) => `qupei${i}`),
    ]);
    for (const c of categories) {
      const cat = k.plans.find((p) => p.id === c.plan)!.categories[c.index - 1]!;
      const count = k.subProjects.filter((s) => s.plan === c.plan && s.category === cat.id).length;
      expect(count, `${c.plan} ${cat.no}${cat.name} (guide: ${c.line})`).toBe(c.expected);
      expect(projects.filter((p) => p.plan === c.plan && p.category === c.index)).toHaveLength(c.expected);
    }
  });

  it("names every prose sub-project, in its plan, category, order and year", () => {
    const problems: string[] = [];
    for (const p of parseProse(prose).projects) {
      // （七）区域综合改革试点项目，即县域教师发展支持服务体系建设项目: the second name is the name, the first an alias
      const [first, second] = p.name.split("，即");
      const sp = second
        ? k.subProjects.find((s) => s.name === second && s.aliases.includes(first!))
        : k.subProjects.find((s) => s.name === p.name);
      if (!sp) {
        problems.push(`no sub-project named ${p.name} (guide: ${p.line})`);
        continue;
      }
      const cat = k.plans.find((x) => x.id === p.plan)!.categories[p.category - 1]!;
      if (sp.plan !== p.plan || sp.category !== cat.id || sp.order !== p.order) {
        problems.push(`${sp.plan}/${sp.id}: guide puts it in ${p.plan} ${cat.id} #${p.order}, knowledge in ${sp.category} #${sp.order}`);
      }
      if (sp.established.year !== p.year) problems.push(`${sp.plan}/${sp.id}: established ${sp.established.year}, guide ${p.year}`);
    }
    expect(problems).toEqual([]);
  });

  it("gives prose-only sub-projects one prose row and no invented funding", () => {
    const tableText = guide.slice(guide.indexOf("\n附件2"));
    const proseOnly = k.subProjects.filter((sp) => ![sp.name, sp.tableName].some((n) => n && tableText.includes(n)) && sp.rows.every((r) => r.source === "prose"));
    expect(proseOnly.map((s) => s.id).sort()).toEqual(["county-teacher-development", "digital-pilot-schools", "excellent-principals", "trainer-team"]);
    for (const sp of proseOnly) {
      expect(sp.rows, sp.id).toHaveLength(1);
      expect(sp.rows[0]!.funding, sp.id).toHaveProperty("none");
    }
  });

  it("represents every 附件2 row as an audience row", () => {
    const rows = parseTables(guide);
    expect(rows.filter((r) => r.table === 1)).toHaveLength(25);
    expect(rows.filter((r) => r.table === 2)).toHaveLength(6);
    const problems: string[] = [];
    for (const r of rows) {
      const head = r.audience ? audienceHead(r.audience) : undefined;
      const found = k.subProjects.some((sp) =>
        sp.rows.some(
          (row) =>
            row.source === "table" &&
            (row.label === r.subProject ||
              (head !== undefined && row.label.startsWith(head)) ||
              (r.subProject !== undefined && [sp.name, sp.tableName].includes(r.subProject) && sp.rows.filter((x) => x.source === "table").length === 1)),
        ),
      );
      if (!found) problems.push(`表${r.table} row not represented: ${r.cells.filter(Boolean).slice(0, 3).join(" | ")}`);
    }
    expect(problems).toEqual([]);
  });

  it("knows every 附件2 category, project and sub-project name (or explains it in a discrepancy)", () => {
    const rows = parseTables(guide);
    const categoryNames = new Set(k.plans.flatMap((p) => p.categories.flatMap((c) => [c.name, ...c.aliases])));
    const known = new Set([...k.subProjects.flatMap(spNames), ...k.subProjects.flatMap((sp) => sp.rows.map((r) => r.label)), ...categoryNames]);
    const explained = k.subProjects.flatMap((sp) => sp.discrepancies.flatMap((d) => d.readings.map((x) => x.text)));
    const problems: string[] = [];
    for (const r of rows) {
      if (r.category && !categoryNames.has(r.category)) problems.push(`表${r.table} 项目类别 ${r.category} is not a category name or alias`);
      for (const name of [r.project, r.subProject]) {
        if (name && !known.has(name) && !explained.some((t) => t.includes(name))) problems.push(`表${r.table} ${name} is not a known name`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("holds every quota of the guide (计划培训N人, N个…县, N所)", () => {
    const quotas = k.subProjects.flatMap((sp) => sp.quota.map((q) => `${q.value}${q.unit}`));
    const expected = [
      ...[...prose.matchAll(/计划培训[^\d，。]{0,8}?(\d+)人/gu)].map((m) => `${m[1]}人`),
      ...[...prose.matchAll(/(\d+)个[^\d，。、]{0,10}?县/gu)].map((m) => `${m[1]}县`),
      ...[...prose.matchAll(/(\d+)所/gu)].map((m) => `${m[1]}校`),
    ];
    expect(expected.length).toBeGreaterThanOrEqual(20);
    expect(expected.filter((q) => !quotas.includes(q))).toEqual([]);
  });

  it("holds every day and hour figure (N天, N-M天, N学时) of the prose and the tables", () => {
    const durations = allDurations(k);
    const missing: string[] = [];
    for (const m of guide.matchAll(/(\d+)(?:-(\d+))?天/gu)) {
      const [lo, hi] = [Number(m[1]), m[2] ? Number(m[2]) : undefined];
      const ok = durations.some((d) => d.unit === "天" && (hi === undefined ? d.value === lo || d.max === lo : d.value === lo && d.max === hi));
      if (!ok) missing.push(m[0]);
    }
    for (const m of guide.matchAll(/(\d+)学时/gu)) {
      if (!durations.some((d) => d.unit === "学时" && d.value === Number(m[1]))) missing.push(m[0]);
    }
    expect(missing).toEqual([]);
  });

  it("holds every funding figure (N元…, N万…) of the tables, with its unit", () => {
    const rates = allRates(k).map((r) => `${r.amount}${r.unit}`);
    const expected = [...guide.matchAll(/(\d+)(元\/人\/天|元\/人\/学时|元\/天|万\/县\/年|万\/校\/年)/gu)].map((m) => `${m[1]}${m[2]}`);
    expect(expected.length).toBeGreaterThanOrEqual(20);
    expect(expected.filter((r) => !rates.includes(r))).toEqual([]);
    expect([...guide.matchAll(/(\d+)[元万]/gu)].length).toBe(expected.length); // no other unit was missed
  });

  it("holds every cycle length and every 教龄 / 任职 figure", () => {
    const cycles = k.subProjects.map((sp) => sp.cycle.years);
    for (const m of prose.matchAll(/(\d+)年(?:周期性|短期)项目/gu)) expect(cycles, m[0]).toContain(Number(m[1]));

    const conditions = allConditions(k);
    const years = (field: string) => conditions.filter((c) => c.field === field) as Extract<Condition, { min?: number }>[];
    for (const m of guide.matchAll(/(\d+)(?:-(\d+))?年(以上)?教龄/gu)) {
      const [min, max] = [Number(m[1]), m[2] ? Number(m[2]) : undefined];
      expect(
        years("teachingYears").some((c) => c.min === min && c.max === max),
        `${m[0]} as teachingYears min ${min}${max ? ` max ${max}` : ""}`,
      ).toBe(true);
    }
    for (const m of guide.matchAll(/(?:任职|工作)(\d+)年以上/gu)) {
      expect(years("postYears").some((c) => c.min === Number(m[1]) && c.max === undefined), `${m[0]} as postYears min`).toBe(true);
    }
  });

  it("records the discrepancies between prose and tables the guide is known for", () => {
    const all = k.subProjects.flatMap((sp) => sp.discrepancies.map((d) => ({ sp: sp.id, text: [d.topic, ...d.readings.map((r) => r.text)].join(" ") })));
    const has = (sp: string, ...words: string[]) => all.some((d) => d.sp === sp && words.every((w) => d.text.includes(w)));
    expect(has("shortage-fields", "班主任", "德育主任", "培智", "足球")).toBe(true);
    expect(has("kindergarten-relief-teaching", "艰苦边远地区", "艰苦边远民族地区")).toBe(true);
    expect(has("kindergarten-relief-teaching", "一对一同步在线指导", "“一对一”指导")).toBe(true);
    expect(has("regional-master-teachers", "园本课程创生", "园本课程开发")).toBe(true);
    expect(has("hs-new-curriculum", "各学科教师", "高中骨干教师")).toBe(true);
    for (const sp of ["hs-new-curriculum", "hs-career-guidance", "hs-academic-moral-directors", "hs-principal-leadership"]) {
      expect(has(sp, "教育教学改革", "教学教育改革"), sp).toBe(true);
    }
    // every table name that differs from the prose name is explained
    for (const sp of k.subProjects.filter((s) => s.tableName)) {
      expect(
        sp.discrepancies.some((d) => d.readings.some((r) => r.text.includes(sp.tableName!))),
        `${sp.id}: tableName ${sp.tableName} needs a discrepancy`,
      ).toBe(true);
    }
  });

  it("knows the short names people type", () => {
    const expected: Record<string, string[]> = {
      "county-backbone": ["县级骨干"],
      "shortage-fields": ["紧缺领域"],
      "prefecture-backbone": ["地级骨干"],
      "regional-master-teachers": ["名师示范"],
      "one-to-one-support": ["一对一帮扶", "精准帮扶"],
      "kindergarten-relief-teaching": ["顶岗支教", "南疆幼儿园"],
      "self-directed-pilot": ["自主选学"],
      "trainer-team": ["培训者团队"],
      "training-management-team": ["管理团队"],
      "principal-leadership": ["骨干校长", "骨干园长"],
      "excellent-principals": ["优秀校长"],
      "party-secretaries": ["书记研修"],
      "rule-of-law-principals": ["依法治校"],
      "digital-pilot-schools": ["示范校"],
      "digital-literacy-trainers": ["数字素养"],
      "county-teacher-development": ["县域"],
      "hs-backbone": ["高中骨干"],
      "hs-new-curriculum": ["新课程新教材", "新课标新教材"],
      "hs-career-guidance": ["生涯规划"],
      "hs-academic-moral-directors": ["教务主任", "德育主任"],
      "hs-principal-leadership": ["高中校长"],
      "leading-educators": ["领航研修", "名师领航", "名校长领航"],
    };
    const missing = Object.entries(expected).flatMap(([id, aliases]) => {
      const sp = k.subProjects.find((s) => s.id === id);
      return sp ? aliases.filter((a) => !sp.aliases.includes(a)).map((a) => `${id}: ${a}`) : [`no sub-project ${id}`];
    });
    expect(missing).toEqual([]);
  });

  it("gives no alias to two sub-projects", () => {
    const owners = new Map<string, string[]>();
    for (const sp of k.subProjects) for (const a of new Set(spNames(sp))) owners.set(a, [...(owners.get(a) ?? []), sp.id]);
    expect([...owners].filter(([, ids]) => ids.length > 1)).toEqual([]);
  });
});
