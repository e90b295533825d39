/** Messages between the bot and its export child process (src/export/export-child.ts), over Node's IPC channel. */
import type { ExportRecord } from "./declarations.js";

export type ToChild =
  /** First message: where to write and how to show dates. */
  | { type: "start"; dir: string; timeZone: string; now: string }
  /** Records in the order they are listed; the child answers each with "ack" once it is on its way to disk. */
  | { type: "batch"; records: ExportRecord[] }
  | { type: "end" };

export type FromChild =
  | { type: "ack" }
  /** A finished file: CSV first, then XLSX. */
  | { type: "file"; kind: "csv" | "xlsx"; path: string; rows: number }
  /** Last message: the child's own peak RSS (it is outside the bot's). */
  | { type: "done"; peakRssMB: number }
  | { type: "error"; message: string };
