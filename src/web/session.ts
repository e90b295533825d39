/**
 * Signed cookies and CSRF tokens. The key comes from WEB_SECRET when set (the same on every instance,
 * so a desk session signed by one is accepted by the others), else from one random secret the server
 * keeps in DATA_DIR/web/secret (0600), so sessions survive restarts. A cookie names a user id and carries an HMAC of it; a forged or
 * altered cookie simply fails verification. The role behind a desk session is re-read from the
 * store on every request, so revoking a coordinator takes effect at once.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const VISITOR_COOKIE = "gp_chat";
export const DESK_COOKIE = "gp_desk";
export const DESK_SESSION_MS = 8 * 60 * 60 * 1000;

export function loadSecret(dataDir: string, shared?: string): Buffer {
  if (shared) return createHash("sha256").update(`guopei-web|${shared}`).digest();
  const dir = join(dataDir, "web");
  const path = join(dir, "secret");
  try {
    const hex = readFileSync(path, "utf8").trim();
    if (/^[0-9a-f]{64}$/.test(hex)) return Buffer.from(hex, "hex");
  } catch {
    // first start: made below
  }
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(32);
  writeFileSync(path, secret.toString("hex"), { mode: 0o600 });
  return secret;
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Lengths are not secret (codes and MACs have fixed lengths); contents are compared in constant time.
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Signer {
  constructor(private readonly secret: Buffer) {}

  mac(value: string): string {
    return createHmac("sha256", this.secret).update(value).digest("base64url");
  }

  sign(value: string): string {
    return `${value}.${this.mac(value)}`;
  }

  /** The value of a signed string, or undefined if the signature does not match. */
  verify(signed: string | undefined): string | undefined {
    if (!signed) return undefined;
    const dot = signed.lastIndexOf(".");
    if (dot <= 0) return undefined;
    const value = signed.slice(0, dot);
    return safeEqual(signed.slice(dot + 1), this.mac(value)) ? value : undefined;
  }

  /** The CSRF token for a session: bound to it, so one visitor's token is useless with another's cookie. */
  csrfToken(sessionValue: string): string {
    return this.mac(`csrf|${sessionValue}`);
  }
}

export function visitorValue(userId: number): string {
  return `v${userId}`;
}

export function parseVisitor(value: string | undefined): number | undefined {
  const m = value && /^v(\d{16})$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

export function deskValue(userId: number, expiresAt: number): string {
  return `d${userId}-${expiresAt}`;
}

export function parseDesk(value: string | undefined, now: number): number | undefined {
  const m = value && /^d(\d{1,16})-(\d{13})$/.exec(value);
  if (!m || Number(m[2]) <= now) return undefined;
  return Number(m[1]);
}
