/**
 * One-time codes through the service (src/services/codes.ts) on the embedded store: desk codes only
 * for staff, single use, expiry, attempts counted before any code is tried, the /link carry as one
 * unit of work, and no code ever written to the store or the audit trail in clear.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadKnowledge } from "../../src/knowledge/load.js";
import { ATTEMPTS_PER_KEY, CODE_TTL_MS, DESK_ATTEMPTS_TOTAL, issueCode, redeemDeskCode, redeemLinkCode } from "../../src/services/codes.js";
import type { ServiceDeps } from "../../src/services/context.js";
import { changeRole } from "../../src/services/roles.js";
import { openStore, type StoreHandle } from "../../src/store/index.js";

const knowledge = loadKnowledge();
const ADMIN = 900;
const COORD = 700;
const TEACHER = 501;
const WEB_VISITOR = 2 ** 52 + 7;

let dir: string;
let store: StoreHandle;
let deps: ServiceDeps;
let clock: Date;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "codes-"));
  store = await openStore(dir, { fsync: false });
  clock = new Date("2024-05-10T02:00:00.000Z");
  deps = { store, knowledge, adminIds: [ADMIN], timeZone: "Asia/Shanghai", now: () => clock };
  const at = clock.toISOString();
  await store.users.put({ id: COORD, chatId: COORD, name: "协调员", roles: ["coordinator"], subscribed: false, reachable: true, createdAt: at });
  await store.users.put({ id: TEACHER, chatId: TEACHER, name: "王老师", roles: [], subscribed: false, reachable: true, createdAt: at });
});

afterEach(async () => {
  await store.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});

async function code(userId: number, purpose: "desk" | "link"): Promise<string> {
  const out = await issueCode(deps, userId, purpose);
  if (!out.ok) throw new Error(out.message);
  return out.code;
}

/** A six-digit code that is not `c`. */
const other = (c: string) => String((Number(c) + 1) % 1_000_000).padStart(6, "0");

describe("desk codes", () => {
  it("only staff get one; it signs in once, is audited, and is never stored or audited in clear", async () => {
    expect(await issueCode(deps, TEACHER, "desk")).toMatchObject({ ok: false, code: "staffOnly" });
    const c = await code(COORD, "desk");
    expect(c).toMatch(/^\d{6}$/);
    expect(await redeemDeskCode(deps, ` ${c} `, "10.0.0.1")).toMatchObject({ ok: true, userId: COORD });
    expect(await redeemDeskCode(deps, c, "10.0.0.1")).toMatchObject({ ok: false, code: "invalid" });
    const trail = await store.audit.find({ actor: COORD }, { limit: 10 });
    expect(trail.items.map((a) => a.action)).toEqual(["desk.login"]);
    const c2 = await code(ADMIN, "desk");
    await store.flush();
    const onDisk = readFileSync(join(dir, "codes.json"), "utf8");
    expect(onDisk).toContain('"userId":900');
    expect(onDisk).not.toContain(c2);
    expect(JSON.stringify(trail.items)).not.toContain(c);
  });

  it("expires after five minutes; a newer code replaces the older one", async () => {
    const first = await code(ADMIN, "desk");
    const second = await code(ADMIN, "desk");
    if (first !== second) expect(await redeemDeskCode(deps, first, "a")).toMatchObject({ ok: false, code: "invalid" });
    clock = new Date(clock.getTime() + CODE_TTL_MS);
    expect(await redeemDeskCode(deps, second, "a")).toMatchObject({ ok: false, code: "invalid" });
  });

  it("a coordinator whose role was revoked after asking cannot sign in with the code", async () => {
    const c = await code(COORD, "desk");
    expect((await changeRole(deps, ADMIN, COORD, "revoke")).ok).toBe(true);
    expect(await redeemDeskCode(deps, c, "a")).toMatchObject({ ok: false, code: "invalid" });
  });

  it(`after ${ATTEMPTS_PER_KEY} tries from one address even the right code is refused there, not elsewhere`, async () => {
    const c = await code(COORD, "desk");
    for (let i = 0; i < ATTEMPTS_PER_KEY; i++) expect(await redeemDeskCode(deps, other(c), "10.0.0.9")).toMatchObject({ code: "invalid" });
    expect(await redeemDeskCode(deps, c, "10.0.0.9")).toMatchObject({ ok: false, code: "limit" });
    expect(await redeemDeskCode(deps, c, "10.0.0.10")).toMatchObject({ ok: true, userId: COORD });
    // Ten minutes later the address may try again.
    clock = new Date(clock.getTime() + 10 * 60_000);
    const again = await code(COORD, "desk");
    expect(await redeemDeskCode(deps, again, "10.0.0.9")).toMatchObject({ ok: true });
  });

  it(`at most ${DESK_ATTEMPTS_TOTAL} desk logins in all per window, from however many addresses`, async () => {
    const c = await code(COORD, "desk");
    for (let i = 0; i < DESK_ATTEMPTS_TOTAL; i++) await redeemDeskCode(deps, other(c), `10.1.${i >> 8}.${i & 255}`);
    expect(await redeemDeskCode(deps, c, "10.2.0.1")).toMatchObject({ ok: false, code: "limit" });
  });
});

describe("/link codes", () => {
  it("carry the drafts and close the old side's form in one step, once; audited without the code", async () => {
    const at = clock.toISOString();
    await store.drafts.put({ id: "dr-a", ownerId: TEACHER, stepId: "people", answers: { plan: "guopei" }, createdAt: at, updatedAt: at });
    await store.drafts.put({ id: "dr-b", ownerId: TEACHER, stepId: "lead", answers: {}, createdAt: at, updatedAt: at });
    await store.sessions.put({ userId: TEACHER, flow: "declare", nonce: "n1", state: {}, updatedAt: at });
    const c = await code(TEACHER, "link");
    expect(await redeemLinkCode(deps, WEB_VISITOR, c)).toMatchObject({ ok: true, moved: 2 });
    expect((await store.drafts.byOwner(WEB_VISITOR)).map((d) => d.id)).toEqual(["dr-a", "dr-b"]);
    expect(await store.drafts.byOwner(TEACHER)).toEqual([]);
    expect(await store.sessions.get(TEACHER)).toBeUndefined();
    expect(await redeemLinkCode(deps, WEB_VISITOR, c)).toMatchObject({ ok: false, code: "invalid" });
    const trail = (await store.audit.find({ action: "drafts.carried" }, { limit: 10 })).items;
    expect(trail).toMatchObject([{ actor: WEB_VISITOR, detail: { from: TEACHER, to: WEB_VISITOR, drafts: ["dr-a", "dr-b"] } }]);
    expect(JSON.stringify(trail)).not.toContain(c);
  });

  it("a desk code is no /link code; malformed input is told what to type; tries per user are limited", async () => {
    const desk = await code(ADMIN, "desk");
    expect(await redeemLinkCode(deps, TEACHER, desk)).toMatchObject({ ok: false, code: "invalid" });
    expect(await redeemLinkCode(deps, TEACHER, "12ab")).toMatchObject({ ok: false, message: expect.stringContaining("6 位数字") });
    const c = await code(COORD, "link");
    for (let i = 1; i < ATTEMPTS_PER_KEY; i++) await redeemLinkCode(deps, TEACHER, other(c));
    expect(await redeemLinkCode(deps, TEACHER, c)).toMatchObject({ ok: false, code: "limit" });
    expect(await redeemLinkCode(deps, WEB_VISITOR, c)).toMatchObject({ ok: true, moved: 0 });
  });
});
