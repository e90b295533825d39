/**
 * The export's own process: receives declarations in batches from the bot (child-protocol.ts),
 * spools them to a JSON-lines file while learning the columns, then writes the CSV and the XLSX
 * from that file, row by row. exceljs, its zip writer and the rows never enter the bot's heap,
 * and this process's work runs on the other core while the bot keeps answering.
 */
import { createReadStream, readdirSync } from "node:fs";
import { once } from "node:events";
import { setPriority } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Writable } from "node:stream";
import { loadKnowledge } from "../knowledge/load.js";
import type { FromChild, ToChild } from "./child-protocol.js";
import { ExportColumns, exportFileName, writeCsv, writeXlsx, type ExportRecord, type RowSource, type TableLayout } from "./declarations.js";
import { syncedFileStream } from "./synced-file.js";

function tell(m: FromChild): void {
  process.send?.(m);
}

async function* spooled(file: string): AsyncIterable<ExportRecord> {
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  for await (const line of lines) if (line) yield JSON.parse(line) as ExportRecord;
}

/**
 * A lower CPU priority than the bot's: on a 2-core machine the export's full core competes with the
 * bot's main thread, its GC helpers and its file-system threads, and chat replies matter more than
 * how soon the file is ready.
 */
const EXPORT_NICENESS = 10;

/**
 * Linux sets a nice value per thread, and threads keep the one they were started with: V8's GC
 * helpers and libuv's pool already run by now, so each thread is lowered, not only this one.
 */
function lowerPriority(): void {
  let tids: number[] = [0];
  try {
    tids = readdirSync("/proc/self/task").map(Number);
  } catch {
    // not Linux: the process's priority is the whole process's
  }
  for (const tid of tids) {
    try {
      setPriority(tid, EXPORT_NICENESS);
    } catch {
      // not allowed here: that thread runs at the bot's priority
    }
  }
}

async function main(): Promise<void> {
  lowerPriority();
  const knowledge = loadKnowledge();
  let start: Extract<ToChild, { type: "start" }> | undefined;
  let columns: ExportColumns | undefined;
  let spool: Writable | undefined;
  let spoolFile = "";
  let count = 0;
  const ended = new Promise<void>((resolve, reject) => {
    // Messages are handled in order: a batch is written before the next one is read.
    let chain = Promise.resolve();
    process.on("message", (m: ToChild) => {
      chain = chain
        .then(async () => {
          if (m.type === "start") {
            start = m;
            columns = new ExportColumns(knowledge, { timeZone: m.timeZone, now: new Date(m.now) });
            spoolFile = join(m.dir, "declarations.jsonl");
            spool = syncedFileStream(spoolFile);
          } else if (m.type === "batch") {
            if (!spool || !columns) throw new Error("batch before start");
            let chunk = "";
            for (const r of m.records) {
              columns.observe(r.declaration);
              chunk += `${JSON.stringify(r)}\n`;
            }
            count += m.records.length;
            if (!spool.write(chunk)) await once(spool, "drain");
            tell({ type: "ack" });
          } else if (m.type === "end") {
            resolve();
          }
        })
        .catch(reject);
    });
    process.on("disconnect", () => reject(new Error("the bot went away")));
  });
  await ended;
  if (!start || !spool || !columns) throw new Error("no start message");
  await new Promise<void>((resolve, reject) => spool!.end((err?: Error | null) => (err ? reject(err) : resolve())));

  const layout: TableLayout = columns.layout(start.timeZone);
  const table: RowSource = {
    headers: layout.headers,
    moneyColumns: layout.moneyColumns,
    count,
    rows: async function* () {
      for await (const r of spooled(spoolFile)) yield layout.row(r);
    },
  };
  const now = new Date(start.now);
  for (const kind of ["csv", "xlsx"] as const) {
    const path = join(start.dir, exportFileName(now, start.timeZone, kind));
    await (kind === "csv" ? writeCsv : writeXlsx)(table, syncedFileStream(path));
    tell({ type: "file", kind, path, rows: count });
  }
  tell({ type: "done", peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024) });
}

main().then(
  () => process.disconnect?.(),
  (e: unknown) => {
    tell({ type: "error", message: e instanceof Error ? e.message : String(e) });
    process.exitCode = 1;
    process.disconnect?.();
  },
);
