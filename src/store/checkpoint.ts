/**
 * Folding the journal into the snapshot files, off the write path.
 *
 * A checkpoint: the journal moves to a new segment; every shard and audit chunk changed since it
 * was last written is written (lowdb, temp file + fsync + rename, one file at a time, yielding to
 * the event loop between files when it runs in the background); then the older segments are
 * removed. A file is only written when every journal line it holds is on disk, so the snapshot
 * files never hold a change the journal could still lose (a transaction is never half there).
 *
 * A crash at any moment of a checkpoint is harmless: the old segments are still there, and replay
 * skips what the files written so far already hold (their marks).
 *
 * It runs in the background when the journal has grown by `thresholdBytes` since the last one, and
 * in full at flush() and close().
 */
import type { CommitLog } from "./commit-log.js";
import type { StoreLogger } from "./durable-file.js";
import type { SnapshotUnit } from "./sharded-collection.js";

export interface SnapshotSource {
  takeDirty(): SnapshotUnit[];
}

/**
 * Default journal growth between background checkpoints: it bounds the replay after a crash (about
 * 0.5 s per 8 MB measured here) against how often the snapshot files are rewritten.
 */
export const DEFAULT_CHECKPOINT_BYTES = 8 * 1024 * 1024;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * In the background, a checkpoint rests this many times as long as each file took to write: the
 * shard files' fsyncs share the disk with the journal's fdatasyncs, and writing them back to back
 * raised the p99 of journal writes from 94 to 1,275 ms at 5× (load 11). Resting keeps the disk free
 * most of the time, at the price of a longer checkpoint.
 */
const REST_FACTOR = 3;

export class Checkpointer {
  readonly #journal: CommitLog;
  readonly #sources: readonly SnapshotSource[];
  readonly #dataDir: string;
  readonly #log: StoreLogger;
  #running: Promise<void> | null = null;
  /** Checkpoints completed (for tests and the bench). */
  count = 0;

  constructor(opts: { journal: CommitLog; sources: readonly SnapshotSource[]; dataDir: string; log: StoreLogger }) {
    this.#journal = opts.journal;
    this.#sources = opts.sources;
    this.#dataDir = opts.dataDir;
    this.#log = opts.log;
  }

  get running(): boolean {
    return this.#running !== null;
  }

  /** Starts a background checkpoint unless one is running. */
  schedule(): void {
    if (this.#running) return;
    this.#start(true).catch((err: unknown) => this.#log.warn({ err }, "store: background checkpoint failed; it is retried with the next one"));
  }

  /**
   * A full checkpoint now, after the one running (if any). Rejects if a file cannot be written.
   * `background`: yield to the event loop between files, as the scheduled ones do.
   */
  async run(background = false): Promise<void> {
    while (this.#running) await this.#running.catch(() => {});
    await this.#start(background);
  }

  #start(background: boolean): Promise<void> {
    const p = this.#fold(background).finally(() => {
      if (this.#running === p) this.#running = null;
    });
    this.#running = p;
    return p;
  }

  async #fold(background: boolean): Promise<void> {
    const cutoff = this.#journal.rotate();
    const units = this.#sources.flatMap((s) => s.takeDirty());
    let i = 0;
    try {
      for (; i < units.length; i++) {
        const unit = units[i]!;
        // Checked and written in one synchronous step: the file then holds journalled changes only.
        while (unit.mark() > this.#journal.durable) await this.#journal.sync();
        const t0 = performance.now();
        await unit.write();
        if (background) await sleep(Math.max(2, REST_FACTOR * (performance.now() - t0)));
      }
    } catch (e) {
      for (let j = i; j < units.length; j++) units[j]!.redirty();
      throw e;
    }
    await this.#journal.removeBelow(cutoff, await this.#journal.segments(this.#dataDir));
    this.count++;
  }
}
