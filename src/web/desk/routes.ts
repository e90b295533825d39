/**
 * The coordinators' desk: login with a one-time code from the bot (/web), then the declarations.
 * Every route re-checks the session and the role on the server.
 */
import type { Api } from "grammy";
import type { Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Logger } from "pino";
import { servicesOf, type Deps } from "../../bot/context.js";
import { access, codes } from "../../services/index.js";
import { escapeHtml } from "../telegram-html.js";
import { mountDeskPages } from "./desk-pages.js";
import { csrfField, layout } from "../chat-page.js";
import { checkCsrf, clientAddress, isSecureRequest, type WebEnv } from "../server.js";
import { DESK_COOKIE, DESK_SESSION_MS, deskValue, parseDesk, type Signer } from "../session.js";

export interface DeskDeps {
  deps: Deps;
  /** The bot's API (with the web route): notices reach applicants on Telegram or on their web page. */
  api: Api;
  signer: Signer;
  logger: Logger;
}

/** The login form's CSRF token is bound to a pre-session cookie value (login CSRF). */
const PRE_COOKIE = "gp_pre";

export interface StaffSession {
  userId: number;
  value: string;
  csrf: string;
}

export function mountDesk(app: Hono<WebEnv>, d: DeskDeps): void {
  const { deps, signer } = d;

  /** The signed-in staff member, re-checked against the store and ADMIN_IDS on every request. */
  const staff = async (c: Context): Promise<StaffSession | undefined> => {
    const value = signer.verify(getCookie(c, DESK_COOKIE));
    const userId = parseDesk(value, deps.now().getTime());
    if (userId === undefined || !value) return undefined;
    if (!(await access.isStaff(servicesOf(deps), userId))) return undefined;
    return { userId, value, csrf: signer.csrfToken(value) };
  };

  const loginPage = (c: Context, message?: string, status: 200 | 400 | 429 = 200) => {
    let pre = signer.verify(getCookie(c, PRE_COOKIE));
    if (!pre) {
      pre = `p${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
      setCookie(c, PRE_COOKIE, signer.sign(pre), { httpOnly: true, sameSite: "Strict", secure: isSecureRequest(c), path: "/desk" });
    }
    const body = `<main class="login"><h1>协调员工作台</h1>
<p>请在 Telegram 中向本助手发送 <code>/web</code>${deps.config.BOT_TOKEN ? "" : "（终端模式：在运行本程序的终端中输入 /web）"}，把收到的 6 位登录码填在下面（5 分钟内有效，仅可使用一次）。</p>
${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : ""}
<form method="post" action="/desk/login">${csrfField(signer.csrfToken(pre))}
<label for="code">登录码</label>
<input id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" autocomplete="one-time-code" required>
<button type="submit">登录</button></form>
<p><a href="/">返回对话</a></p></main>`;
    c.header("Cache-Control", "no-store");
    return c.html(layout({ title: "协调员工作台 · 登录", css: "desk.css", body }), status);
  };

  app.get("/desk/login", (c) => loginPage(c));

  app.post("/desk/login", async (c) => {
    const pre = signer.verify(getCookie(c, PRE_COOKIE));
    if (!pre || !(await checkCsrf(c, signer, pre))) return loginPage(c, "页面已过期，请重新输入。", 400);
    const form = await c.req.parseBody();
    // Attempts are counted (in the store, across instances) before the code is looked at.
    const login = await codes.redeemDeskCode(servicesOf(deps), typeof form.code === "string" ? form.code : "", clientAddress(c));
    if (!login.ok) {
      d.logger.info({ address: clientAddress(c), refused: login.code }, "desk login refused");
      return loginPage(c, login.message, login.code === "limit" ? 429 : 400);
    }
    const userId = login.userId;
    const expires = deps.now().getTime() + DESK_SESSION_MS;
    setCookie(c, DESK_COOKIE, signer.sign(deskValue(userId, expires)), {
      httpOnly: true,
      sameSite: "Strict",
      secure: isSecureRequest(c),
      path: "/",
      maxAge: DESK_SESSION_MS / 1000,
    });
    deleteCookie(c, PRE_COOKIE, { path: "/desk" });
    d.logger.info({ userId }, "desk login");
    return c.redirect("/desk", 303);
  });

  app.post("/desk/logout", async (c) => {
    const s = await staff(c);
    if (s && (await checkCsrf(c, signer, s.value))) deleteCookie(c, DESK_COOKIE, { path: "/" });
    return c.redirect("/desk/login", 303);
  });

  mountDeskPages(app, d, staff);
}
