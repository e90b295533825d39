/**
 * A corrupt data file stops the real bot process (node --import tsx src/main.ts) at start-up with
 * a message naming the file; the file — and every other file of DATA_DIR — is left byte for byte
 * as it was, and the bot never polls. Cases: truncated JSON in a declarations shard, an empty
 * users shard, valid JSON of the wrong shape in a drafts shard, a record filed in the wrong
 * shard, one character changed inside a declaration that opening does not parse (the shard's
 * checksum catches it), and a corrupt meta.json.
 */
import { cpSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedStore } from "../../bench/store-seed.js";
import { makeTempDataDir, removeTempDataDir, startBotProcess } from "../support/bot-process.js";
import { startFakeBotApi, type FakeBotApi } from "../support/fake-bot-api.js";
import { shardRecords } from "../support/store-helpers.js";
import { filesUnder } from "./support.js";

let api: FakeBotApi;
let pristine: string;
const dirs: string[] = [];

beforeAll(async () => {
  api = await startFakeBotApi();
  pristine = await makeTempDataDir("rel-corrupt-src-");
  await seedStore(pristine, { users: 300, declarations: 120, drafts: 40 }, { fsync: false });
}, 30_000);

afterAll(async () => {
  await api?.close();
  for (const d of [pristine, ...dirs]) await removeTempDataDir(d);
});

/** A copy of the seeded folder with one file damaged by `damage` (given its current text). */
async function damaged(relative: string, damage: (text: string, dir: string) => string): Promise<{ dir: string; file: string }> {
  const dir = await makeTempDataDir("rel-corrupt-");
  dirs.push(dir);
  cpSync(pristine, dir, { recursive: true });
  const file = join(dir, relative);
  writeFileSync(file, damage(readFileSync(file, "utf8"), dir));
  return { dir, file };
}

function snapshot(dir: string): Map<string, Buffer> {
  return new Map(filesUnder(dir).map((f) => [f, readFileSync(join(dir, f))]));
}

const firstShard = (collection: string) => `${collection}/${readdirSync(join(pristine, collection)).filter((f) => f.endsWith(".json")).sort()[0]!}`;

describe("a corrupt file in DATA_DIR", () => {
  const cases: [string, () => string, (text: string) => string, RegExp][] = [
    ["truncated JSON (a declarations shard)", () => firstShard("declarations"), (t) => t.slice(0, Math.floor(t.length / 2)), /invalid JSON|损坏/],
    ["an empty file (a users shard)", () => firstShard("users"), () => "", /empty|损坏/],
    ["the wrong shape (a drafts shard)", () => firstShard("drafts"), () => JSON.stringify({ records: [1, 2, 3] }), /records|损坏/],
    [
      "a record in the wrong shard (users)",
      () => firstShard("users"),
      (t) => {
        // rewritten in the older {"records":{…}} format, which the store still reads
        const records = shardRecords<{ id: number }>(t);
        const [key, record] = Object.entries(records)[0]!;
        delete records[key];
        records["999999999"] = { ...record, id: 999999999 };
        return JSON.stringify({ records });
      },
      /belongs in|损坏/,
    ],
    [
      // Opening parses a declaration only when it is first asked for; the file's checksum still stops start-up.
      "one character changed inside a declaration (a record opening does not parse)",
      () => firstShard("declarations"),
      (t) => {
        const at = t.lastIndexOf('"ownerId"');
        return `${t.slice(0, at)}"ownerID"${t.slice(at + 9)}`;
      },
      /checksum mismatch/,
    ],
    ["a corrupt meta.json", () => "meta.json", (t) => t.replace(/"schemaVersion":\s*\d+/, '"schemaVersion": "one"'), /schemaVersion|损坏/],
  ];

  it.each(cases)("%s: start-up refuses, names the file, and changes no byte", async (_name, which, damage, reason) => {
    const relative = which();
    const { dir, file } = await damaged(relative, damage);
    const before = snapshot(dir);
    const pollsBefore = api.pollCount;
    const bot = await startBotProcess({ api, dataDir: dir, waitForPoll: false });
    const exit = await Promise.race([bot.exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 20_000))]);
    if (exit === "timeout") await bot.kill9();
    expect(exit).not.toBe("timeout");
    expect((exit as { code: number | null }).code).not.toBe(0);
    const output = bot.output();
    expect(output).toContain(file);
    expect(output).toMatch(reason);
    expect(api.pollCount).toBe(pollsBefore);
    // Byte for byte as it was: the damaged file and everything else (the lock is released, not left).
    const after = snapshot(dir);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [f, bytes] of before) expect(after.get(f)!.equals(bytes), f).toBe(true);
  }, 30_000);
});
