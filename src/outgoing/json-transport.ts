/**
 * The wire under the one outgoing path: Bot API calls whose payload is JSON (every call but file
 * uploads) go over plain node:http(s) with keep-alive sockets, as the innermost API transformer,
 * instead of through grammY's fetch-based client. grammY's client pays per call for node-fetch's
 * Request/Headers/Body objects, an abort-controller polyfill, a 500-s timer and a three-way race;
 * measured on this machine (5,000 sendMessage calls to a local server, 32 at once): 0.46–0.49 ms of
 * CPU per call through grammY's client, 0.10–0.13 ms through this one. At BROADCAST_RATE=1000 that
 * difference is about a third of a core, and it was what held a 5,000-recipient broadcast below
 * its rate (bench/broadcast.ts).
 *
 * What grammY's client does that matters is kept: the same URL, `null` fields left out of the
 * JSON, the parsed answer returned as is (grammY's Api turns `ok: false` into a GrammyError above
 * the transformers), network failures and aborts thrown as HttpError, the caller's signal obeyed.
 * Uploads (an InputFile anywhere in the payload) go on to grammY's own client (`prev`).
 */
import { AsyncResource } from "node:async_hooks";
import http from "node:http";
import https from "node:https";
import { HttpError, InputFile, type Transformer } from "grammy";

type Signal = {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: "abort", fn: () => void, opts?: { once?: boolean }): void;
  removeEventListener(type: "abort", fn: () => void): void;
};

export interface JsonTransportOptions {
  /** TELEGRAM_API_ROOT, without a trailing slash (default https://api.telegram.org). */
  apiRoot?: string;
  token: string;
  /** The keep-alive agent for a URL (src/outgoing/answered.ts's watching agents). */
  agent(url: URL): http.Agent;
}

/** True if the payload carries a file to upload somewhere inside it. */
export function hasUpload(value: unknown): boolean {
  if (value instanceof InputFile) return true;
  if (value === null || typeof value !== "object") return false;
  return (Array.isArray(value) ? value : Object.values(value)).some(hasUpload);
}

/**
 * JSON.stringify leaving out null fields, as grammY does. Payloads rarely hold a null, and a
 * replacer function costs a call per value: only a text that mentions null is done again with one.
 */
const toJson = (payload: unknown) => {
  const plain = JSON.stringify(payload ?? {});
  return plain.includes("null") ? JSON.stringify(payload ?? {}, (_k, v: unknown) => v ?? undefined) : plain;
};

export function jsonTransport(opts: JsonTransportOptions): Transformer {
  const root = (opts.apiRoot ?? "https://api.telegram.org").replace(/\/$/, "");
  return (prev, method, payload, signal) => {
    if (hasUpload(payload)) return prev(method, payload, signal);
    return post(new URL(`${root}/bot${opts.token}/${method}`), method, toJson(payload), opts.agent, signal as Signal | undefined) as never;
  };
}

/**
 * A keep-alive socket the server had already closed when we reused it: the request never reached
 * the server (Node's documented case: `req.reusedSocket` and ECONNRESET before any answer byte).
 * Sent again once on a fresh try; if that fails the same way, the outbox may send it again too.
 */
export class StaleSocketError extends Error {
  readonly code = "ESTALESOCKET";
  constructor(cause: unknown) {
    super(`reused keep-alive socket was closed by the server (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = "StaleSocketError";
  }
}

const isReset = (err: unknown) => (err as { code?: unknown } | undefined)?.code === "ECONNRESET";

function post(url: URL, method: string, body: string, agentFor: (url: URL) => http.Agent, signal: Signal | undefined): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const failed = (err: unknown) => reject(new HttpError(`Network request for '${method}' failed!`, err));
    const client = url.protocol === "http:" ? http : https;
    // The retry runs in the caller's async context, so answered.ts still sees which call it is.
    const send = AsyncResource.bind((mayRetry: boolean) => {
      if (signal?.aborted) return failed(signal.reason ?? new Error("aborted"));
      const req = client.request(url, {
        method: "POST",
        agent: agentFor(url),
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      });
      let answered = false;
      const onAbort = () => req.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => signal?.removeEventListener("abort", onAbort);
      req.on("error", (err) => {
        done();
        const stale = !answered && req.reusedSocket && isReset(err) && !signal?.aborted;
        if (stale && mayRetry) return send(false);
        failed(stale ? new StaleSocketError(err) : err);
      });
      req.on("response", (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", (err) => {
          done();
          failed(err);
        });
        res.on("close", () => {
          if (res.complete) return;
          done();
          failed(new Error("the answer was cut off"));
        });
        res.on("end", () => {
          done();
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
          } catch (err) {
            failed(err); // not the Bot API answering (a proxy's error page…)
          }
        });
      });
      req.end(body);
    });
    send(true);
  });
}
