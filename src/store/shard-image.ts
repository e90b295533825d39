/**
 * Incremental serialisation of one shard file ({"records":{"k":{…},…}}).
 *
 * Stringifying and UTF-8-encoding a whole shard on every write dominated the CPU profile (the
 * records are mostly Chinese text, i.e. two-byte strings). The image keeps the bytes of the shard's
 * last serialisation and where each record sits in them; the next serialisation copies the bytes
 * of unchanged records and encodes only those changed since (whose JSON put() already produced).
 * Memory: the images of recently written shards, up to a byte budget shared by the store
 * (ImageBudget, least recently written dropped first); a shard without an image is serialised in
 * full on its next write and gets a new one.
 */
const HEAD = Buffer.from('{"records":{');
const TAIL = Buffer.from("}}");
const COMMA = Buffer.from(",");
/** A span is start * 2^24 + length (a record's JSON up to 16 MB, a shard up to 512 MB). */
const SPAN = 2 ** 24;

/** The byte budget for the images of one store, least recently written first out. */
export class ImageBudget {
  readonly #max: number;
  #total = 0;
  readonly #held = new Map<ShardImage<unknown>, number>();

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  get totalBytes(): number {
    return this.#total;
  }

  /** The image now holds `bytes`; drops the least recently written images beyond the budget. */
  hold(image: ShardImage<unknown>, bytes: number): void {
    this.release(image);
    if (bytes > this.#max) {
      image.drop();
      return;
    }
    this.#held.set(image, bytes);
    this.#total += bytes;
    for (const [other, size] of this.#held) {
      if (this.#total <= this.#max) break;
      this.#held.delete(other);
      this.#total -= size;
      other.drop();
    }
  }

  release(image: ShardImage<unknown>): void {
    const size = this.#held.get(image);
    if (size === undefined) return;
    this.#held.delete(image);
    this.#total -= size;
  }
}

export class ShardImage<T> {
  readonly #budget: ImageBudget | undefined;
  #buf: Buffer | null = null;
  #spans = new Map<string, number>();
  /** Keys changed since the image was built, with their `"key":{…}` JSON when known. */
  readonly #changed = new Map<string, string | undefined>();

  constructor(budget?: ImageBudget) {
    this.#budget = budget;
  }

  /** Forgets the bytes (the budget needs the memory); the next serialisation is a full one. */
  drop(): void {
    this.#buf = null;
    this.#spans = new Map();
  }

  /** A record was put; `json` is its JSON (so it need not be stringified again). */
  changed(key: string, json?: string): void {
    this.#changed.set(key, json === undefined ? undefined : `${JSON.stringify(key)}:${json}`);
  }

  deleted(key: string): void {
    this.#changed.set(key, undefined);
  }

  /** The shard's file content for the current records (and transaction mark, sharded-collection.ts). */
  serialize(records: Record<string, T>, tx?: number): Buffer {
    const tail = tx === undefined ? TAIL : Buffer.from(`},"tx":${tx}}`);
    const parts: Buffer[] = [HEAD];
    const spans = new Map<string, number>();
    const old = this.#buf;
    let pos = HEAD.length;
    // Unchanged records that were adjacent in the old image are copied as one run.
    let runStart = -1;
    let runEnd = -1;
    const flushRun = () => {
      if (runStart >= 0) parts.push(old!.subarray(runStart, runEnd));
      runStart = -1;
    };
    for (const k in records) {
      const sep = pos > HEAD.length ? 1 : 0;
      const span = old && !this.#changed.has(k) ? this.#spans.get(k) : undefined;
      if (span !== undefined) {
        const start = Math.floor(span / SPAN);
        const len = span % SPAN;
        if (runStart >= 0 && start === runEnd + sep) {
          runEnd = start + len; // extends the run (the comma between them comes along)
        } else {
          flushRun();
          if (sep) parts.push(COMMA);
          runStart = start;
          runEnd = start + len;
        }
        pos += sep;
        spans.set(k, pos * SPAN + len);
        pos += len;
      } else {
        flushRun();
        if (sep) parts.push(COMMA);
        pos += sep;
        const piece = Buffer.from(this.#changed.get(k) ?? `${JSON.stringify(k)}:${JSON.stringify(records[k])}`);
        parts.push(piece);
        if (piece.length < SPAN && pos < 2 ** 29) spans.set(k, pos * SPAN + piece.length);
        pos += piece.length;
      }
    }
    flushRun();
    parts.push(tail);
    const buf = Buffer.concat(parts, pos + tail.length);
    this.#buf = buf;
    this.#spans = spans;
    this.#changed.clear();
    this.#budget?.hold(this as ShardImage<unknown>, buf.length);
    return buf;
  }
}
