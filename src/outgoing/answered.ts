/**
 * Which updates' replies have left this process, so a restart after kill -9 does not answer them
 * again. A reply counts from the moment its request was handed to the kernel (the socket write
 * finished: it reaches Telegram even if the process dies a microsecond later), not from Telegram's
 * answer, which can be lost with the process. A reply Telegram then refused (429, 5xx) is taken
 * back. Kept in DATA_DIR/outbox/answered.log ("+id" / "-id" lines, one write(2) each).
 *
 * The request-written signal comes from an http(s) agent that watches its requests
 * (`watchingAgent`), told which call it serves through AsyncLocalStorage (`whenWritten`).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import http, { type ClientRequest } from "node:http";
import https from "node:https";
import { join } from "node:path";
import { Journal } from "../store/line-journal.js";

const onWritten = new AsyncLocalStorage<() => void>();

/** Runs `call`; `written` fires once its HTTP request has been written to the socket. */
export function whenWritten<T>(written: () => void, call: () => Promise<T>): Promise<T> {
  return onWritten.run(written, call);
}

/**
 * Calls `written` right after the request's bytes went to the kernel: Node writes a request in
 * ClientRequest._flush() once it has a socket (cork, write, uncork: one writev, synchronous on a
 * connected socket); on a socket still connecting, the bytes go when it connects. Waiting for
 * "finish" instead would leave an event-loop turn in which the request is out but not noted.
 */
function watchRequest(req: ClientRequest, written: () => void): void {
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    written();
  };
  const internal = req as unknown as { _flush(): void };
  const flush = internal._flush;
  if (typeof flush !== "function") {
    req.once("finish", once); // another Node: fall back to the later signal
    return;
  }
  // The bytes leave either when a socket arrives after end() (_flush), or in end() itself when the
  // socket came first (it writes straight to it). Either way: noted right after, same turn.
  const afterWrite = (r: ClientRequest) => {
    const socket = r.socket;
    if (!socket || !r.writableEnded) return; // no socket yet, or the body is not complete
    if (socket.connecting) socket.once("connect", once);
    else once();
  };
  internal._flush = function (this: ClientRequest) {
    flush.call(this);
    afterWrite(this);
  };
  const end = req.end;
  req.end = function (this: ClientRequest, ...args: unknown[]) {
    const r = (end as (...a: unknown[]) => ClientRequest).apply(this, args);
    afterWrite(this);
    return r;
  } as typeof req.end;
  req.once("finish", once);
}

function watch<A extends http.Agent>(agent: A): A {
  const internal = agent as unknown as { addRequest(req: ClientRequest, options: unknown): void };
  const add = internal.addRequest.bind(agent);
  internal.addRequest = (req, options) => {
    const written = onWritten.getStore();
    if (written) watchRequest(req, written);
    add(req, options);
  };
  return agent;
}

const httpAgent = watch(new http.Agent({ keepAlive: true }));
const httpsAgent = watch(new https.Agent({ keepAlive: true }));

/** For grammY's client (baseFetchConfig.agent; node-fetch takes a function of the URL). */
export const watchingAgent = (url: URL): http.Agent => (url.protocol === "http:" ? httpAgent : httpsAgent);

/** Keep the journal short: rewritten with the ids that matter once it has this many lines. */
const COMPACT_AFTER = 20_000;
const KEEP_IDS = 10_000;

export class AnsweredJournal {
  readonly #journal: Journal;
  readonly #count = new Map<number, number>();
  #lines: number;

  private constructor(journal: Journal, lines: number) {
    this.#journal = journal;
    this.#lines = lines;
  }

  static open(dataDir: string): AnsweredJournal {
    const { journal, lines } = Journal.open(join(dataDir, "outbox", "answered.log"));
    const j = new AnsweredJournal(journal, lines.length);
    for (const line of lines) {
      const id = Number(line.slice(1));
      if (!Number.isSafeInteger(id)) continue;
      j.#count.set(id, (j.#count.get(id) ?? 0) + (line[0] === "-" ? -1 : 1));
    }
    return j;
  }

  /** A reply for this update has been written to Telegram's socket. */
  written(updateId: number): void {
    this.#count.set(updateId, (this.#count.get(updateId) ?? 0) + 1);
    this.#append(`+${updateId}`);
  }

  /** That reply was refused after all (429, 5xx, a cut connection): it does not count. */
  notDelivered(updateId: number): void {
    this.#count.set(updateId, (this.#count.get(updateId) ?? 0) - 1);
    this.#append(`-${updateId}`);
  }

  /** Some reply of this update has left the process (and was not refused). */
  answered(updateId: number): boolean {
    return (this.#count.get(updateId) ?? 0) > 0;
  }

  close(): void {
    this.#journal.close();
  }

  #append(line: string): void {
    this.#journal.append(line);
    if (++this.#lines < COMPACT_AFTER) return;
    const keep = [...this.#count].filter(([, n]) => n > 0).slice(-KEEP_IDS);
    this.#count.clear();
    for (const [id, n] of keep) this.#count.set(id, n);
    this.#journal.rewrite(keep.map(([id]) => `+${id}`));
    this.#lines = keep.length;
  }
}
