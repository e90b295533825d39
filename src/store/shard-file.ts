/**
 * One shard of a keyed collection in memory, and its file format: a JSON document with one record
 * per line, so that opening the store need not parse (nor even decode) the records.
 *
 *   {"format":"lowdb-shard/2","tx":123,"count":2,"heads":1,"crc32":"1a2b3c4d","records":[
 *   ["GP2024-0018",6394219140,{"ref":"GP2024-0018","ownerId":6394219140,…}],
 *   ["GP2024-0083",5445863457,{…}]
 *   ]}
 *
 * - The first line is the header: "tx", the newest journal lsn the shard holds (commit-log.ts);
 *   "count" records; "heads", how many numbers each record line carries between its key and its
 *   JSON (the few fields the indexes need at open, e.g. a declaration's owner: layout.ts HEADS);
 *   "crc32" of every byte after the header line, then of the header up to "crc32".
 * - Opening reads the bytes, checks the checksum (so a damaged byte anywhere stops start-up, as a
 *   JSON parse error did) and finds each line's key and heads; a record is parsed from its bytes on
 *   first access (measured at 5×: 2.2 s of CPU to decode and parse the declarations, 0.17 s to check
 *   and split them).
 * - The bytes of the last file stay in memory as the shard's image: the next write copies the
 *   lines of unchanged records and encodes only those changed since (whose JSON put() already
 *   made), so a checkpoint serialises a shard with a memory copy.
 * - Older folders hold `{"records":{…},"tx":N}` (format 1); such a file is parsed whole at open
 *   and written in format 2 by the next checkpoint that changes it.
 */
import { crc32 } from "node:zlib";
import { corruptFileError } from "./errors.js";
import { shardOf } from "./hash.js";

export const SHARD_FORMAT = "lowdb-shard/2";
const MAGIC = Buffer.from(`{"format":"${SHARD_FORMAT}",`);
const SEP = Buffer.from(",\n");
const NL = 0x0a;
const TAIL = Buffer.from("\n]}");
/** Offsets into an image are 32-bit: a shard file up to 2 GB. */
const MAX_FILE = 2 ** 31 - 1;

/** What a collection's shards need to know about its records. */
export interface ShardSpec<T> {
  /** The record's key (decides its shard). */
  key: (record: T) => string;
  /** The numbers the indexes need without parsing the record (`heads` of them for every record). */
  head: (record: T) => number[];
  heads: number;
  /** This shard's number and the collection's shard count (a key must hash here). */
  index: number;
  shards: number;
}

export function shardFileName(i: number): string {
  return `${String(i).padStart(3, "0")}.json`;
}

export class Shard<T> {
  readonly spec: ShardSpec<T>;
  readonly path: string;
  /** The newest journal lsn whose change this shard holds. */
  tx: number | undefined;
  /** The last file's bytes (its image) and where its body starts. */
  #buf: Buffer | null = null;
  /**
   * Records whose line is in the image, unchanged since: key → the line's number, whose bytes are
   * #starts[n]..#ends[n] of #buf (small integers in the map: no number objects per record).
   */
  #spans = new Map<string, number>();
  #starts = new Int32Array(0);
  #ends = new Int32Array(0);
  /** The heads of every line as read at open (`spec.heads` per line), until the indexes took them. */
  #openHeads: Float64Array | null = null;
  /** Records not in the image (changed since, or loaded from a format-1 file): key → their JSON when known. */
  #fresh = new Map<string, string | null>();
  /** Parsed records: every fresh one, and the imaged ones accessed so far. */
  readonly #values = new Map<string, T>();

  constructor(spec: ShardSpec<T>, path: string) {
    this.spec = spec;
    this.path = path;
  }

  get size(): number {
    return this.#spans.size + this.#fresh.size;
  }

  has(key: string): boolean {
    return this.#spans.has(key) || this.#fresh.has(key);
  }

  get(key: string): T | undefined {
    const v = this.#values.get(key);
    if (v !== undefined) return v;
    const line = this.#spans.get(key);
    return line === undefined ? undefined : this.#materialise(key, line);
  }

  /** The record, parsed if need be but not kept parsed (a scan over many that should not stay resident). */
  peek(key: string): T | undefined {
    const v = this.#values.get(key);
    if (v !== undefined) return v;
    const line = this.#spans.get(key);
    return line === undefined ? undefined : this.#materialise(key, line, false);
  }

  *keys(): IterableIterator<string> {
    yield* this.#spans.keys();
    yield* this.#fresh.keys();
  }

  *values(): IterableIterator<T> {
    for (const k of this.keys()) yield this.get(k)!;
  }

  /**
   * Calls `fn` with every key and its heads, without parsing imaged records (the indexes, built at
   * open); `head` is reused between calls. The heads read at open are then let go.
   */
  forEachHead(fn: (key: string, head: readonly number[]) => void): void {
    const h = this.spec.heads;
    const read = this.#openHeads;
    const head = new Array<number>(h).fill(0);
    for (const [k, line] of this.#spans) {
      const cached = this.#values.get(k);
      if (cached !== undefined) fn(k, this.spec.head(cached));
      else if (read) {
        for (let i = 0; i < h; i++) head[i] = read[line * h + i]!;
        fn(k, head);
      } else fn(k, this.#lineHeads(line));
    }
    for (const k of this.#fresh.keys()) fn(k, this.spec.head(this.#values.get(k)!));
    this.#openHeads = null;
  }

  /**
   * Stores `record` (the caller's own copy; `json` its JSON when known) and returns the one it
   * replaced (with `parse` false, only if it was parsed already).
   */
  put(key: string, record: T, json: string | undefined, parse = true): T | undefined {
    const previous = parse ? this.get(key) : this.#values.get(key);
    this.#spans.delete(key);
    this.#fresh.set(key, json ?? null);
    this.#values.set(key, record);
    return previous;
  }

  delete(key: string): T | undefined {
    const previous = this.get(key);
    this.#spans.delete(key);
    this.#fresh.delete(key);
    this.#values.delete(key);
    return previous;
  }

  #materialise(key: string, line: number, keep = true): T {
    const buf = this.#buf!;
    const start = this.#starts[line]!;
    const end = this.#ends[line]!;
    const rec = recordStart(buf, start, end, this.path);
    let record: unknown;
    try {
      record = JSON.parse(buf.toString("utf8", rec, end - 1));
    } catch (e) {
      throw corruptFileError(this.path, `record "${key}" is not valid JSON`, e);
    }
    if (typeof record !== "object" || record === null || Array.isArray(record)) throw corruptFileError(this.path, `record "${key}" is not an object`);
    if (this.spec.key(record as T) !== key) throw corruptFileError(this.path, `record "${key}" has key "${this.spec.key(record as T)}"`);
    if (keep) this.#values.set(key, record as T);
    return record as T;
  }

  /** The heads of the imaged line at `span` (checked when the file was read). */
  #lineHeads(line: number): number[] {
    const buf = this.#buf!;
    const start = this.#starts[line]!;
    const end = this.#ends[line]!;
    let p = keyEnd(buf, start, end, this.path) + 1;
    const rec = recordStart(buf, start, end, this.path);
    const out: number[] = [];
    while (p < rec) {
      const comma = buf.indexOf(0x2c, p);
      out.push(headAt(buf, p, comma) ?? Number.NaN);
      p = comma + 1;
    }
    return out;
  }

  /**
   * The file's bytes for the records now; they become the shard's image (unchanged records are
   * copied from the old one, changed ones encoded from their JSON).
   */
  encode(): Buffer {
    const old = this.#buf;
    const parts: Buffer[] = [];
    // new line number → its offsets within the body (made absolute once the header is known)
    const keys: string[] = [];
    const starts: number[] = [];
    const ends: number[] = [];
    let pos = 0; // within the body
    let runStart = -1;
    let runEnd = -1;
    const flushRun = () => {
      if (runStart >= 0) parts.push(old!.subarray(runStart, runEnd));
      runStart = -1;
    };
    for (const [k, line] of this.#spans) {
      const start = this.#starts[line]!;
      const end = this.#ends[line]!;
      if (keys.length > 0) pos += SEP.length;
      if (runStart >= 0 && start === runEnd + SEP.length) {
        runEnd = end; // extends the run (the separator between them comes along)
      } else {
        flushRun();
        if (keys.length > 0) parts.push(SEP);
        runStart = start;
        runEnd = end;
      }
      keys.push(k);
      starts.push(pos);
      pos += end - start;
      ends.push(pos);
    }
    flushRun();
    for (const [k, json] of this.#fresh) {
      const record = this.#values.get(k)!;
      const line = Buffer.from(`[${JSON.stringify(k)},${this.spec.head(record).map(headText).join("")}${json ?? JSON.stringify(record)}]`);
      if (keys.length > 0) {
        parts.push(SEP);
        pos += SEP.length;
      }
      parts.push(line);
      keys.push(k);
      starts.push(pos);
      pos += line.length;
      ends.push(pos);
    }
    parts.push(TAIL);
    pos += TAIL.length;
    let crc = 0;
    for (const p of parts) crc = crc32(p, crc);
    const fields = `{"format":"${SHARD_FORMAT}","tx":${this.tx ?? 0},"count":${keys.length},"heads":${this.spec.heads},`;
    crc = crc32(fields, crc);
    const header = Buffer.from(`${fields}"crc32":"${hex(crc)}","records":[\n`);
    const out = Buffer.allocUnsafe(header.length + pos);
    header.copy(out, 0);
    let at = header.length;
    for (const p of parts) at += p.copy(out, at);
    // Too big to index with 32-bit offsets: every record stays fresh (serialised in full next time).
    if (out.length > MAX_FILE) return out;
    // The new file is the image now: every record is in it.
    const spans = new Map<string, number>();
    this.#starts = new Int32Array(keys.length);
    this.#ends = new Int32Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      spans.set(keys[i]!, i);
      this.#starts[i] = starts[i]! + header.length;
      this.#ends[i] = ends[i]! + header.length;
    }
    this.#spans = spans;
    this.#fresh.clear();
    this.#buf = out;
    this.#openHeads = null;
    return out;
  }

  /**
   * Reads a shard file's bytes (format 2, or format 1 JSON); a damaged or misplaced record throws
   * the corrupt-file error that stops start-up, naming the file.
   */
  static decode<T>(spec: ShardSpec<T>, path: string, bytes: Buffer): Shard<T> {
    const shard = new Shard<T>(spec, path);
    if (bytes.length >= MAGIC.length && bytes.subarray(0, MAGIC.length).equals(MAGIC)) shard.#decodeLines(bytes);
    else shard.#decodeJson(bytes);
    return shard;
  }

  #decodeLines(bytes: Buffer): void {
    const bad = (why: string) => corruptFileError(this.path, why);
    const headerEnd = bytes.indexOf(NL);
    if (headerEnd < 0) throw bad("the header line is cut off");
    let header: { tx?: unknown; count?: unknown; heads?: unknown; crc32?: unknown };
    try {
      header = JSON.parse(`${bytes.toString("utf8", 0, headerEnd)}]}`) as typeof header;
    } catch (e) {
      throw corruptFileError(this.path, "the header line is not valid JSON", e);
    }
    const { tx, count, heads, crc32: sum } = header;
    if (!(Number.isSafeInteger(tx) && (tx as number) >= 0)) throw bad(`"tx" must be a whole number`);
    if (!(Number.isSafeInteger(count) && (count as number) >= 0)) throw bad(`"count" must be a whole number`);
    if (!(Number.isSafeInteger(heads) && (heads as number) >= 0)) throw bad(`"heads" must be a whole number`);
    const body = bytes.subarray(headerEnd + 1);
    const fieldsEnd = bytes.indexOf('"crc32":"');
    if (fieldsEnd < 0 || fieldsEnd > headerEnd) throw bad(`the header has no "crc32"`);
    if (typeof sum !== "string" || hex(crc32(bytes.subarray(0, fieldsEnd), crc32(body))) !== sum) throw bad("checksum mismatch (the file was damaged or cut off)");
    if (body.length < TAIL.length || !body.subarray(body.length - TAIL.length).equals(TAIL)) throw bad("the end is missing");
    const end = bytes.length - TAIL.length;
    if (bytes.length > MAX_FILE) throw bad("the file is too large");
    const h = heads as number;
    const total = count as number;
    this.#starts = new Int32Array(total);
    this.#ends = new Int32Array(total);
    const read = (this.#openHeads = new Float64Array(total * h));
    let p = headerEnd + 1;
    let n = 0;
    while (p < end) {
      if (n >= total) throw bad(`holds more records than its header says (${total})`);
      let lineEnd = bytes.indexOf(NL, p);
      if (lineEnd < 0 || lineEnd > end) lineEnd = end;
      const next = lineEnd + 1;
      if (lineEnd < end) {
        if (bytes[lineEnd - 1] !== 0x2c) throw bad(`line ${n + 2}: expected "," at its end`);
        lineEnd--;
      }
      if (bytes[p] !== 0x5b || bytes[p + 1] !== 0x22 || bytes[lineEnd - 1] !== 0x5d) throw bad(`line ${n + 2}: expected [key, …, {record}]`);
      // the key: a JSON string; most hold no escapes, and are taken as they are
      let q = p + 2;
      let escaped = false;
      for (; q < lineEnd; q++) {
        const c = bytes[q];
        if (c === 0x5c) {
          escaped = true;
          q++;
        } else if (c === 0x22) break;
      }
      if (q >= lineEnd || bytes[q + 1] !== 0x2c) throw bad(`line ${n + 2}: the key is cut off`);
      let key: string;
      if (escaped) {
        try {
          key = JSON.parse(bytes.toString("utf8", p + 1, q + 1)) as string;
        } catch (e) {
          throw corruptFileError(this.path, `line ${n + 2}: the key is not valid JSON`, e);
        }
      } else key = bytes.toString("utf8", p + 2, q);
      if (shardOf(key, this.spec.shards) !== this.spec.index) throw bad(`record "${key}" belongs in ${shardFileName(shardOf(key, this.spec.shards))}`);
      if (this.#spans.has(key)) throw bad(`record "${key}" appears twice`);
      // heads: `h` numbers, each followed by a comma, then the record's object
      q += 2;
      for (let i = 0; i < h; i++) {
        const comma = bytes.indexOf(0x2c, q);
        const value = comma < 0 || comma >= lineEnd ? undefined : headAt(bytes, q, comma);
        if (value === undefined) throw bad(`record "${key}": head ${i + 1} is not a number`);
        read[n * h + i] = value;
        q = comma + 1;
      }
      if (bytes[q] !== 0x7b || bytes[lineEnd - 2] !== 0x7d) throw bad(`record "${key}" is not an object`);
      this.#spans.set(key, n);
      this.#starts[n] = p;
      this.#ends[n] = lineEnd;
      n++;
      p = next;
    }
    if (n !== count) throw bad(`holds ${n} records, its header says ${count as number}`);
    this.tx = (tx as number) > 0 ? (tx as number) : undefined;
    this.#buf = bytes;
    // Written by a version whose indexes took other heads: parse every record now (as format 1).
    if (heads !== this.spec.heads) {
      for (const [k, line] of this.#spans) {
        this.#materialise(k, line);
        this.#fresh.set(k, null);
      }
      this.#spans.clear();
      this.#buf = null;
      this.#openHeads = null;
    }
  }

  #decodeJson(bytes: Buffer): void {
    const text = bytes.toString("utf8");
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw corruptFileError(this.path, text.length === 0 ? "file is empty" : `invalid JSON (${e instanceof Error ? e.message : String(e)})`, e);
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) throw corruptFileError(this.path, "expected an object");
    const records = (data as { records?: unknown }).records;
    if (typeof records !== "object" || records === null || Array.isArray(records)) throw corruptFileError(this.path, `expected "records" to be an object`);
    const tx = (data as { tx?: unknown }).tx;
    if (tx !== undefined && !(Number.isSafeInteger(tx) && (tx as number) > 0)) throw corruptFileError(this.path, `"tx" must be a positive whole number`);
    for (const k in records) {
      const v = (records as Record<string, unknown>)[k];
      if (typeof v !== "object" || v === null) throw corruptFileError(this.path, `record "${k}" is not an object`);
      const key = this.spec.key(v as T);
      if (key !== k) throw corruptFileError(this.path, `record "${k}" has key "${key}"`);
      if (shardOf(k, this.spec.shards) !== this.spec.index) throw corruptFileError(this.path, `record "${k}" belongs in ${shardFileName(shardOf(k, this.spec.shards))}`);
      this.#fresh.set(k, null);
      this.#values.set(k, v as T);
    }
    this.tx = tx as number | undefined;
  }
}

const hex = (crc: number) => crc.toString(16).padStart(8, "0");

/** A head number as written, then the comma before the next field (a missing number is null). */
function headText(n: number): string {
  return Number.isFinite(n) ? `${n},` : "null,";
}

/** A head field's number (NaN for null), or undefined when it is not one. */
function parseHead(text: string): number | undefined {
  if (text === "null") return Number.NaN;
  const n = Number(text);
  return text.length > 0 && Number.isFinite(n) ? n : undefined;
}

/** The head number in buf[from, to): whole numbers digit by digit (the usual case), others as text. */
function headAt(buf: Buffer, from: number, to: number): number | undefined {
  let i = from;
  const negative = buf[i] === 0x2d;
  if (negative) i++;
  if (i >= to || to - i > 15) return parseHead(buf.toString("latin1", from, to));
  let n = 0;
  for (; i < to; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return parseHead(buf.toString("latin1", from, to));
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

/** The index just past the closing quote of the key that opens the line at `start` (`["…"`). */
function keyEnd(buf: Buffer, start: number, end: number, path: string): number {
  if (buf[start + 1] !== 0x22) throw corruptFileError(path, "a record line does not start with its key");
  for (let i = start + 2; i < end; i++) {
    const c = buf[i];
    if (c === 0x5c) i++;
    else if (c === 0x22) {
      if (buf[i + 1] !== 0x2c) throw corruptFileError(path, "expected \",\" after a record's key");
      return i + 1;
    }
  }
  throw corruptFileError(path, "a record's key is cut off");
}

/** Where the record's object starts in the line at start..end (after the key and its heads). */
function recordStart(buf: Buffer, start: number, end: number, path: string): number {
  const i = buf.indexOf(0x7b, keyEnd(buf, start, end, path));
  if (i < 0 || i >= end) throw corruptFileError(path, "a record line holds no object");
  return i;
}
