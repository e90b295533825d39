/** The export in its own process: batches paged to it, files back in order, failures end it and leave nothing behind. */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { exportInChild, type ExportFile } from "../../src/export/export-in-child.js";
import type { DeclarationRecord } from "../../src/store/types.js";
import { EXPORT_CHILD_BUNDLE } from "../support/build-bundle.js";

function declaration(n: number): DeclarationRecord {
  return {
    ref: `GP2024-${String(n).padStart(4, "0")}`,
    ownerId: 1000 + (n % 7),
    plan: "guopei",
    subProjectId: "county-backbone",
    rowId: "primary",
    answers: { institution: `新疆师范大学${n}`, institutionType: "高等院校", plan: "guopei", subProject: "county-backbone", row: "primary", people: n, phone: "13912345678" },
    budget: { perYear: 1000 * n, cycle: 3000 * n },
    status: n % 2 ? "submitted" : "approved",
    submittedAt: "2024-06-01T02:03:04.000Z",
    updatedAt: "2024-06-01T02:03:04.000Z",
    history: [{ at: "2024-06-01T02:03:04.000Z", by: 1000 + (n % 7), action: "submitted" }],
  };
}

async function* listed(n: number, failAt?: number): AsyncIterable<DeclarationRecord> {
  for (let i = 1; i <= n; i++) {
    if (i === failAt) throw new Error("the store failed mid-scan");
    yield declaration(i);
  }
}

// The bundle starts faster than the TypeScript source through tsx: this child runs niced, and on a busy machine gets little CPU.
const base = { timeZone: "Asia/Shanghai", now: new Date("2024-06-01T02:00:00Z"), batchSize: 64, childScript: EXPORT_CHILD_BUNDLE };

// The child runs at nice 10 by design (the bot keeps its core), so beside a CPU hog and the other
// test workers it gets a few percent of a core: 30 s was not always enough for one to start and finish.
describe("exportInChild", { timeout: 120_000 }, () => {
  it("writes every row in the order given, CSV first, then an XLSX that reads back", async () => {
    const asked: number[][] = [];
    const files: { file: ExportFile; body: Buffer }[] = [];
    const run = exportInChild({
      ...base,
      declarations: listed(300),
      ownerNames: async (ids) => {
        asked.push(ids);
        return new Map(ids.map((id) => [id, `用户${id}`]));
      },
    });
    let result: IteratorResult<ExportFile, { peakRssMB: number }>;
    while (!(result = await run.next()).done) files.push({ file: result.value, body: await readFile(result.value.path) });
    expect(files.map((f) => [f.file.kind, f.file.rows])).toEqual([
      ["csv", 300],
      ["xlsx", 300],
    ]);
    expect(result.value.peakRssMB).toBeGreaterThan(0);
    // Names were looked up a batch at a time, each owner once per batch.
    expect(asked.length).toBe(Math.ceil(300 / 64));
    expect(asked.every((ids) => new Set(ids).size === ids.length)).toBe(true);

    const lines = files[0]!.body.toString("utf8").slice(1).split("\r\n").filter(Boolean);
    const headers = lines[0]!.split(",");
    expect(lines).toHaveLength(301);
    expect(lines.slice(1).map((l) => l.split(",")[0])).toEqual(Array.from({ length: 300 }, (_, i) => declaration(i + 1).ref));
    const row = (i: number) => Object.fromEntries(headers.map((h, j) => [h, lines[i]!.split(",")[j]]));
    expect(row(2)).toMatchObject({ 申报编号: "GP2024-0002", 状态: "已通过", 申报单位: "新疆师范大学2", "每年预算（元）": "2000", 申报人: "用户1002" });

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(files[1]!.body as unknown as ArrayBuffer);
    const ws = wb.worksheets[0]!;
    expect(ws.rowCount).toBe(301);
    expect(ws.getRow(301).getCell(1).value).toBe("GP2024-0300");
    // The temporary folder is gone once the caller has moved past the last file.
    expect(existsSync(dirname(files[0]!.file.path))).toBe(false);
  });

  it("fails with the source's own error when the store fails mid-scan", async () => {
    const run = exportInChild({ ...base, declarations: listed(300, 150), ownerNames: async () => new Map() });
    await expect(run.next()).rejects.toThrow("the store failed mid-scan");
  });

  it("lets the next export run after a failed one", async () => {
    await expect(exportInChild({ ...base, declarations: listed(10, 5), ownerNames: async () => new Map() }).next()).rejects.toThrow();
    const run = exportInChild({ ...base, declarations: listed(3), ownerNames: async () => new Map() });
    const first = await run.next();
    expect(first.done).toBe(false);
    expect((first.value as ExportFile).rows).toBe(3);
    await run.return({ peakRssMB: 0 });
    expect(existsSync((first.value as ExportFile).path)).toBe(false);
  });

  it("runs from the TypeScript source through tsx when no bundle sits beside the module", async () => {
    const run = exportInChild({ ...base, childScript: undefined, declarations: listed(3), ownerNames: async () => new Map() });
    const kinds: string[] = [];
    for (let r = await run.next(); !r.done; r = await run.next()) kinds.push(`${r.value.kind}:${r.value.rows}`);
    expect(kinds).toEqual(["csv:3", "xlsx:3"]);
  });
});
