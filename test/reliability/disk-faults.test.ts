/**
 * A full or read-only disk, through the real middleware stack (createBot in process, the store's
 * injectable fs failing writes and journal appends with ENOSPC — after writing half — or EROFS):
 * the user is told the save failed and never "已保存", the answer stays in the draft in memory, no
 * half-written file remains, and once the disk is back the next write persists everything.
 */
import { appendFileSync, cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nodeFs, type StoreFs } from "../../src/store/fs.js";
import { openStore } from "../../src/store/index.js";
import type { DraftRecord } from "../../src/store/types.js";
import { damage, declarant, declareUntil, inProcess, prompts, removeDir, saysSaved, send, tap, tempDir, text, type InProcessBot } from "./support.js";
import { shardRecords } from "../support/store-helpers.js";

let dir: string | undefined;
let app: InProcessBot | undefined;
afterEach(async () => {
  await app?.close().catch(() => undefined);
  app = undefined;
  await removeDir(dir);
  dir = undefined;
});

function faultyDisk() {
  const disk = { fail: undefined as "ENOSPC" | "EROFS" | undefined, failedWrites: 0 };
  const fs: Partial<StoreFs> = {
    async writeFile(path, data, sync) {
      if (disk.fail) {
        disk.failedWrites++;
        // A full disk takes part of the file before refusing the rest.
        if (disk.fail === "ENOSPC") writeFileSync(path, typeof data === "string" ? data.slice(0, data.length >> 1) : data.subarray(0, data.length >> 1));
        throw Object.assign(new Error(`${disk.fail}: simulated, write '${path}'`), { code: disk.fail });
      }
      await nodeFs.writeFile(path, data, sync);
    },
    // The journal (every change goes there first) fails the same way: part of the line, then the error.
    async appendFile(path, data, sync) {
      if (disk.fail) {
        disk.failedWrites++;
        if (disk.fail === "ENOSPC") appendFileSync(path, data.subarray(0, data.length >> 1));
        throw Object.assign(new Error(`${disk.fail}: simulated, append '${path}'`), { code: disk.fail });
      }
      await nodeFs.appendFile(path, data, sync);
    },
  };
  return { disk, fs };
}

/** The user's drafts as a start-up after a crash now would find them (a copy of the folder, opened). */
async function draftsAfterCrash(folder: string, owner: number): Promise<DraftRecord[]> {
  const copy = await tempDir("rel-disk-crash-");
  try {
    cpSync(folder, copy, { recursive: true });
    rmSync(join(copy, ".lock"), { force: true });
    const store = await openStore(copy);
    try {
      return await store.drafts.byOwner(owner);
    } finally {
      await store.close();
    }
  } finally {
    await removeDir(copy);
  }
}

/** The user's drafts as the files on disk hold them now. */
function draftsOnDisk(folder: string, owner: number): DraftRecord[] {
  const out: DraftRecord[] = [];
  for (const name of readdirSync(join(folder, "drafts"))) {
    if (!name.endsWith(".json")) continue;
    const records = shardRecords<DraftRecord>(readFileSync(join(folder, "drafts", name), "utf8"));
    for (const d of Object.values(records)) if (d.ownerId === owner) out.push(d);
  }
  return out;
}

const SAVE_FAILED = /保存失败/;

describe.each(["ENOSPC", "EROFS"] as const)("disk refuses writes (%s)", (code) => {
  it("tells the user, keeps the answer in memory, leaves nothing half-written, and saves it once the disk is back", async () => {
    dir = await tempDir(`rel-disk-${code}-`);
    const { disk, fs } = faultyDisk();
    app = await inProcess(dir, { store: { fs } });
    const user = declarant(app, 4242);
    await declareUntil(app, user, (out) => prompts(out, /手机号/));

    disk.fail = code;
    const phone = await text(app, user.id, "13912345678");
    expect(phone.map((o) => o.text).join("\n")).toMatch(SAVE_FAILED);
    expect(saysSaved(phone)).toBe(false);
    // The form goes on: the next step is asked, and what was typed is held in memory.
    expect(prompts(phone, /邮箱/)).toBe(true);
    const draft = (await app.store.drafts.byOwner(user.id))[0]!;
    expect(draft.answers.phone).toBe("13912345678");
    const email = await text(app, user.id, "u4242@xjnu.edu.cn");
    expect(email.map((o) => o.text).join("\n")).toMatch(SAVE_FAILED);
    expect((await app.store.drafts.get(draft.id))!.answers.email).toBe("u4242@xjnu.edu.cn");
    expect(disk.failedWrites).toBeGreaterThan(0);
    // Nothing half-written: temp files are removed, every file parses, a restart would find the old draft.
    expect(damage(dir)).toEqual({ temp: [], unparsable: [] });
    expect((await draftsAfterCrash(dir, user.id))[0]!.answers.phone).toBeUndefined();
    // Other users are still answered (reads come from memory).
    expect((await text(app, 777, "影子学习不少于多少天？")).map((o) => o.text).join("")).toContain("7天");

    disk.fail = undefined;
    const next = await declareUntil(app, user, saysSaved, 3);
    expect(saysSaved(next)).toBe(true);
    await app.store.flush();
    expect(draftsOnDisk(dir, user.id)[0]!.answers).toMatchObject({ phone: "13912345678", email: "u4242@xjnu.edu.cn" });
    await app.close();
    app = undefined;

    // A fresh start reads it all back, cleanly.
    const store = await openStore(dir);
    try {
      expect((await store.drafts.byOwner(user.id))[0]!.answers).toMatchObject({ phone: "13912345678", email: "u4242@xjnu.edu.cn" });
    } finally {
      await store.close();
    }
    expect(damage(dir)).toEqual({ temp: [], unparsable: [] });
  });

  it("a submission the disk refuses is reported as not saved, and is neither lost nor doubled once the disk is back", async () => {
    dir = await tempDir(`rel-disk-submit-${code}-`);
    const { disk, fs } = faultyDisk();
    app = await inProcess(dir, { store: { fs } });
    const user = declarant(app, 4343);
    await declareUntil(app, user, (out) => prompts(out, /请核对申报信息/));

    disk.fail = code;
    const refused = await tap(app, user.id, "确认提交");
    const said = refused.map((o) => o.text).join("\n");
    expect(said).toMatch(SAVE_FAILED);
    expect(said).not.toContain("申报已提交");
    expect(damage(dir)).toEqual({ temp: [], unparsable: [] });

    disk.fail = undefined;
    // The user tries again: one declaration, whatever the first attempt left in memory.
    const again = await send(app, app.api.textUpdate(user.id, "/declare"));
    const retry = again.some((o) => o.text.includes("未提交的申报草稿")) ? await tap(app, user.id, /^▶️ 继续 1\./) : again;
    if (retry.some((o) => o.text.includes("请核对申报信息"))) await tap(app, user.id, "确认提交");
    await app.store.flush();
    const mine = await app.store.declarations.byOwner(user.id);
    expect(mine).toHaveLength(1);
    expect(await app.store.drafts.byOwner(user.id)).toHaveLength(0);
    await app.close();
    app = undefined;
    const store = await openStore(dir);
    try {
      expect((await store.declarations.byOwner(user.id)).map((d) => d.ref)).toEqual(mine.map((d) => d.ref));
    } finally {
      await store.close();
    }
  });
});
