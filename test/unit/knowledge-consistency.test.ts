/**
 * Every fact in knowledge/ must be checkable against the guide:
 *  - each cite.quote is the guide's own text (white space ignored, so a quote may span adjacent table cells);
 *  - each number of a fact (days, hours, yuan, people, years) stands in that fact's own quote;
 *  - no number appears anywhere in the YAML that the guide does not contain.
 * Failures name the file and the path inside it.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { KNOWLEDGE_DIR, loadKnowledge } from "../../src/knowledge/load.js";

const GUIDE_PATH = fileURLToPath(new URL("../../../shared/seed/000_d3baed12bb62d892.txt", import.meta.url));

function readGuide(): string {
  if (!existsSync(GUIDE_PATH)) throw new Error(`the guide is missing: expected it at ${GUIDE_PATH}`);
  return readFileSync(GUIDE_PATH, "utf8");
}

const stripSpace = (s: string) => s.replace(/\s+/gu, "");
/** Whole numbers written in a text (a digit run is one number: 3200 does not hold 320). */
const numbersIn = (s: string) => new Set(s.match(/\d+/gu) ?? []);
/** References to the guide's parts (附件2, 表1, 表2) are labels, not figures. */
const withoutPartRefs = (s: string) => s.replace(/附件2|表[12]/gu, "");

/** The fields of a fact that hold figures; each must appear in the fact's own quote. */
const FIGURE_KEYS = ["value", "max", "amount", "min", "year", "years"] as const;

interface Cited {
  file: string;
  path: string;
  node: Record<string, unknown>;
  cite: { where: string; quote: string; inferred?: true; note?: string };
}

function knowledgeFiles(): string[] {
  const files = ["plans.yaml", "vocabulary.yaml"];
  for (const plan of ["guopei", "qupei"]) {
    for (const f of readdirSync(join(KNOWLEDGE_DIR, plan)).sort()) if (f.endsWith(".yaml")) files.push(`${plan}/${f}`);
  }
  return files;
}

/** Every object with a `cite` in a parsed file, with its path. */
function collectCites(value: unknown, file: string, path: string, out: Cited[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => collectCites(v, file, path ? `${path}.${i}` : String(i), out));
    return;
  }
  if (value === null || typeof value !== "object") return;
  const node = value as Record<string, unknown>;
  if ("cite" in node) out.push({ file, path: path || "(root)", node, cite: node.cite as Cited["cite"] });
  for (const [k, v] of Object.entries(node)) if (k !== "cite") collectCites(v, file, path ? `${path}.${k}` : k, out);
}

function countCites(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countCites(v), 0);
  if (value === null || typeof value !== "object") return 0;
  return Object.entries(value).reduce((n, [k, v]) => n + (k === "cite" ? 1 : countCites(v)), 0);
}

describe("knowledge is consistent with the guide", () => {
  let guide: string;
  let guideFlat: string;
  let guideNumbers: Set<string>;
  let cites: Cited[];
  const files = knowledgeFiles();

  beforeAll(() => {
    guide = readGuide();
    guideFlat = stripSpace(guide);
    guideNumbers = numbersIn(guide);
    cites = [];
    for (const file of files) collectCites(parseYaml(readFileSync(join(KNOWLEDGE_DIR, file), "utf8")), file, "", cites);
  });

  it("finds the guide", () => {
    expect(existsSync(GUIDE_PATH), `the guide is missing: expected it at ${GUIDE_PATH}`).toBe(true);
    expect(guide).toContain("项目申报指南");
    expect(guide).toContain("附件2");
  });

  it("loads, and the walk below sees every cite of the loaded knowledge", () => {
    const k = loadKnowledge();
    const loaded = countCites(k.plans) + countCites(k.subProjects);
    const walked = cites.filter((c) => c.file !== "vocabulary.yaml").length;
    expect(walked).toBe(loaded);
    expect(loaded).toBeGreaterThan(500);
  });

  it("quotes only the guide's own text", () => {
    const bad = cites
      .filter((c) => !guideFlat.includes(stripSpace(c.cite.quote)))
      .map((c) => `${c.file} at ${c.path}.cite: quote not in the guide: «${c.cite.quote}»`);
    expect(bad).toEqual([]);
  });

  it("says where: 正文 or 附件2, and marks inferred (merged-cell) values in where", () => {
    const bad: string[] = [];
    for (const c of cites) {
      if (!/^(正文|附件2)/u.test(c.cite.where)) bad.push(`${c.file} at ${c.path}.cite.where: must start with 正文 or 附件2: ${c.cite.where}`);
      if (c.cite.inferred && !c.cite.where.includes("合并单元格")) bad.push(`${c.file} at ${c.path}.cite.where: inferred but where does not say 合并单元格: ${c.cite.where}`);
      if (c.cite.inferred && !c.cite.where.startsWith("附件2")) bad.push(`${c.file} at ${c.path}.cite: inferred values come from 附件2 cells: ${c.cite.where}`);
    }
    expect(bad).toEqual([]);
  });

  it("holds every figure of a fact in that fact's own quote", () => {
    const bad: string[] = [];
    for (const c of cites) {
      const inQuote = numbersIn(c.cite.quote);
      for (const key of FIGURE_KEYS) {
        const v = c.node[key];
        if (typeof v === "number" && !inQuote.has(String(v))) bad.push(`${c.file} at ${c.path}.${key}: ${v} is not in its quote «${c.cite.quote}»`);
      }
      const text = c.node.text;
      if (typeof text === "string") {
        for (const n of numbersIn(withoutPartRefs(text))) {
          if (!inQuote.has(n)) bad.push(`${c.file} at ${c.path}.text: ${n} is not in its quote «${c.cite.quote}»`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it("writes no number the guide does not contain (raw scan of every YAML line, ids aside)", () => {
    const bad: string[] = [];
    for (const file of files) {
      const lines = readFileSync(join(KNOWLEDGE_DIR, file), "utf8").split("\n");
      lines.forEach((line, i) => {
        // ids, and the references to them, are names rather than figures
        const scanned = line.replace(/\b(id|appliesTo|partOf):\s*[a-z][a-z0-9-]*/gu, "");
        for (const n of numbersIn(scanned)) if (!guideNumbers.has(n)) bad.push(`${file}:${i + 1}: ${n} does not occur in the guide: ${line.trim()}`);
      });
    }
    expect(bad).toEqual([]);
  });

  it("rates apply to days or hours of the row's schedule, and 元/人/学时 only to 学时", () => {
    const k = loadKnowledge();
    const bad: string[] = [];
    for (const sp of k.subProjects) {
      for (const row of sp.rows) {
        if (!("rates" in row.funding)) continue;
        const schedule = row.schedule ?? sp.schedule;
        for (const r of row.funding.rates) {
          const perUnit = r.unit === "万/县/年" || r.unit === "万/校/年";
          const d = schedule.find((x) => x.id === r.appliesTo);
          if (perUnit && r.appliesTo) bad.push(`${sp.plan}/${sp.id} row ${row.id}: ${r.item} ${r.unit} must not apply to a duration`);
          if (!perUnit && !d) bad.push(`${sp.plan}/${sp.id} row ${row.id}: ${r.item} applies to no duration`);
          if (d && (r.unit === "元/人/学时") !== (d.unit === "学时")) bad.push(`${sp.plan}/${sp.id} row ${row.id}: ${r.item} ${r.unit} on ${d.id} (${d.unit})`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it("keeps the readings the brief fixes (顶岗 budget parts, per-county and per-school rates, 自主学习)", () => {
    const k = loadKnowledge();
    const sp = (id: string) => k.subProjects.find((s) => s.id === id)!;

    const relief = sp("kindergarten-relief-teaching");
    const row = relief.rows[0]!;
    const schedule = row.schedule ?? relief.schedule;
    const days = (id: string) => schedule.find((d) => d.id === id)!;
    expect([days("concentrated").value, days("concentrated").unit]).toEqual([15, "天"]);
    expect([days("placement").value, days("placement").unit]).toEqual([20, "天"]);
    expect([days("coaching").value, days("coaching").unit]).toEqual([80, "学时"]);
    if (!("rates" in row.funding)) throw new Error("顶岗支教 must have rates");
    const perPerson = row.funding.rates.reduce((sum, r) => sum + r.amount * days(r.appliesTo!).value, 0);
    // the worked example: 80 people → 1,344,000 yuan
    expect(80 * perPerson).toBe(1_344_000);
    expect(row.funding.rates.find((r) => r.appliesTo === "concentrated")).toMatchObject({ amount: 400, unit: "元/天" });

    const oneToOne = sp("one-to-one-support");
    const units = oneToOne.rows.map((r) => ("rates" in r.funding ? r.funding.rates.map((x) => `${x.amount}${x.unit}`) : []));
    expect(units).toEqual([["80万/县/年"], ["20万/校/年"]]);
    expect(oneToOne.quota.map((q) => `${q.value}${q.unit}`)).toEqual(["17县", "35校"]);

    const pilot = sp("self-directed-pilot");
    const pilotRow = pilot.rows[0]!;
    if (!("rates" in pilotRow.funding)) throw new Error("自主学习 must have rates");
    const onWorkshop = pilotRow.funding.rates.find((r) => r.unit === "元/人/学时")!;
    expect(onWorkshop.appliesTo).toBe("workshop");
    expect((pilotRow.schedule ?? pilot.schedule).find((d) => d.id === "workshop")?.value).toBe(120);
    expect(onWorkshop.cite.note).toBeTruthy();
  });

  it("says so where the guide gives no funding standard, and marks carried funding as inferred", () => {
    const k = loadKnowledge();
    const none = k.subProjects.filter((s) => s.rows.every((r) => "none" in r.funding)).map((s) => s.id);
    expect(none.sort()).toEqual(["county-teacher-development", "digital-pilot-schools", "excellent-principals", "trainer-team"]);
    for (const id of ["party-secretaries", "rule-of-law-principals"]) {
      for (const row of k.subProjects.find((s) => s.id === id)!.rows) {
        if (!("rates" in row.funding)) throw new Error(`${id} row ${row.id}: expected an inferred rate`);
        for (const r of row.funding.rates) expect(r.cite, `${id} row ${row.id}`).toMatchObject({ inferred: true, note: expect.any(String) });
      }
    }
  });
});
