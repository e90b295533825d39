/**
 * Concurrency through the real middleware stack (createBot in process; updates handed to
 * bot.handleUpdate all at once, as the runner does): one user's burst of updates is applied in
 * order with nothing lost, a double-tapped 确认提交 submits once, and many users submitting at the
 * same moment get unique reference numbers, all stored.
 */
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { buttonsOf, declarant, declareUntil, inProcess, prompts, removeDir, tempDir, type InProcessBot } from "./support.js";

let dir: string | undefined;
let app: InProcessBot | undefined;
afterEach(async () => {
  await app?.close().catch(() => undefined);
  app = undefined;
  await removeDir(dir);
  dir = undefined;
});

describe("one user, several updates at once", () => {
  it("applies a burst of typed answers in order: every one saved, none lost", async () => {
    dir = await tempDir("rel-conc-burst-");
    app = await inProcess(dir);
    const user = declarant(app, 5151);
    await declareUntil(app, user, (out) => prompts(out, /项目负责人姓名/));
    const answers = ["王五", "赵六", "13800138000", "wz@xjnu.edu.cn"];
    const updates = answers.map((a) => app!.api.textUpdate(user.id, a));
    await Promise.all(updates.map((u) => app!.bot.handleUpdate(u)));
    const draft = (await app.store.drafts.byOwner(user.id))[0]!;
    expect(draft.answers).toMatchObject({ lead: "王五", contact: "赵六", phone: "13800138000", email: "wz@xjnu.edu.cn" });
    const saved = app.api.outputs(user.id).filter((o) => o.text.startsWith("💾 已保存"));
    expect(saved.length).toBeGreaterThanOrEqual(answers.length);
    // The replies came in the order of the answers.
    const last4 = saved.slice(-4).map((o) => o.text);
    expect(last4[0]).toContain("联系人姓名");
    expect(last4[1]).toContain("手机号");
    expect(last4[2]).toContain("邮箱");
    expect(last4[3]).toMatch(/培训多少人/);
  });

  it("a double-tapped 确认提交 and a burst of commands: one declaration, every update answered", async () => {
    dir = await tempDir("rel-conc-double-");
    app = await inProcess(dir);
    const user = declarant(app, 5252);
    await declareUntil(app, user, (out) => prompts(out, /请核对申报信息/));
    const summary = [...app.api.outputs(user.id)].reverse().find((o) => buttonsOf(o).some((b) => b.text.includes("确认提交")))!;
    const confirm = buttonsOf(summary).find((b) => b.text.includes("确认提交"))!.callback_data;
    const taps = [1, 2, 3].map(() => app!.api.callbackUpdate(user.id, confirm, summary.messageId));
    const more = ["/my", "/declare", "/deadlines"].map((c) => app!.api.textUpdate(user.id, c));
    await Promise.all([...taps, ...more].map((u) => app!.bot.handleUpdate(u)));
    expect(await app.store.declarations.byOwner(user.id)).toHaveLength(1);
    expect(await app.store.drafts.byOwner(user.id)).toHaveLength(0);
    for (const t of taps) expect(app.api.answeredQueries().has(t.callback_query!.id)).toBe(true);
    const said = app.api.outputs(user.id).map((o) => o.text);
    expect(said.filter((t) => t.includes("申报已提交"))).toHaveLength(1);
    expect(said.some((t) => t.includes("我的申报"))).toBe(true);
    expect(app.api.violations).toEqual([]);
  });
});

describe("many users submitting at the same moment", () => {
  it("gives every declaration its own reference number, and all are stored", async () => {
    dir = await tempDir("rel-conc-submit-");
    app = await inProcess(dir);
    const users = Array.from({ length: 24 }, (_, i) => declarant(app!, 6000 + i, i + 1));
    // Everyone fills in the form up to the summary (in parallel, as in season).
    await Promise.all(users.map((u) => declareUntil(app!, u, (out) => prompts(out, /请核对申报信息/))));
    const confirms = users.map((u) => {
      const summary = [...app!.api.outputs(u.id)].reverse().find((o) => buttonsOf(o).some((b) => b.text.includes("确认提交")))!;
      return app!.api.callbackUpdate(u.id, buttonsOf(summary).find((b) => b.text.includes("确认提交"))!.callback_data, summary.messageId);
    });
    await Promise.all(confirms.map((c) => app!.bot.handleUpdate(c)));

    const refs = [];
    for (const u of users) {
      const mine = await app!.store.declarations.byOwner(u.id);
      expect(mine, `user ${u.id}`).toHaveLength(1);
      const told = app!.api.outputs(u.id).find((o) => o.text.includes("申报已提交"))!.text;
      expect(told).toContain(mine[0]!.ref);
      refs.push(mine[0]!.ref);
    }
    expect(new Set(refs).size).toBe(users.length);
    for (const ref of refs) expect(ref).toMatch(/^(GP|QP)2024-\d{4}$/);
    // Numbers per plan are consecutive from 0001: none skipped, none reused.
    for (const prefix of ["GP", "QP"]) {
      const nums = refs.filter((r) => r.startsWith(prefix)).map((r) => Number(r.slice(-4))).sort((a, b) => a - b);
      expect(nums).toEqual(nums.map((_, i) => i + 1));
    }
    await app.close();
    app = undefined;
    const store = await openStore(dir);
    try {
      expect((await store.declarations.find({}, { limit: 1000 })).items.map((d) => d.ref).sort()).toEqual([...refs].sort());
    } finally {
      await store.close();
    }
  });
});
