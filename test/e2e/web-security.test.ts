/**
 * The web's server-side checks, over HTTP against the real process (WEB_PORT + the fake Bot API):
 * no cross-user access with guessed ids or forged cookies, CSRF on every state change, strict headers,
 * the body limit, and the desk login's single-use codes and attempt limit. Nothing here trusts the page.
 */
import { describe, expect, it } from "vitest";
import { WebClient } from "../support/web-client.js";
import { useWebBot } from "../support/web-process.js";

const ADMIN = 900;
// Debug logging, so the last test can check that even verbose logs carry no code or cookie.
const h = useWebBot({ name: "web-security-e2e", env: { ADMIN_IDS: String(ADMIN), LOG_LEVEL: "debug" } });

interface Change {
  version: number;
  messages: { id: number; html: string }[];
  toasts: string[];
}

async function visitor(): Promise<{ client: WebClient; csrf: string }> {
  const client = new WebClient(h.web.url);
  const csrf = WebClient.csrfOf(await client.html("/"));
  return { client, csrf };
}

async function say(v: { client: WebClient; csrf: string }, text: string): Promise<Change> {
  const res = await v.client.request("/chat/send", { method: "POST", form: { text, _csrf: v.csrf }, headers: { accept: "application/json" } });
  expect(res.status).toBe(200);
  return (await res.json()) as Change;
}

async function transcript(client: WebClient): Promise<string> {
  const res = await client.request("/chat/poll?since=0", { headers: { accept: "application/json" } });
  const change = (await res.json()) as Change;
  return change.messages.map((m) => m.html).join("\n");
}

describe("web security", () => {
  it("sends strict headers: CSP without inline script, no framing, nosniff", async () => {
    const res = await new WebClient(h.web.url).request("/");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    const cookie = res.headers.getSetCookie().join("\n");
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
  });

  it("refuses state changes without the session's CSRF token, with another's, or from another origin", async () => {
    const a = await visitor();
    const b = await visitor();
    const before = await transcript(a.client);
    const attempts: [Record<string, string>, Record<string, string>][] = [
      [{ text: "/declare" }, {}],
      [{ text: "/declare", _csrf: b.csrf }, {}],
      [{ text: "/declare", _csrf: "x".repeat(a.csrf.length) }, {}],
      [{ text: "/declare", _csrf: a.csrf }, { origin: "http://evil.example" }],
    ];
    for (const [form, headers] of attempts) {
      const res = await a.client.request("/chat/send", { method: "POST", form, headers });
      expect(res.status).toBe(403);
      const tap = await a.client.request("/chat/tap", { method: "POST", form: { ...form, b: "1:0:0" }, headers });
      expect(tap.status).toBe(403);
    }
    // Nothing reached the bot.
    expect(await transcript(a.client)).toBe(before);
    // With its own token the same request works.
    const ok = await say(a, "/declare");
    expect(ok.messages.map((m) => m.html).join()).toContain("牵头申报单位");
  });

  it("gives no access across visitors: forged cookies, guessed message ids, other people's files and declarations", async () => {
    const a = await visitor();
    await say(a, "/declare");
    await say(a, "机密大学甲");
    const b = await visitor();
    // A cookie naming A's id with a wrong signature is no session at all.
    const aCookie = a.client.cookies.get("gp_chat")!;
    const forged = new WebClient(h.web.url);
    forged.cookies.set("gp_chat", `${aCookie.split(".")[0]}.AAAA`);
    expect((await forged.request("/chat/poll?since=0")).status).toBe(401);
    expect((await forged.request("/chat/send", { method: "POST", form: { text: "/my", _csrf: a.csrf } })).status).toBe(401);
    // B's own cookie with B's id edited to A's: also refused.
    const bCookie = b.client.cookies.get("gp_chat")!;
    const swapped = new WebClient(h.web.url);
    swapped.cookies.set("gp_chat", `${aCookie.split(".")[0]}.${bCookie.split(".")[1]}`);
    expect((await swapped.request("/chat/poll?since=0")).status).toBe(401);
    // Tapping "A's" message ids from B's session only ever names B's own messages.
    for (let id = 1; id <= 8; id++) {
      await b.client.request("/chat/tap", { method: "POST", form: { b: `${id}:0:0`, _csrf: b.csrf }, headers: { accept: "application/json" } });
    }
    const seen = await transcript(b.client);
    expect(seen).not.toContain("机密大学甲");
    // B's drafts and declarations are B's only.
    const mine = await say(b, "/declare");
    expect(mine.messages.map((m) => m.html).join()).not.toContain("机密大学甲");
    // Files: a guessed id finds nothing, for anyone.
    expect((await b.client.request("/chat/files/abc123")).status).toBe(404);
  });

  it("keeps the desk behind a staff session checked on every request", async () => {
    const v = await visitor();
    for (const path of ["/desk", "/desk/d/GP2024-0001", "/desk/export.csv", "/desk/charts/plan.svg"]) {
      const res = await v.client.request(path);
      expect([303, 302]).toContain(res.status);
      expect(res.headers.get("location")).toBe("/desk/login");
    }
    // /web is refused to a non-staff Telegram user: no code is issued.
    h.api.sendText(555, "/web");
    const refused = await h.api.waitForMessage(555, "协调员工作台仅限协调员和管理员");
    expect(refused.text).not.toMatch(/\d{6}/);
  });

  it("accepts a /web code once, and refuses attempts beyond the limit even with a right code", async () => {
    h.api.sendText(ADMIN, "/web");
    const sent = await h.api.waitForMessage(ADMIN, "登录码");
    const code = /(\d{6})/.exec(sent.text)![1]!;
    const login = async (client: WebClient, value: string) => {
      const csrf = WebClient.csrfOf(await client.html("/desk/login"));
      return client.request("/desk/login", { method: "POST", form: { code: value, _csrf: csrf } });
    };
    // Without the login page's own token the form is refused (login CSRF).
    const blind = new WebClient(h.web.url);
    expect((await blind.request("/desk/login", { method: "POST", form: { code } })).status).toBe(400);

    const staff = new WebClient(h.web.url);
    const ok = await login(staff, code);
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/desk");
    expect(staff.cookies.has("gp_desk")).toBe(true);
    expect((await staff.request("/desk")).status).toBe(200);
    // Single use: the same code again is refused.
    const again = new WebClient(h.web.url);
    expect((await login(again, code)).status).toBe(400);
    expect(again.cookies.has("gp_desk")).toBe(false);

    // Wrong guesses: refused, and from the limit on refused without looking (429), a valid code included.
    const guesser = new WebClient(h.web.url);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(guesser, String(100000 + i))).status);
    expect(statuses.slice(0, 3).every((s) => s === 400)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    h.api.sendText(ADMIN, "/web");
    const fresh = /(\d{6})/.exec((await h.api.waitForMessage(ADMIN, "登录码")).text)![1]!;
    const limited = await login(guesser, fresh);
    expect(limited.status).toBe(429);
    expect(guesser.cookies.has("gp_desk")).toBe(false);

    // Nothing secret reached the logs: not the codes, not the session cookie.
    const logs = h.web.bot.output();
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [code, fresh, staff.cookies.get("gp_desk")!.split(".")[1]!]) expect(logs).not.toContain(secret);
  });
  // Last: the server answers 413 before reading the body, which ends that keep-alive connection.
  it("limits the body size", async () => {
    const a = await visitor();
    const res = await a.client.request("/chat/send", { method: "POST", form: { text: "a".repeat(40_000), _csrf: a.csrf } });
    expect(res.status).toBe(413);
  });
});
