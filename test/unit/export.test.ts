/** The export builders: one row per declaration, CSV for Excel (BOM, RFC 4180, no formulas) and XLSX. */
import ExcelJS from "exceljs";
import { beforeAll, describe, expect, it } from "vitest";
import { csvField, declarationTable, defuse, exportFileName, toCsv, toXlsx, type ExportTable } from "../../src/export/declarations.js";
import type { Knowledge } from "../../src/knowledge/schema.js";
import { loadKnowledge } from "../../src/knowledge/load.js";
import type { DeclarationRecord } from "../../src/store/types.js";

let k: Knowledge;
beforeAll(() => {
  k = loadKnowledge();
});

const opts = { timeZone: "Asia/Shanghai", now: new Date("2024-06-01T02:00:00Z"), userName: (id: number) => (id === 42 ? "李四" : "") };

function declaration(over: Partial<DeclarationRecord> = {}, answers: Record<string, unknown> = {}): DeclarationRecord {
  return {
    ref: "GP2024-0001",
    ownerId: 42,
    plan: "guopei",
    subProjectId: "county-backbone",
    rowId: "primary",
    answers: {
      institution: "新疆师范大学",
      institutionType: "高等院校",
      plan: "guopei",
      subProject: "county-backbone",
      row: "primary",
      subjects: ["语文", "数学"],
      partners: ["乌鲁木齐市第一小学", "昌吉州实验小学"],
      lead: "张三",
      contact: "李四",
      phone: "13912345678",
      email: "lisi@xjnu.edu.cn",
      people: 100,
      "dur:concentrated": 15,
      "dur:shadow": 7,
      "dur:online": 50,
      cycleYear: "1",
      start: "2024-09-01",
      end: "2024-09-15",
      note: null,
      ...answers,
    },
    budget: { perYear: 630_000, cycle: 1_890_000 },
    status: "submitted",
    submittedAt: "2024-06-01T02:03:04.000Z",
    updatedAt: "2024-06-01T02:03:04.000Z",
    history: [{ at: "2024-06-01T02:03:04.000Z", by: 42, action: "submitted" }],
    ...over,
  };
}

/** A minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF inside quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else field += c;
  }
  if (field || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

describe("declarationTable", () => {
  it("has Chinese headers and one row per declaration with labels, budget, times and owner", () => {
    const t = declarationTable(k, [declaration({ ref: "GP2024-0002", status: "returned", history: [{ at: "2024-06-02T00:00:00Z", by: 1, action: "returned", comment: "请补充协同学校" }] }), declaration()], opts);
    expect(t.headers.slice(0, 4)).toEqual(["申报编号", "状态", "申报单位", "单位类型"]);
    expect(t.headers).toEqual(expect.arrayContaining(["子项目", "培训对象", "学科", "协同单位", "手机号", "培训人数（人）", "集中培训（天）", "影子学习（天）", "异步在线学习（学时）", "每年预算（元）", "周期预算（元）", "提交时间", "申报人ID"]));
    const rows = [...t.rows()];
    expect(t.count).toBe(2);
    expect(rows.map((r) => r[0])).toEqual(["GP2024-0001", "GP2024-0002"]);
    const row = Object.fromEntries(t.headers.map((h, i) => [h, rows[0]![i]]));
    expect(row).toMatchObject({
      状态: "待审核",
      计划: "国培计划",
      子项目: "县级骨干教师学科育人能力提升研修",
      培训对象: "小学骨干教师",
      学科: "语文、数学",
      协同单位: "乌鲁木齐市第一小学、昌吉州实验小学",
      手机号: "13912345678",
      "培训人数（人）": 100,
      "集中培训（天）": 15,
      "影子学习（天）": 7,
      "异步在线学习（学时）": 50,
      周期年度: "第1年",
      备注: null,
      "每年预算（元）": 630_000,
      周期年数: 3,
      "周期预算（元）": 1_890_000,
      提交时间: "2024-06-01 10:03:04",
      申报人ID: 42,
      申报人: "李四",
    });
    expect(rows[1]![t.headers.indexOf("状态")]).toBe("已退回");
    expect(rows[1]![t.headers.indexOf("最近审核意见")]).toBe("请补充协同学校");
  });

  it("adds columns only for fields some declaration has (no empty 帮扶县数 column)", () => {
    const t = declarationTable(k, [declaration()], opts);
    expect(t.headers).not.toContain("帮扶县数（县）");
    expect(t.headers).toContain("备注");
  });

  it("keeps every header distinct, also for per-group head-counts", () => {
    const grouped = declaration({ ref: "GP2024-0003", subProjectId: "self-directed-pilot" }, { subProject: "self-directed-pilot", "people:concentrated": 20, "people:workshop": 300 });
    const t = declarationTable(k, [declaration(), grouped], opts);
    expect(new Set(t.headers).size).toBe(t.headers.length);
    // Named by the group the question asked about (自主选学指导团队人数), each with its part.
    const groups = t.headers.filter((h) => h.endsWith("，人）"));
    expect(groups).toHaveLength(2);
    expect(groups.some((h) => h.startsWith("自主选学指导教师团队人数"))).toBe(true);
  });

  it("puts each value under its own form's term: 名校访学 for 领航, 名校观摩 for 地级骨干", () => {
    const prefecture = declaration({ ref: "GP2024-0004", subProjectId: "prefecture-backbone" }, { subProject: "prefecture-backbone", row: "primary", "dur:visit": 5 });
    const leading = declaration({ ref: "QP2024-0001", plan: "qupei", subProjectId: "leading-educators" }, { plan: "qupei", subProject: "leading-educators", row: "leaders", "dur:visit": 7 });
    const t = declarationTable(k, [prefecture, leading], opts);
    const rows = [...t.rows()].map((r) => Object.fromEntries(t.headers.map((h, i) => [h, r[i]])));
    const byRef = Object.fromEntries(rows.map((r) => [r["申报编号"], r]));
    expect(byRef["GP2024-0004"]).toMatchObject({ "名校观摩（天）": 5, "名校访学（天）": null });
    expect(byRef["QP2024-0001"]).toMatchObject({ "名校访学（天）": 7, "名校观摩（天）": null });
  });

  it("names files by the date in the time zone", () => {
    expect(exportFileName(new Date("2024-06-01T20:00:00Z"), "Asia/Shanghai", "csv")).toBe("declarations-20240602.csv");
  });
});

describe("CSV", () => {
  it("quotes per RFC 4180 and defuses formulas", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField(null)).toBe("");
    expect(csvField(-5)).toBe("-5");
    for (const bad of ["=1+1", "+1", "-1", "@SUM(A1)", "\tx"]) expect(defuse(bad)).toBe(`'${bad}`);
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
  });

  it("starts with a UTF-8 BOM, uses CRLF, and reads back to the same cells", async () => {
    const nasty = declaration({}, { institution: '=cmd|" /C calc"!A0', note: "第一行\r\n第二行，含逗号", lead: "@张三" });
    const table = declarationTable(k, [nasty], opts);
    const csv = await toCsv(table);
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = csv.toString("utf8").slice(1);
    expect(text.endsWith("\r\n")).toBe(true);
    const rows = parseCsv(text);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual(table.headers);
    const row = Object.fromEntries(rows[0]!.map((h, i) => [h, rows[1]![i]]));
    expect(row["申报单位"]).toBe(`'=cmd|" /C calc"!A0`);
    expect(row["项目负责人"]).toBe("'@张三");
    expect(row["备注"]).toBe("第一行\r\n第二行，含逗号");
    expect(row["每年预算（元）"]).toBe("630000");
  });
});

describe("XLSX", () => {
  it("reads back with exceljs: headers, text and numbers", async () => {
    const table: ExportTable = declarationTable(k, [declaration(), declaration({ ref: "GP2024-0002" }, { institution: "=1+1" })], opts);
    const buffer = await toXlsx(table);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(buffer as unknown as ArrayBuffer);
    const ws = wb.getWorksheet("申报汇总")!;
    expect(ws.rowCount).toBe(3);
    const headers = (ws.getRow(1).values as unknown[]).slice(1);
    expect(headers).toEqual(table.headers);
    const col = (h: string) => table.headers.indexOf(h) + 1;
    expect(ws.getRow(2).getCell(col("申报编号")).value).toBe("GP2024-0001");
    expect(ws.getRow(2).getCell(col("每年预算（元）")).value).toBe(630_000);
    expect(ws.getRow(2).getCell(col("周期预算（元）")).value).toBe(1_890_000);
    expect(ws.getRow(2).getCell(col("手机号")).value).toBe("13912345678");
    // Stored as text, not as a formula.
    const cell = ws.getRow(3).getCell(col("申报单位"));
    expect(cell.value).toBe("=1+1");
    expect(cell.formula).toBeUndefined();
  });
});
