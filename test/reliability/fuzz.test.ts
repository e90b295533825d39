/**
 * Fuzzing through the real middleware stack (createBot in process, every feature, a real store):
 * thousands of random and hostile inputs — random Unicode, 4096-character texts, control
 * characters, HTML, every command in every state, forged, replayed and foreign callback data
 * (other users' reference numbers, draft ids and flow nonces), stickers, edits, group messages,
 * blocks and unblocks — from attackers, while two victims hold declarations and drafts.
 *
 * Checked for every input: handling never throws and never ends in the error boundary; every
 * private text gets an answer and every button tap is answered; every message the bot sends is
 * valid Telegram HTML within 4,096 characters with callback data ≤ 64 bytes (the in-process
 * emulator applies test/support/telegram-rules.ts); no attacker ever sees a victim's institution,
 * phone, e-mail, reference number or draft; and the victims' records are unchanged at the end.
 */
import type { Update } from "grammy/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalBotApi } from "../../bench/fake-api-client.js";
import { buttonsOf, declarant, declareUntil, inProcess, loadPhrasings, prompts, removeDir, rng, send, SimUser, tempDir, type InProcessBot, type Journey, type LocalOutput } from "./support.js";

const ADMIN = 9000;
const VICTIMS = [7001, 7002];
const ATTACKERS = [8001, 8002, 8003];
const GROUP = -100_500;
const RANDOM_INPUTS = 2400;

let dir: string;
let app: InProcessBot;
const r = rng(2024);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (n: number) => Math.floor(r() * n);

interface Secrets {
  texts: string[];
  refs: string[];
  drafts: string[];
  nonces: string[];
  buttons: { data: string; messageId: number }[];
}
const secrets: Secrets = { texts: [], refs: [], drafts: [], nonces: [], buttons: [] };
let victimSnapshot = "";
const snapshot = async () =>
  JSON.stringify(await Promise.all(VICTIMS.map(async (v) => ({ declarations: await app.store.declarations.byOwner(v), drafts: await app.store.drafts.byOwner(v), user: await app.store.users.get(v) }))));

// ------------------------------------------------------------------ inputs

const RANGES: [number, number][] = [
  [0x20, 0x7e], // ASCII
  [0x4e00, 0x9fff], // CJK
  [0x1f300, 0x1faff], // emoji
  [0x0300, 0x036f], // combining marks
  [0x0600, 0x06ff], // Arabic (RTL)
  [0x0000, 0x001f], // C0 controls
  [0x007f, 0x009f], // DEL, C1 controls
  [0x2000, 0x206f], // spaces, zero-width, bidi controls, line/paragraph separators
  [0xfe00, 0xfeff], // variation selectors, BOM
  [0xff00, 0xffef], // full-width forms
  [0x10000, 0x10ffff], // anything astral
];

function randomUnicode(length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) {
    const [lo, hi] = pick(RANGES);
    s += String.fromCodePoint(lo + int(hi - lo + 1));
  }
  return s;
}

const HTML_BITS = ["<b>", "</b>", "<i>未闭合", "<script>alert(1)</script>", "&", "&amp;", "&lt;b&gt;", "<a href=\"javascript:x\">x</a>", "<<>>", "&#0;", "&#x110000;", "</code>", "<tg-spoiler>", "\"'`", "<br/>", "</", "<"];
const COMMANDS = [
  "/start", "/help", "/eligibility", "/projects", "/budget", "/declare", "/my", "/subscribe", "/unsubscribe", "/deadlines", "/cancel", "/myid",
  "/review", "/export", "/stats", "/grant", "/revoke", "/deadline", "/deadline_del", "/broadcast", "/unknown", "/start@guopei_test_bot", "/declare@other_bot",
];
const COMMAND_ARGS = ["", " 7001", " 8001", " abc", " -1", " 99999999999999999999", " 2030-01-01 测试截止", " 2025-02-30 x", " d1", " <b>群发</b> & 全体", ` ${"长".repeat(4000)}`, " GP2024-0001", " ../../etc/passwd"];

function hostileText(): string {
  switch (int(8)) {
    case 0:
      return randomUnicode(1 + int(200));
    case 1:
      return pick(["测", "A", "<", "&", "😀", "\u0000"]).repeat(4096).slice(0, 4096);
    case 2:
      return randomUnicode(4096).slice(0, 4096);
    case 3:
      return Array.from({ length: 1 + int(30) }, () => String.fromCharCode(int(32))).join("") + pick(["", "影子学习几天", "100"]);
    case 4:
      return Array.from({ length: 1 + int(6) }, () => pick(HTML_BITS)).join(pick(["", " ", "县级骨干"]));
    case 5:
      return pick(COMMANDS) + pick(COMMAND_ARGS);
    case 6:
      return pick(["   ", "\n\n", "\u200b", "\u202e反转", "1".repeat(50), "-5", "0", "1e9", "2099-13-45", "13912345678", "a@b", "新疆师范大学"]);
    default:
      return pick(PHRASINGS);
  }
}

let PHRASINGS: string[] = [];
const CODES = ["v", "w", "wy", "e", "l", "o", "a", "r", "rc", "h", "s", "p", "ps", "d", "dd", "new", "stop", "ok", "no"];

function forgedData(): string {
  const ref = pick(secrets.refs);
  const draft = pick(secrets.drafts);
  const nonce = pick(secrets.nonces);
  const data = (() => {
    switch (int(9)) {
      case 0:
        return `my|${pick(CODES)}|${ref}`;
      case 1:
        return `rv|${pick(CODES)}|${ref}${pick(["", "|0", "|x"])}`;
      case 2:
        return `dc|${pick(["r", "d", "dd", "new"])}|${draft}`;
      case 3:
        return `f|${nonce}|${pick(["p0", "p1", "t0", "d", "b", "s", "c", "k", "e:phone", "e:institution", "x:注入", "p999"])}`;
      case 4:
        return `${pick(["bc|ok|", "bc|stop|", "bc|no|", "q|county-backbone|", "p|s|", "b|", "menu|", "rm|", "el|", "p|cat|guopei|", "rv|p|"])}${pick(["", "x", "county-backbone", "../../", "999", "declare", "sub", "refine", ref])}`;
      case 5:
        return Array.from({ length: 1 + int(64) }, () => String.fromCharCode(33 + int(94))).join("");
      case 6:
        return randomUnicode(1 + int(16));
      default:
        return pick(secrets.buttons).data;
    }
  })();
  // Telegram never delivers more than 64 bytes of callback data.
  let out = data;
  while (Buffer.byteLength(out) > 64) out = out.slice(0, -1);
  return out || "x";
}

function editedMessage(user: number, text: string): Update {
  const u = app.api.textUpdate(user, text);
  return { update_id: u.update_id, edited_message: { ...u.message!, edit_date: Math.floor(Date.now() / 1000) } } as Update;
}

// ------------------------------------------------------------------ checks

const problems: string[] = [];
let inputs = 0;

/** Sends one input and checks the answer; returns the outputs in the sender's chat. */
async function fire(update: Update, from: number, what: string): Promise<LocalOutput[]> {
  inputs++;
  let out: LocalOutput[] = [];
  try {
    out = await send(app, update);
  } catch (e) {
    problems.push(`${what}: handleUpdate threw ${String(e)}`);
    return out;
  }
  for (const o of out) if (o.text.includes("处理时出错")) problems.push(`${what}: error boundary answered: ${o.text}`);
  const privateText = update.message?.text !== undefined && update.message.chat.type === "private";
  if (privateText && out.length === 0) problems.push(`${what}: no answer to ${JSON.stringify(update.message!.text!.slice(0, 40))}`);
  const query = update.callback_query;
  if (query && !app.api.answeredQueries().has(query.id)) problems.push(`${what}: callback ${JSON.stringify(query.data)} never answered`);
  if (ATTACKERS.includes(from) || from >= 100_000) {
    for (const o of app.api.outputs(from).filter((x) => out.includes(x))) {
      for (const s of [...secrets.texts, ...secrets.refs, ...secrets.drafts]) {
        if (o.rawText.includes(s) || o.text.includes(s)) problems.push(`${what}: attacker ${from} was shown "${s}" in: ${o.text.slice(0, 120)}`);
      }
    }
  }
  return out;
}

function remember(user: number): void {
  for (const o of app.api.outputs(user)) for (const b of buttonsOf(o)) secrets.buttons.push({ data: b.callback_data, messageId: o.messageId });
}

async function drive(user: SimUser, until: (out: LocalOutput[]) => boolean, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    const out = await fire(user.next().update, user.id, `walk ${user.id}`);
    if (until(out)) return;
  }
  throw new Error(`user ${user.id}: state not reached`);
}

// ------------------------------------------------------------------ set-up: victims

beforeAll(async () => {
  PHRASINGS = loadPhrasings();
  dir = await tempDir("rel-fuzz-");
  app = await inProcess(dir, { adminIds: [ADMIN], api: new LocalBotApi({ keepAll: true }) });
  for (const v of VICTIMS) {
    const victim = declarant(app, v);
    await declareUntil(app, victim, (out) => out.some((o) => o.text.includes("申报已提交")));
    // …and an open draft of a second declaration, part filled in.
    await declareUntil(app, victim, (out) => prompts(out, /手机号/));
    secrets.texts.push(victim.institution, `139${String(v % 1e8).padStart(8, "0")}`, `u${v}@xjnu.edu.cn`);
    secrets.refs.push(...(await app.store.declarations.byOwner(v)).map((d) => d.ref));
    secrets.drafts.push(...(await app.store.drafts.byOwner(v)).map((d) => d.id));
    secrets.nonces.push((await app.store.sessions.get(v))!.nonce);
    remember(v);
  }
  // The admin returns one of them, so statuses differ.
  await send(app, app.api.textUpdate(ADMIN, "/review"));
  victimSnapshot = await snapshot();
  expect(secrets.refs).toHaveLength(2);
  expect(secrets.drafts).toHaveLength(2);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await removeDir(dir);
});

// ------------------------------------------------------------------ the tests

describe("fuzzing the real stack", () => {
  it("every command in every state gets a sensible answer", async () => {
    const states: { name: string; journey: Journey; until: (out: LocalOutput[]) => boolean }[] = [
      { name: "idle", journey: "questions", until: () => true },
      { name: "eligibility, first question", journey: "eligibility", until: (out) => prompts(out, /你的身份是/) },
      { name: "budget, a choice", journey: "budget", until: (out) => prompts(out, /请选择子项目/) },
      { name: "declaration, first field", journey: "declaration", until: (out) => prompts(out, /牵头申报单位/) },
      { name: "declaration, a choice", journey: "declaration", until: (out) => prompts(out, /请选择计划/) },
      { name: "declaration, multi-choice", journey: "declaration", until: (out) => prompts(out, /哪些学科|手机号/) },
      { name: "declaration, summary", journey: "declaration", until: (out) => prompts(out, /请核对申报信息/) },
    ];
    let id = 100_000;
    for (const state of states) {
      for (const command of COMMANDS) {
        const user = new SimUser(++id, app.api, rng(id), PHRASINGS, undefined, [[state.journey, 1]]);
        if (state.name !== "idle") await drive(user, state.until);
        await fire(app.api.textUpdate(user.id, command + (command.startsWith("/grant") || command.startsWith("/revoke") ? " 7001" : "")), user.id, `${command} in ${state.name}`);
        // The form, where one was open, still takes its answer afterwards (or was ended by the command).
        await fire(user.next().update, user.id, `after ${command} in ${state.name}`);
      }
    }
    expect(problems).toEqual([]);
    expect(app.api.violations).toEqual([]);
  }, 60_000);

  it(`survives ${RANDOM_INPUTS}+ random and hostile inputs without errors, invalid messages or leaks`, async () => {
    const walkers = new Map(ATTACKERS.map((a) => [a, new SimUser(a, app.api, rng(a), PHRASINGS)]));
    const kinds = new Map<string, number>();
    for (let i = 0; i < RANDOM_INPUTS; i++) {
      const a = pick(ATTACKERS);
      const x = r();
      let update: Update;
      let what: string;
      if (x < 0.3) {
        update = walkers.get(a)!.next().update; // real journeys, so that inputs land in every state
        what = "journey step";
      } else if (x < 0.62) {
        update = app.api.textUpdate(a, hostileText());
        what = "hostile text";
      } else if (x < 0.86) {
        const data = forgedData();
        const mine = app.api.outputs(a).at(-1)?.messageId ?? 1;
        update = app.api.callbackUpdate(a, data, r() < 0.5 ? mine : pick(secrets.buttons)?.messageId ?? 1);
        what = `callback ${JSON.stringify(data)}`;
      } else if (x < 0.89) {
        // A replay of one of the attacker's own earlier buttons (stale or not).
        const own = app.api.outputs(a).flatMap((o) => buttonsOf(o).map((b) => ({ data: b.callback_data, messageId: o.messageId })));
        const b = own.length ? pick(own) : { data: "menu|help", messageId: 1 };
        update = app.api.callbackUpdate(a, b.data, b.messageId);
        what = `replayed ${b.data}`;
      } else if (x < 0.92) {
        update = app.api.textUpdate(a, pick(COMMANDS) + pick(COMMAND_ARGS), { chatId: GROUP, chatType: "group" });
        what = "group message";
      } else if (x < 0.94) {
        update = editedMessage(a, hostileText());
        what = "edited message";
      } else if (x < 0.96) {
        update = app.api.stickerUpdate(a);
        what = "sticker";
      } else if (x < 0.98) {
        update = app.api.memberUpdate(a, r() < 0.5 ? "kicked" : "member");
        what = "block/unblock";
      } else {
        update = app.api.textUpdate(a, `${pick(PHRASINGS)}${pick(HTML_BITS)}`);
        what = "question with markup";
      }
      kinds.set(what.split(" ")[0]!, (kinds.get(what.split(" ")[0]!) ?? 0) + 1);
      await fire(update, a, what);
    }
    console.log(`[fuzz] ${inputs} inputs in all (${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")}); ${app.api.all.length} messages sent or edited, all checked`);
    expect(inputs).toBeGreaterThanOrEqual(2000);
    expect(problems.slice(0, 20)).toEqual([]);
    expect(app.api.violations.slice(0, 10)).toEqual([]);
    expect(app.logs.filter((l) => l.level >= 50).map((l) => l.msg).slice(0, 10)).toEqual([]);
  }, 120_000);

  it("changed nothing of the victims', and gave no attacker any right", async () => {
    expect(await snapshot()).toBe(victimSnapshot);
    expect(await app.store.deadlines.list()).toEqual([]);
    expect((await app.store.broadcasts.list({ limit: 10 })).total).toBe(0);
    for (const a of ATTACKERS) expect((await app.store.users.get(a))?.roles ?? []).toEqual([]);
    // The victims still use their forms: the open draft resumes where it stood.
    const resumed = await send(app, app.api.textUpdate(VICTIMS[0]!, "/declare"));
    expect(resumed.map((o) => o.text).join("\n")).toContain("未提交的申报草稿");
  });
});
