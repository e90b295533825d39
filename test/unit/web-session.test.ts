/**
 * The web's signing key: one random secret per data folder by default (kept across restarts), or
 * WEB_SECRET, the same on every instance, so a desk session one instance signed holds on another.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { deskValue, loadSecret, parseDesk, Signer } from "../../src/web/session.js";

const dirs: string[] = [];
const folder = () => {
  const d = mkdtempSync(join(tmpdir(), "web-secret-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the web's signing key", () => {
  it("without WEB_SECRET: one per data folder, kept across restarts (0600), so two folders do not accept each other's cookies", () => {
    const a = folder();
    const b = folder();
    const cookie = new Signer(loadSecret(a)).sign(deskValue(900, Date.now() + 60_000));
    expect(new Signer(loadSecret(a)).verify(cookie)).toBeDefined();
    expect(new Signer(loadSecret(b)).verify(cookie)).toBeUndefined();
    expect(statSync(join(a, "web", "secret")).mode & 0o777).toBe(0o600);
  });

  it("with WEB_SECRET: instances on different folders accept each other's desk cookies and CSRF tokens; another secret does not", () => {
    const shared = "s".repeat(16) + "-shared-web-secret";
    const one = new Signer(loadSecret(folder(), shared));
    const two = new Signer(loadSecret(folder(), shared));
    const value = deskValue(900, Date.now() + 60_000);
    const cookie = one.sign(value);
    expect(parseDesk(two.verify(cookie), Date.now())).toBe(900);
    expect(two.csrfToken(value)).toBe(one.csrfToken(value));
    expect(new Signer(loadSecret(folder(), `${shared}-other`)).verify(cookie)).toBeUndefined();
  });

  it("WEB_SECRET is checked at start: empty means unset, a short or odd one is refused with its name", () => {
    expect(loadConfig({ WEB_SECRET: "" }).WEB_SECRET).toBeUndefined();
    expect(loadConfig({ WEB_SECRET: "a".repeat(40) }).WEB_SECRET).toBe("a".repeat(40));
    expect(() => loadConfig({ WEB_SECRET: "short" })).toThrow(/WEB_SECRET/);
    expect(() => loadConfig({ WEB_SECRET: `${"a".repeat(40)} x` })).toThrow(/WEB_SECRET/);
  });
});
