/**
 * Runs an export in a child process (export-child.ts) and hands back its files as they are ready.
 * The bot pages the declarations to it in small batches, each acknowledged before more are sent,
 * so neither the rows nor exceljs ever sit in the bot's heap: a season's export (20,000 rows) made
 * in process moved the bot's RSS by about 50 MB and held its event loop for seconds.
 */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { getPriority, setPriority } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "../paths.js";
import type { DeclarationRecord } from "../store/types.js";
import type { FromChild, ToChild } from "./child-protocol.js";
import { scratchRoot } from "./scratch-dir.js";

export interface ChildExportOptions {
  /** Every declaration to list, in the order they are listed. */
  declarations: AsyncIterable<DeclarationRecord>;
  /** Applicants' display names, looked up a batch at a time. */
  ownerNames(ids: number[]): Promise<Map<number, string>>;
  timeZone: string;
  now: Date;
  /** Declarations per message (default BATCH). */
  batchSize?: number;
  /** The child's script (default: childEntry()); tests pass the bundle they built, which starts faster than tsx. */
  childScript?: string;
}

export interface ExportFile {
  kind: "csv" | "xlsx";
  /** In a temporary folder removed once the caller has moved on from the last file. */
  path: string;
  rows: number;
}

/**
 * Declarations per message. Each message is one JSON string in the bot's heap (two bytes a
 * character: the records are mostly Chinese), so its size decides where it is allocated: 200
 * records made ~600 KB strings, allocated straight in the old generation, and the 20,000-row
 * export's ~60 MB of them brought an extra mark-compact (main-thread marking: the paced stall) in
 * the middle of chat traffic. 25 keep each under V8's large-object size (128 KB), so they die young.
 */
const BATCH = 25;
/** Batches sent ahead of the child's acknowledgements: enough to keep it busy, too few to pile up. */
const WINDOW = 4;
/** Secrets the export has no use for stay out of its environment. */
const WITHHELD_ENV = ["BOT_TOKEN", "WEBHOOK_SECRET", "DATABASE_URL"];

/** The bundle's dist/export-child.js next to dist/main.js, or else the TypeScript source. */
function childEntry(): string {
  const js = fileURLToPath(new URL("./export-child.js", import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL("./export-child.ts", import.meta.url));
}

/** Node's flags for the child: TypeScript runs through the tsx loader. */
function childFlags(file: string): string[] {
  return file.endsWith(".ts") ? [...ONE_CORE, "--import", "tsx"] : [...ONE_CORE, "--enable-source-maps"];
}

/**
 * V8 without its helper threads (GC and compilation run on the child's main thread): the export then
 * takes at most one core, and the bot keeps the other even when the child's GC would have spread to both.
 */
const ONE_CORE = ["--single-threaded"];

/**
 * The child lowers each of its threads once it runs (export-child.ts), but its start-up (loading
 * Node, the modules and the knowledge: most of a second of a full core) would run at the bot's own
 * priority. Lowered from here at once, its main thread starts low, and the threads it starts inherit it.
 */
const CHILD_NICENESS = 10;
function lowerAtStart(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    setPriority(child.pid, Math.max(CHILD_NICENESS, getPriority()));
  } catch {
    // not allowed here: the child lowers itself once it runs
  }
}

/** One export at a time per bot: each takes a core and its own memory while it runs. */
let turn: Promise<void> = Promise.resolve();

/** Messages from the child, awaited one at a time. */
function inbox(child: ChildProcess): () => Promise<FromChild> {
  const queue: FromChild[] = [];
  const waiting: { resolve: (m: FromChild) => void; reject: (e: Error) => void }[] = [];
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure ??= e;
    for (const w of waiting.splice(0)) w.reject(failure);
  };
  child.on("message", (m: FromChild) => {
    if (m.type === "error") return fail(new Error(`export child: ${m.message}`));
    const w = waiting.shift();
    if (w) w.resolve(m);
    else queue.push(m);
  });
  child.on("error", fail);
  // "disconnect" comes after every message the child sent has been received.
  let exit = "";
  child.on("exit", (code, signal) => (exit = ` (code ${code}, signal ${signal})`));
  child.on("disconnect", () => fail(new Error(`export child went away before finishing${exit}`)));
  return () => {
    const m = queue.shift();
    if (m) return Promise.resolve(m);
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
}

function sendTo(child: ChildProcess, m: ToChild): Promise<void> {
  return new Promise((resolve, reject) => child.send(m, (err) => (err ? reject(err) : resolve())));
}

/** Yields the CSV, then the XLSX; returns the child's peak RSS in MB. */
export async function* exportInChild(o: ChildExportOptions): AsyncGenerator<ExportFile, { peakRssMB: number }> {
  const before = turn;
  let release!: () => void;
  turn = new Promise((resolve) => (release = resolve));
  await before;
  const dir = await mkdtemp(join((await scratchRoot()).path, "guopei-export-"));
  let child: ChildProcess | undefined;
  try {
    const file = o.childScript ?? childEntry();
    const env = { ...process.env };
    for (const name of WITHHELD_ENV) delete env[name];
    child = fork(file, [], { cwd: ROOT, execArgv: childFlags(file), env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    lowerAtStart(child);
    const next = inbox(child);
    const acked = async () => {
      const m = await next();
      if (m.type !== "ack") throw new Error(`export child: expected ack, got ${m.type}`);
    };
    await sendTo(child, { type: "start", dir, timeZone: o.timeZone, now: o.now.toISOString() });

    const size = o.batchSize ?? BATCH;
    let batch: DeclarationRecord[] = [];
    let unacked = 0;
    const flush = async () => {
      if (!batch.length) return;
      const names = await o.ownerNames([...new Set(batch.map((d) => d.ownerId))]);
      const records = batch.map((declaration) => ({ declaration, ownerName: names.get(declaration.ownerId) ?? null }));
      batch = [];
      if (unacked >= WINDOW) {
        await acked();
        unacked--;
      }
      await sendTo(child!, { type: "batch", records });
      unacked++;
    };
    for await (const d of o.declarations) {
      batch.push(d);
      if (batch.length >= size) await flush();
    }
    await flush();
    for (; unacked > 0; unacked--) await acked();
    await sendTo(child, { type: "end" });

    for (;;) {
      const m = await next();
      if (m.type === "file") yield { kind: m.kind, path: m.path, rows: m.rows };
      else if (m.type === "done") return { peakRssMB: m.peakRssMB };
    }
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill();
    await rm(dir, { recursive: true, force: true });
    release();
  }
}
