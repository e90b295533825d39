/**
 * The embedded store's journal: every change (a put, a delete, an audit entry, or a whole
 * transaction) is one line appended to DATA_DIR/journal/<seq>.log, and a write is acknowledged
 * only once its line is on disk. The shard files (sharded-collection.ts) are snapshots that
 * checkpoint.ts brings up to date in the background; opening the store loads them and replays the
 * journal's lines they do not hold yet. So a write costs one small append, however big the data.
 *
 * A line: `<crc32 of the body, 8 hex digits> <body>\n`, the body `{"n":<lsn>,"o":[<op>, …]}` with
 * the ops of transaction.ts (TxOp). lsn numbers grow by one per line. Group commit: the lines
 * appended while a write is in flight go out together in the next one (one write(2) and one
 * fdatasync for all of them), and every waiting caller resolves together.
 *
 * A crash can leave a segment's last line torn (cut off, or garbage after a power cut): it was never
 * acknowledged, and replay drops it. A bad line with a good one after it is damage, not a crash, and
 * stops start-up naming the file. Each open, and each failed write, starts a new segment, so a torn
 * line is always a segment's last; a line that reached an old segment before its write failed is
 * written again in the next one with the same lsn, and replay skips a line whose lsn it has seen.
 */
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { StoreError, StoreWriteError, corruptFileError, describe, errnoCode, unreadableFileError } from "./errors.js";
import { deferred, type Deferred } from "./deferred.js";
import type { StoreFs } from "./fs.js";
import type { StoreLogger } from "./durable-file.js";

export const JOURNAL_DIR = "journal";
const SEGMENT_NAME = /^(\d{6,})\.log$/;
export const segmentName = (seq: number) => `${String(seq).padStart(6, "0")}.log`;

/** A failed write is tried again this long after (and with the next write or sync, whichever comes first). */
const RETRY_MS = 1000;

export interface JournalLine {
  n: number;
  o: unknown[];
}


function crcHex(body: string | Uint8Array): string {
  return (crc32(body) >>> 0).toString(16).padStart(8, "0");
}

/** The line for a body (exported for tests that write journals by hand). */
export function journalLine(body: string): string {
  return `${crcHex(body)} ${body}\n`;
}

/**
 * Parses the line at buf[start, end) (without its newline); undefined if it is torn or damaged.
 * The checksum is taken over the bytes, before anything is decoded.
 */
function parseLine(buf: Buffer, start: number, end: number): JournalLine | undefined {
  if (end - start < 10 || buf[start + 8] !== 0x20) return undefined;
  if (crcHex(buf.subarray(start + 9, end)) !== buf.toString("latin1", start, start + 8)) return undefined;
  try {
    const v = JSON.parse(buf.toString("utf8", start + 9, end)) as JournalLine;
    if (!Number.isSafeInteger(v.n) || v.n < 1 || !Array.isArray(v.o)) return undefined;
    return v;
  } catch {
    return undefined;
  }
}

export interface Segment {
  seq: number;
  path: string;
}

/** The journal's segments, oldest first. */
export async function listSegments(fs: StoreFs, dataDir: string): Promise<Segment[]> {
  const dir = join(dataDir, JOURNAL_DIR);
  let names: string[] = [];
  try {
    names = await fs.readdir(dir);
  } catch (e) {
    if (errnoCode(e) !== "ENOENT") throw unreadableFileError(dir, e);
  }
  const out: Segment[] = [];
  for (const name of names) {
    if (name.startsWith(".")) continue;
    const m = SEGMENT_NAME.exec(name);
    if (!m) throw corruptFileError(join(dir, name), "unexpected file in journal/ (expected 000001.log, …)");
    out.push({ seq: Number(m[1]), path: join(dir, name) });
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/**
 * Reads a segment's good lines in order, handing each to `onLine` as it is read (so a segment's
 * lines are never all parsed at once). A bad line followed by a good one is damage (throws before
 * that good line is handed on); bad lines at the end are a torn tail and are dropped (`dropped`).
 */
export async function readSegment(fs: StoreFs, seg: Segment, onLine: (line: JournalLine) => void): Promise<{ dropped: number; bytes: number }> {
  let buf: Buffer;
  try {
    buf = await fs.readBytes(seg.path);
  } catch (e) {
    throw unreadableFileError(seg.path, e);
  }
  let bad = -1;
  let dropped = 0;
  for (let i = 0, p = 0; p < buf.length; i++) {
    const nl = buf.indexOf(0x0a, p);
    const line = nl < 0 ? undefined : parseLine(buf, p, nl); // no newline after it: torn
    p = nl < 0 ? buf.length : nl + 1;
    if (!line) {
      if (bad < 0) bad = i;
      dropped++;
      continue;
    }
    if (bad >= 0) throw corruptFileError(seg.path, `line ${bad + 1} is damaged, and good lines follow it`);
    onLine(line);
  }
  return { dropped, bytes: buf.length };
}

export class CommitLog {
  readonly #dir: string;
  readonly #fs: StoreFs;
  readonly #fsync: boolean;
  readonly #log: StoreLogger;
  #lsn: number;
  #durable: number;
  #seq: number;
  /** The segment being appended to; null: the next write starts a new one. */
  #segment: { seq: number; path: string; fresh: boolean } | null = null;
  /** Lines not yet written (a failed batch's come first), and the callers waiting for them. */
  #queued: { text: string[]; upTo: number; done: Deferred } | null = null;
  #loop: Promise<void> | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #bytesSinceRotate = 0;
  closed = false;
  /** Called after each successful write with the bytes written since the last rotate(). */
  onWritten: (bytesSinceRotate: number) => void = () => {};

  constructor(opts: { dataDir: string; fs: StoreFs; fsync: boolean; log: StoreLogger; lastLsn: number; lastSeq: number }) {
    this.#dir = join(opts.dataDir, JOURNAL_DIR);
    this.#fs = opts.fs;
    this.#fsync = opts.fsync;
    this.#log = opts.log;
    this.#lsn = opts.lastLsn;
    this.#durable = opts.lastLsn;
    this.#seq = opts.lastSeq;
  }

  /** Continues after what replay found: the newest lsn, the newest segment, and the journal's bytes not yet folded. */
  resume(lastLsn: number, lastSeq: number, backlogBytes: number): void {
    this.#lsn = this.#durable = lastLsn;
    this.#seq = lastSeq;
    this.#bytesSinceRotate = backlogBytes;
  }

  /** The newest lsn handed out. */
  get lsn(): number {
    return this.#lsn;
  }

  /** Every line up to this lsn is on disk. */
  get durable(): number {
    return this.#durable;
  }

  /** The sequence number of the segment being written (segments below it are complete). */
  get currentSeq(): number {
    return this.#segment?.seq ?? this.#seq + 1;
  }

  /**
   * Takes the next lsn, lets `apply` change memory with it (synchronously, so lines and memory
   * agree on the order), queues the line, and resolves once the line is on disk.
   */
  commit(opsJson: string, apply: (lsn: number) => void): Promise<void> {
    if (this.closed) return Promise.reject(new StoreError("store is closed; cannot write"));
    const lsn = this.#lsn + 1;
    apply(lsn);
    this.#lsn = lsn;
    const text = journalLine(`{"n":${lsn},"o":${opsJson}}`);
    if (!this.#queued) this.#queued = { text: [], upTo: lsn, done: deferred() };
    this.#queued.text.push(text);
    this.#queued.upTo = lsn;
    const done = this.#queued.done.promise;
    this.#loop ??= this.#run();
    return done;
  }

  /** Resolves once every line committed so far is on disk; rejects if writing them fails now. */
  async sync(): Promise<void> {
    while (this.#durable < this.#lsn) {
      if (this.#loop) await this.#loop;
      else if (this.#queued) {
        const done = this.#queued.done.promise;
        this.#loop = this.#run();
        await done;
      } else break;
    }
    if (this.#queued) await this.#queued.done.promise;
  }

  /** The next write goes to a new segment; returns its sequence number (the older ones can go once folded). */
  rotate(): number {
    this.#bytesSinceRotate = 0;
    this.#segment = null;
    return this.#seq + 1;
  }

  async #run(): Promise<void> {
    await Promise.resolve(); // lines committed in the same tick join this write
    while (this.#queued) {
      const batch = this.#queued;
      this.#queued = null;
      try {
        const bytes = Buffer.from(batch.text.join(""), "utf8");
        await this.#write(bytes);
        this.#durable = Math.max(this.#durable, batch.upTo);
        this.#bytesSinceRotate += bytes.length;
        batch.done.resolve();
        this.onWritten(this.#bytesSinceRotate);
      } catch (e) {
        const err = e instanceof StoreError ? e : new StoreWriteError(this.#segment?.path ?? this.#dir, e);
        this.#log.error({ err }, "store journal write failed; the changes are kept in memory and written with the next write");
        // Part of the batch may be in the file: carry on in a new segment, so whatever was cut off stays a last line.
        this.#segment = null;
        batch.done.reject(err);
        // The lines stay queued, in order, ahead of anything committed since (with a new promise).
        const later = this.#queued as { text: string[]; upTo: number; done: Deferred } | null;
        this.#queued = { text: [...batch.text, ...(later?.text ?? [])], upTo: later?.upTo ?? batch.upTo, done: later?.done ?? deferred() };
        this.#retry ??= setTimeout(() => {
          this.#retry = null;
          if (!this.closed) this.#loop ??= this.#run();
        }, RETRY_MS);
        this.#retry.unref?.();
        break;
      }
    }
    this.#loop = null;
  }

  async #write(bytes: Buffer): Promise<void> {
    if (!this.#segment) {
      this.#seq++;
      this.#segment = { seq: this.#seq, path: join(this.#dir, segmentName(this.#seq)), fresh: true };
      await this.#fs.mkdir(this.#dir);
    }
    const seg = this.#segment;
    await this.#fs.appendFile(seg.path, bytes, this.#fsync);
    if (seg.fresh && this.#fsync) await this.#fs.syncDir(this.#dir); // the new file's name must survive too
    seg.fresh = false;
  }

  /** Removes the segments below `seq` (their lines are all in the snapshot files now). */
  async removeBelow(seq: number, segments: Segment[]): Promise<void> {
    for (const s of segments) {
      if (s.seq >= seq) continue;
      // Not fsynced: a segment that comes back after a power cut is replayed harmlessly (its lines are skipped).
      await this.#fs.unlink(s.path).catch((e: unknown) => {
        if (errnoCode(e) !== "ENOENT") this.#log.warn({ err: e, file: s.path }, `store: cannot remove a folded journal segment (${describe(e)})`);
      });
    }
  }

  /** The journal's segments as they are on disk now. */
  segments(dataDir: string): Promise<Segment[]> {
    return listSegments(this.#fs, dataDir);
  }

  close(): void {
    this.closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
  }
}
