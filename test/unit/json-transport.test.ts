/**
 * The wire under the outgoing path (src/outgoing/json-transport.ts) against a local HTTP server:
 * grammY's URL and JSON (null fields left out), the answer returned as is (ok or not), uploads
 * handed on to grammY's client, network failures and aborts as HttpError.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Api, HttpError, InputFile } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasUpload, jsonTransport } from "../../src/outgoing/json-transport.js";

const agent = new http.Agent({ keepAlive: true });
let server: http.Server;
let root = "";
const seen: { url: string; type: string | undefined; body: unknown }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      seen.push({ url: req.url ?? "", type: req.headers["content-type"], body: JSON.parse(body) });
      if (req.url?.endsWith("/hang")) return; // never answers
      if (req.url?.endsWith("/cut")) return req.socket.destroy();
      const refused = req.url?.endsWith("/sendMessage") && (JSON.parse(body) as { chat_id: number }).chat_id === 403;
      res.writeHead(refused ? 403 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(refused ? { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" } : { ok: true, result: { message_id: 7 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  agent.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const transport = () => jsonTransport({ apiRoot: root, token: "1:T", agent: () => agent });
const call = (method: string, payload: unknown, signal?: AbortSignal, prev: (...a: unknown[]) => Promise<unknown> = () => Promise.reject(new Error("prev"))) =>
  transport()(prev as never, method as never, payload as never, signal as never) as Promise<unknown>;

describe("json transport", () => {
  it("posts grammY's JSON to grammY's URL and returns the answer as is", async () => {
    seen.length = 0;
    expect(await call("sendMessage", { chat_id: 5, text: "hi", reply_markup: null, entities: undefined })).toEqual({ ok: true, result: { message_id: 7 } });
    expect(seen[0]).toEqual({ url: "/bot1:T/sendMessage", type: "application/json", body: { chat_id: 5, text: "hi" } });
    // Telegram refusing: its answer comes back (grammY's Api makes the GrammyError), not a throw.
    expect(await call("sendMessage", { chat_id: 403, text: "hi" })).toMatchObject({ ok: false, error_code: 403 });
  });

  it("keeps a text that says null, and drops only null fields", async () => {
    seen.length = 0;
    await call("sendMessage", { chat_id: 5, text: "null", link_preview_options: { is_disabled: true, url: null } });
    expect(seen[0]!.body).toEqual({ chat_id: 5, text: "null", link_preview_options: { is_disabled: true } });
  });

  it("works under grammY's Api: a refusal becomes a GrammyError", async () => {
    const api = new Api("1:T", { apiRoot: root });
    api.config.use(transport());
    expect(await api.sendMessage(5, "hi")).toEqual({ message_id: 7 });
    await expect(api.sendMessage(403, "hi")).rejects.toMatchObject({ error_code: 403 });
  });

  it("hands uploads on to grammY's client", async () => {
    const file = new InputFile(Buffer.from("a,b"), "x.csv");
    expect(hasUpload({ chat_id: 1, document: file })).toBe(true);
    expect(hasUpload({ chat_id: 1, media: [{ type: "document", media: file }] })).toBe(true);
    expect(hasUpload({ chat_id: 1, text: "x" })).toBe(false);
    const prev = () => Promise.resolve({ ok: true, result: "via grammY" });
    expect(await call("sendDocument", { chat_id: 1, document: file }, undefined, prev)).toEqual({ ok: true, result: "via grammY" });
  });

  it("throws HttpError for a cut connection, a refused one and an abort", async () => {
    await expect(call("cut", {})).rejects.toBeInstanceOf(HttpError);
    const refused = jsonTransport({ apiRoot: "http://127.0.0.1:1", token: "1:T", agent: () => agent });
    const err = await (refused((() => {}) as never, "getMe" as never, {} as never) as Promise<unknown>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).error).toMatchObject({ code: "ECONNREFUSED" });
    const abort = new AbortController();
    const hung = call("hang", {}, abort.signal);
    setTimeout(() => abort.abort(new Error("stop")), 20);
    await expect(hung).rejects.toBeInstanceOf(HttpError);
  });

  it("sends again, once, a call whose reused keep-alive socket the server had closed, and the server handles it once", async () => {
    // The server drops a connection it kept alive instead of reading the next request on it (what a
    // keepAliveTimeout expiring just as the socket is reused looks like from the client).
    let handled = 0;
    let connections = 0;
    const idleCloser = http.createServer((req, res) => {
      const served = (req.socket as { served?: number } & typeof req.socket).served ?? 0;
      if (served > 0) return req.socket.resetAndDestroy(); // unread: never handled
      (req.socket as { served?: number } & typeof req.socket).served = served + 1;
      req.resume();
      req.on("end", () => {
        handled++;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: true, result: { message_id: handled } }));
      });
    });
    idleCloser.on("connection", () => connections++);
    await new Promise<void>((r) => idleCloser.listen(0, "127.0.0.1", r));
    const own = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const t = jsonTransport({ apiRoot: `http://127.0.0.1:${(idleCloser.address() as AddressInfo).port}`, token: "1:T", agent: () => own });
    const send = (text: string) => t((() => Promise.reject(new Error("prev"))) as never, "sendMessage" as never, { chat_id: 5, text } as never) as Promise<unknown>;
    try {
      expect(await send("one")).toEqual({ ok: true, result: { message_id: 1 } });
      expect(await send("two")).toEqual({ ok: true, result: { message_id: 2 } });
      expect(handled).toBe(2); // each call handled exactly once
      expect(connections).toBe(2); // the second went first on the reused socket, then on a fresh one
    } finally {
      own.destroy();
      idleCloser.closeAllConnections();
      await new Promise((r) => idleCloser.close(r));
    }
  });

  it("does not send again a call reset on a fresh socket (it may have been read)", async () => {
    seen.length = 0;
    const fresh = new http.Agent({ keepAlive: false });
    const t = jsonTransport({ apiRoot: root, token: "1:T", agent: () => fresh });
    const err = await (t((() => {}) as never, "cut" as never, {} as never) as Promise<unknown>).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(seen.filter((s) => s.url.endsWith("/cut"))).toHaveLength(1);
    fresh.destroy();
  });
});
