/**
 * One-time codes: /web gives a coordinator or admin a code to sign in at the desk, /link gives
 * anyone a code that carries their drafts to the other channel. Codes and attempt counts live in the
 * store, so a code issued by one instance works on another, once. The store keeps only a digest;
 * the digest of what was typed is compared with every live one in constant time, and attempts are
 * counted before any code is looked at, so a flood of guesses is refused without trying them.
 * Codes are never logged or written to the audit trail.
 */
import { createHash, randomInt, timingSafeEqual } from "node:crypto";
import type { CodePurpose } from "../store/types.js";
import { isStaff } from "./access.js";
import { STAFF_ONLY, nowIso, refuse, type Outcome, type ServiceDeps } from "./context.js";

export const CODE_TTL_MS = 5 * 60 * 1000;
/** Redeeming: 5 tries per address (desk) or per user (/link) in 10 minutes, and 60 desk logins in all. */
export const ATTEMPT_WINDOW_MS = 10 * 60 * 1000;
export const ATTEMPTS_PER_KEY = 5;
export const DESK_ATTEMPTS_TOTAL = 60;

const CODE = /^\d{6}$/;
const TOO_MANY = "尝试次数过多，请 10 分钟后再试。";

export function codeDigest(purpose: CodePurpose, code: string): string {
  return createHash("sha256").update(`${purpose}:${code}`).digest("hex");
}

/** A fresh code for the user (replacing their earlier one of this purpose); desk codes only for staff. */
export async function issueCode(deps: ServiceDeps, userId: number, purpose: CodePurpose): Promise<Outcome<{ code: string }>> {
  if (purpose === "desk" && !(await isStaff(deps, userId))) return refuse("staffOnly", STAFF_ONLY);
  const now = deps.now();
  const expiresAt = new Date(now.getTime() + CODE_TTL_MS).toISOString();
  // A clash with another live code is rare (a few live codes among a million); draw again.
  for (let i = 0; i < 20; i++) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    if (await deps.store.codes.issue({ purpose, digest: codeDigest(purpose, code), userId, expiresAt }, now.toISOString())) return { ok: true, code, notify: [] };
  }
  throw new Error("could not draw an unused one-time code");
}

/** Spends the live code matching `typed`: the user it was issued to, or undefined. */
async function redeem(deps: ServiceDeps, purpose: CodePurpose, typed: string): Promise<number | undefined> {
  const code = typed.trim();
  if (!CODE.test(code)) return undefined;
  const now = nowIso(deps);
  const wanted = Buffer.from(codeDigest(purpose, code), "hex");
  let match: string | undefined;
  // Every live digest is compared, matching or not, so timing tells nothing about how close a guess was.
  for (const c of await deps.store.codes.live(purpose, now)) {
    const digest = Buffer.from(c.digest, "hex");
    if (digest.length === wanted.length && timingSafeEqual(digest, wanted)) match = c.digest;
  }
  if (!match) return undefined;
  return (await deps.store.codes.consume(purpose, match, now))?.userId;
}

/**
 * A desk login from `address`: the staff member the code was issued to, if it is live and they are
 * still staff. Audited as desk.login.
 */
export async function redeemDeskCode(deps: ServiceDeps, typed: string, address: string): Promise<Outcome<{ userId: number }>> {
  const now = nowIso(deps);
  const allowed =
    (await deps.store.codes.attempt(`desk:${address}`, ATTEMPTS_PER_KEY, ATTEMPT_WINDOW_MS, now)) &&
    (await deps.store.codes.attempt("desk", DESK_ATTEMPTS_TOTAL, ATTEMPT_WINDOW_MS, now));
  if (!allowed) return refuse("limit", TOO_MANY);
  const userId = await redeem(deps, "desk", typed);
  if (userId === undefined || !(await isStaff(deps, userId))) return refuse("invalid", "登录码无效或已过期。请在 Telegram 中重新发送 /web 获取新码。");
  await deps.store.audit.append({ at: now, actor: userId, action: "desk.login" });
  return { ok: true, userId, notify: [] };
}

/**
 * /link <code>: the drafts of the user who asked for the code move to `userId` (one unit of work),
 * and that user's open form is closed, so nothing typed on the old side afterwards is silently
 * dropped. Audited as drafts.carried.
 */
export async function redeemLinkCode(deps: ServiceDeps, userId: number, typed: string): Promise<Outcome<{ moved: number }>> {
  if (!CODE.test(typed.trim())) return refuse("invalid", "转移码是 6 位数字，例如：/link 123456");
  if (!(await deps.store.codes.attempt(`link:${userId}`, ATTEMPTS_PER_KEY, ATTEMPT_WINDOW_MS, nowIso(deps)))) return refuse("limit", TOO_MANY);
  const from = await redeem(deps, "link", typed);
  if (from === undefined) return refuse("invalid", "转移码无效或已过期。请在另一端重新发送 /link 获取新码。");
  if (from === userId) return { ok: true, moved: 0, notify: [] };
  const owned = await deps.store.drafts.byOwner(from);
  const at = nowIso(deps);
  const moved = await deps.store.transaction(async (tx) => {
    const ids: string[] = [];
    for (const { id } of owned) {
      const d = await tx.drafts.get(id);
      if (!d || d.ownerId !== from) continue;
      await tx.drafts.put({ ...d, ownerId: userId, updatedAt: at });
      ids.push(id);
    }
    if (ids.length && (await tx.sessions.get(from))) await tx.sessions.delete(from);
    await tx.audit.append({ at, actor: userId, action: "drafts.carried", detail: { from, to: userId, drafts: ids } });
    return ids.length;
  });
  return { ok: true, moved, notify: [] };
}
