/**
 * The web server (hono on @hono/node-server): the chat page for visitors and the coordinators' desk.
 * hono rather than fastify: it is small (no dependencies), built on web-standard Request/Response,
 * and ships what this needs as middleware (streamSSE, secure headers, body limit, cookies), so the
 * whole server is one small app that tests can also call in-process through app.request().
 */
import { createReadStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { serve, type ServerType } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { getCookie, setCookie } from "hono/cookie";
import { secureHeaders } from "hono/secure-headers";
import { streamSSE } from "hono/streaming";
import type { Logger } from "pino";
import { ROOT } from "../paths.js";
import type { ChatChange, ChatHub } from "./chat-hub.js";
import { chatPage, renderMessage } from "./chat-page.js";
import { RateLimiter } from "./rate-limiter.js";
import { parseVisitor, safeEqual, type Signer, VISITOR_COOKIE, visitorValue } from "./session.js";
import { isWebUser, newWebUserId } from "./web-users.js";

export interface WebAppDeps {
  hub: ChatHub;
  signer: Signer;
  logger: Logger;
  /** Extra routes (the coordinators' desk), mounted on the same app and middleware. */
  mount?: (app: Hono<WebEnv>) => void;
}

export type WebEnv = { Variables: { visitor?: number } };

const ASSETS_DIR = join(ROOT, "src", "web", "assets");
const ASSET_TYPES: Record<string, string> = { js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8", svg: "image/svg+xml" };
const MAX_TEXT = 4000;
const SSE_HEARTBEAT_MS = 25_000;

/** Read once at start: the assets are small and never change while the process runs. */
function loadAssets(): Map<string, { body: string; type: string }> {
  const assets = new Map<string, { body: string; type: string }>();
  for (const name of ["chat.js", "chat.css", "desk.css"]) {
    const ext = name.split(".").pop()!;
    assets.set(name, { body: readFileSync(join(ASSETS_DIR, name), "utf8"), type: ASSET_TYPES[ext]! });
  }
  return assets;
}

export function isSecureRequest(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https";
}

/** A state change must come from our own pages: the session's token, and (when sent) our own origin. */
export async function checkCsrf(c: Context, signer: Signer, sessionValue: string): Promise<boolean> {
  const origin = c.req.header("origin");
  if (origin && origin !== "null") {
    try {
      if (new URL(origin).host !== c.req.header("host")) return false;
    } catch {
      return false;
    }
  }
  const header = c.req.header("x-csrf-token");
  let token = header;
  if (!token) {
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    token = typeof form._csrf === "string" ? form._csrf : undefined;
  }
  const expected = signer.csrfToken(sessionValue);
  return typeof token === "string" && safeEqual(token, expected);
}

export function clientAddress(c: Context): string {
  // Behind a reverse proxy the first X-Forwarded-For hop is the client; else the socket's address.
  const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined;
  return forwarded || env?.incoming?.socket?.remoteAddress || "unknown";
}

export function wantsJson(c: Context): boolean {
  return (c.req.header("accept") ?? "").includes("application/json");
}

export function createWebApp(deps: WebAppDeps): Hono<WebEnv> {
  const { hub, signer, logger } = deps;
  const assets = loadAssets();
  const app = new Hono<WebEnv>();
  // Each new visitor is a stored user: a crawler or a script cannot mint them without bound.
  const newVisitors = new RateLimiter(60, 10 * 60_000);

  app.onError((err, c) => {
    // Never the request's cookies or body: the method, the path and the error only.
    logger.error({ err, method: c.req.method, path: new URL(c.req.url).pathname }, "web request failed");
    return c.text("服务器出错了，请稍后再试。", 500);
  });
  app.use(
    "*",
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: "same-origin",
    }),
  );
  app.use("*", bodyLimit({ maxSize: 32 * 1024, onError: (c) => c.text("内容太长了。", 413) }));

  app.get("/assets/:name", (c) => {
    const asset = assets.get(c.req.param("name"));
    if (!asset) return c.notFound();
    c.header("Cache-Control", "public, max-age=300");
    return c.body(asset.body, 200, { "Content-Type": asset.type });
  });
  app.get("/healthz", (c) => c.text("ok"));

  /** The visitor behind the cookie, or a new one (cookie set) when `create`. */
  const visitor = (c: Context<WebEnv>, create: boolean): number | undefined => {
    const id = parseVisitor(signer.verify(getCookie(c, VISITOR_COOKIE)));
    if (id !== undefined && isWebUser(id)) return id;
    if (!create) return undefined;
    const fresh = newWebUserId();
    setCookie(c, VISITOR_COOKIE, signer.sign(visitorValue(fresh)), {
      httpOnly: true,
      sameSite: "Lax",
      secure: isSecureRequest(c),
      path: "/",
      maxAge: 365 * 24 * 3600,
    });
    return fresh;
  };
  const csrfOf = (userId: number) => signer.csrfToken(visitorValue(userId));

  app.get("/", async (c) => {
    if (visitor(c, false) === undefined && !newVisitors.take(clientAddress(c))) return c.text("访问过于频繁，请稍后再试。", 429);
    const userId = visitor(c, true)!;
    let change = hub.changesSince(userId);
    // A first visit opens with the bot's main menu, as /start does in Telegram.
    if (!change.messages.length) {
      await hub.sendText(userId, "/start", { echo: false });
      change = hub.changesSince(userId);
    }
    c.header("Cache-Control", "no-store");
    return c.html(chatPage(change.messages, change.version, csrfOf(userId)));
  });

  /** Guards the chat's state changes: a visitor cookie and its CSRF token. */
  const chatAction = async (c: Context<WebEnv>): Promise<number | Response> => {
    const userId = visitor(c, false);
    if (userId === undefined) return c.text("会话已失效，请刷新页面。", 401);
    if (!(await checkCsrf(c, signer, visitorValue(userId)))) return c.text("请求无效（页面已过期），请刷新页面。", 403);
    return userId;
  };
  const afterAction = (c: Context<WebEnv>, userId: number, since: number) =>
    wantsJson(c) ? c.json(fragments(hub.changesSince(userId, since), csrfOf(userId))) : c.redirect("/#end", 303);

  app.post("/chat/send", async (c) => {
    const userId = await chatAction(c);
    if (typeof userId !== "number") return userId;
    const form = await c.req.parseBody();
    const since = Number(form.since) || hub.changesSince(userId).version;
    const text = typeof form.text === "string" ? form.text.trim() : "";
    if (!text) return afterAction(c, userId, since);
    if (text.length > MAX_TEXT) return c.text(`消息太长了（最多 ${MAX_TEXT} 字），请分几次发送。`, 400);
    await hub.sendText(userId, text);
    return afterAction(c, userId, since);
  });

  app.post("/chat/tap", async (c) => {
    const userId = await chatAction(c);
    if (typeof userId !== "number") return userId;
    const form = await c.req.parseBody();
    const since = Number(form.since) || hub.changesSince(userId).version;
    const m = typeof form.b === "string" ? /^(\d{1,9}):(\d{1,2}):(\d{1,2})$/.exec(form.b) : null;
    const ok = m ? await hub.tap(userId, { messageId: Number(m[1]), row: Number(m[2]), col: Number(m[3]) }) : false;
    if (!ok) return wantsJson(c) ? c.json({ ...fragments(hub.changesSince(userId, since), csrfOf(userId)), toasts: ["这个按钮已失效，请用最新的消息。"] }) : c.redirect("/#end", 303);
    return afterAction(c, userId, since);
  });

  app.get("/chat/poll", (c) => {
    const userId = visitor(c, false);
    if (userId === undefined) return c.json({ error: "no session" }, 401);
    c.header("Cache-Control", "no-store");
    return c.json(fragments(hub.changesSince(userId, Number(c.req.query("since")) || 0), csrfOf(userId)));
  });

  app.get("/chat/events", (c) => {
    const userId = visitor(c, false);
    if (userId === undefined) return c.text("no session", 401);
    // A reconnecting EventSource names the last change it saw; the URL's is from when the page loaded.
    const since = Math.max(Number(c.req.query("since")) || 0, Number(c.req.header("last-event-id")) || 0);
    c.header("Cache-Control", "no-store");
    c.header("X-Accel-Buffering", "no");
    return streamSSE(c, async (stream) => {
      const queue: ChatChange[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = hub.subscribe(userId, (change) => {
        queue.push(change);
        wake?.();
      });
      let closed = false;
      stream.onAbort(() => {
        closed = true;
        unsubscribe();
        wake?.();
      });
      const missed = hub.changesSince(userId, since);
      if (missed.messages.length || missed.toasts.length) queue.push(missed);
      while (!closed) {
        while (queue.length) {
          const change = queue.shift()!;
          await stream.writeSSE({ event: "change", id: String(change.version), data: JSON.stringify(fragments(change, csrfOf(userId))) });
        }
        // Sleep until a change arrives or the heartbeat is due (keeps proxies from closing the stream).
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, SSE_HEARTBEAT_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
        if (!closed && !queue.length) await stream.writeSSE({ event: "ping", data: "" });
      }
      unsubscribe();
    });
  });

  app.get("/chat/files/:id", (c) => {
    const userId = visitor(c, false);
    const file = userId === undefined ? undefined : hub.filePath(userId, c.req.param("id"));
    if (!file) return c.text("文件不存在。", 404);
    const type = file.name.endsWith(".png") ? "image/png" : file.name.endsWith(".csv") ? "text/csv; charset=utf-8" : file.name.endsWith(".xlsx") ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "application/octet-stream";
    return new Response(Readable.toWeb(createReadStream(file.path)) as ReadableStream, {
      headers: { "Content-Type": type, "Content-Disposition": `${type === "image/png" ? "inline" : "attachment"}; filename*=UTF-8''${encodeURIComponent(file.name)}` },
    });
  });

  deps.mount?.(app);
  return app;
}

/** Changes as HTML fragments: the page inserts or replaces each by its id. */
function fragments(change: ChatChange, csrf: string) {
  return { version: change.version, messages: change.messages.map((m) => ({ id: m.id, html: renderMessage(m, csrf) })), toasts: change.toasts };
}

export interface RunningWeb {
  port: number;
  close(): Promise<void>;
}

export function startWebServer(app: Hono<WebEnv>, port: number, logger: Logger): Promise<RunningWeb> {
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (err: Error) => reject(err);
    // eslint-disable-next-line prefer-const
    server = serve({ fetch: app.fetch, port }, (info) => {
      server.off("error", onError);
      logger.info({ port: info.port }, "web server listening");
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
    server.on("error", onError);
  });
}
