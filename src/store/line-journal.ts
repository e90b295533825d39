/**
 * An append-only line journal (store infrastructure: the inbox, the send journal and the answered
 * journal use it) for facts that must survive a kill -9 the moment they happen ("this
 * update is stored", "this chat was sent this reminder"). append() is one write(2): once it
 * returns, the line is in the kernel's page cache and outlives the process, whatever kills it.
 * sync() adds an fdatasync (coalesced: one for every line appended meanwhile) for power loss too.
 * A line torn by a crash mid-write is ignored when the journal is read back.
 */
import { closeSync, fdatasync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";

export class Journal {
  #fd: number;
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.#fd = fd;
  }

  /** Opens (creating) the journal and returns the complete lines it holds. */
  static open(path: string): { journal: Journal; lines: string[] } {
    mkdirSync(dirname(path), { recursive: true });
    let text = "";
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    const parts = text.split("\n");
    const torn = parts.pop() ?? ""; // after the last newline: empty, or a line cut off by a crash
    const journal = new Journal(path, openSync(path, "a"));
    if (torn) journal.rewrite(parts); // drop the torn tail, so the next line starts clean
    return { journal, lines: parts.filter(Boolean) };
  }

  /** Appends one line (no newlines inside); in the page cache when this returns. */
  append(line: string): void {
    const buf = Buffer.from(line + "\n", "utf8");
    let off = 0;
    while (off < buf.length) off += writeSync(this.#fd, buf, off);
  }

  /** Resolves once every line appended so far is on disk (fdatasync, one for all callers meanwhile). */
  sync(): Promise<void> {
    // Lines appended while a sync runs need the next one; everyone asking meanwhile shares it.
    this.#next ??= (this.#running ?? Promise.resolve()).then(() => {
      this.#next = undefined;
      const run = new Promise<void>((resolve, reject) => fdatasync(this.#fd, (err) => (err ? reject(err) : resolve())));
      // Only for ordering the next sync: its failure is the callers' (through `run`), not this chain's.
      const tracked: Promise<void> = run.then(
        () => undefined,
        () => undefined,
      );
      this.#running = tracked;
      void tracked.then(() => {
        if (this.#running === tracked) this.#running = undefined;
      });
      return run;
    });
    return this.#next;
  }

  /** Replaces the journal's content with these lines (temp file, fsync, rename). */
  rewrite(lines: readonly string[]): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      const text = lines.length ? lines.join("\n") + "\n" : "";
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    const old = this.#fd;
    this.#fd = openSync(this.path, "a");
    // An fdatasync may still run on the old descriptor: close it after that (the new file is synced).
    void (this.#running ?? Promise.resolve()).then(() => closeSync(old));
  }

  close(): void {
    closeSync(this.#fd);
  }
}
