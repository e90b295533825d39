/**
 * The chat page in a real browser: headless Chromium (puppeteer-core) against the real bot process
 * started with WEB_PORT, which also polls the fake Bot API — the page and Telegram are one bot.
 * Journeys: a teacher's eligibility check; an institution's declaration from /declare to submit with
 * a reload in the middle; the draft carried from Telegram to the web with /link. Screenshots of each
 * at 360 px and 1280 px go to test/e2e/screenshots/.
 */
import { describe, expect, it } from "vitest";
import { openPage, say, screenshotBothWidths as both, tapButton, waitForBot } from "../support/browser.js";
import { useWebBot } from "../support/web-process.js";

const h = useWebBot({ name: "web-chat-e2e", env: { ADMIN_IDS: "900" }, browser: true });

describe("the chat page", () => {
  it("runs a teacher's eligibility check with real buttons", async () => {
    const page = await openPage(h.chrome.browser, 360);
    await page.goto(`${h.web.url}/`);
    // A first visit opens with the bot's own main menu, not a copy of it.
    await waitForBot(page, "申报助手");
    expect(await page.$$eval(".kb button", (bs) => bs.map((b) => b.textContent))).toContain("🧭 资格自测");
    // Assets come from the process itself: nothing from another host.
    const foreign = await page.evaluate(() => performance.getEntriesByType("resource").map((e) => e.name).filter((u) => !u.startsWith(location.origin)));
    expect(foreign).toEqual([]);

    await tapButton(page, "🧭 资格自测");
    await waitForBot(page, "你的身份是");
    await tapButton(page, "教师");
    await waitForBot(page, "学段");
    await tapButton(page, "小学");
    await waitForBot(page, "学科");
    await tapButton(page, "语文");
    await waitForBot(page, "教龄");
    // Typed text goes through the same validators as in Telegram.
    await say(page, "10");
    await waitForBot(page, "担任以下职务");
    await tapButton(page, "✔️ 完成");
    await waitForBot(page, "荣誉或经历");
    await tapButton(page, "✔️ 完成");
    await waitForBot(page, "项目县");
    await tapButton(page, "✔️ 完成");
    const result = await waitForBot(page, "资格自测结果");
    expect(result).toContain("教师 · 小学 · 语文 · 教龄10年");
    expect(result).toMatch(/符合条件|不符/);
    // The answer's citation markup arrived as safe HTML: bold text, no raw tags.
    expect(await page.$$eval(".msg.bot .bubble b", (bs) => bs.length)).toBeGreaterThan(0);
    expect(result).not.toContain("<b>");
    await both(page, "1-eligibility");
    await page.close();
  }, 120_000);

  it("walks an institution's declaration to submission, with a reload in the middle", async () => {
    const page = await openPage(h.chrome.browser, 360);
    await page.goto(`${h.web.url}/`);
    await waitForBot(page, "申报助手");
    await say(page, "/declare");
    await waitForBot(page, "牵头申报单位");
    // Typed HTML is shown as text, never as markup; as an institution's name it is refused (forms check
    // what is typed before it is saved), and the step asks again.
    await say(page, "新疆师范大学<b>继续教育学院</b>");
    await waitForBot(page, "只能包含汉字、字母、数字和括号");
    expect(await page.$$eval(".msg.user .bubble", (els) => (els[els.length - 1] as HTMLElement).innerText)).toBe("新疆师范大学<b>继续教育学院</b>");
    await say(page, "新疆师范大学（继续教育学院）");
    await waitForBot(page, "申报单位类型");
    await tapButton(page, "高等院校");
    await waitForBot(page, "请选择计划");
    await tapButton(page, "国培计划");
    await waitForBot(page, "请选择子项目");
    await tapButton(page, "县级骨干教师学科育人能力提升研修");
    await waitForBot(page, "培训对象");
    await tapButton(page, "小学骨干教师");
    await waitForBot(page, "哪些学科");
    await tapButton(page, "⬜ 语文");
    await page.waitForFunction(() => Array.from(document.querySelectorAll(".kb button")).some((b) => b.textContent === "✅ 语文"));
    await tapButton(page, "✔️ 完成");
    await waitForBot(page, "协同实施");
    await say(page, "乌鲁木齐市第一小学、昌吉州实验小学");
    await waitForBot(page, "项目负责人姓名");
    await say(page, "张三");
    await waitForBot(page, "联系人姓名");
    await say(page, "李四");
    await waitForBot(page, "手机号");
    await say(page, "12345");
    await waitForBot(page, "手机号应为11位数字");
    await say(page, "13912345678");
    await waitForBot(page, "联系邮箱");

    // Reload: the same visitor (the signed cookie), the same conversation and the same draft.
    await page.reload();
    await waitForBot(page, "联系邮箱");
    expect(await page.$$eval(".msg.user .bubble", (els) => els.map((e) => (e as HTMLElement).innerText))).toContain("13912345678");
    await say(page, "lisi@xjnu.edu.cn");
    await waitForBot(page, "培训多少人");
    await say(page, "100");
    await waitForBot(page, "集中培训多少天");
    await tapButton(page, "按指南 15天");
    await waitForBot(page, "影子学习多少天");
    await say(page, "7");
    await waitForBot(page, "异步在线学习多少学时");
    await tapButton(page, "按指南 50学时");
    await waitForBot(page, "第几年");
    await tapButton(page, "第1年");
    await waitForBot(page, "开始日期");
    await say(page, "2030-09-01");
    await waitForBot(page, "结束日期");
    await say(page, "2030-09-15");
    await waitForBot(page, "补充说明");
    await tapButton(page, "⏭ 跳过");
    const summary = await waitForBot(page, "请核对申报信息");
    expect(summary).toContain("新疆师范大学（继续教育学院）");
    expect(summary).toContain("每年合计：630,000元");
    await tapButton(page, "✅ 确认提交");
    const done = await waitForBot(page, "申报已提交");
    expect(done).toMatch(/申报编号：GP2024-\d{4}/);
    await both(page, "2-declaration");

    // /my on the page lists it: the declaration belongs to this visitor.
    await say(page, "/my");
    const mine = await waitForBot(page, "我的申报");
    expect(mine).toMatch(/GP2024-\d{4}/);
    await page.close();
  }, 180_000);

  it("carries a draft from Telegram to the web with a one-time /link code", async () => {
    const contact = 777;
    h.api.sendText(contact, "/declare");
    await h.api.waitForMessage(contact, "牵头申报单位");
    h.api.sendText(contact, "喀什大学");
    await h.api.waitForMessage(contact, "申报单位类型");
    h.api.sendText(contact, "/link");
    const issued = await h.api.waitForMessage(contact, "草稿转移码");
    const code = /\/link (\d{6})/.exec(issued.text)![1]!;

    const page = await openPage(h.chrome.browser, 360);
    await page.goto(`${h.web.url}/`);
    await waitForBot(page, "申报助手");
    await say(page, `/link ${code}`);
    await waitForBot(page, "已转来 1 份申报草稿");
    await say(page, "/declare");
    const drafts = await waitForBot(page, "未提交的申报草稿");
    expect(drafts).toContain("喀什大学");
    // Single use: the same code a second time is refused.
    await say(page, `/link ${code}`);
    await waitForBot(page, "转移码无效或已过期");
    // The Telegram side no longer has it.
    h.api.sendText(contact, "/declare");
    const tg = await h.api.waitForMessage(contact, "牵头申报单位");
    expect(tg.text).not.toContain("喀什大学");
    await page.close();
  }, 120_000);

  it("pushes a deadline reminder to a subscribed visitor's open page (server-sent events, no reload)", async () => {
    const page = await openPage(h.chrome.browser, 360);
    await page.goto(`${h.web.url}/`);
    await waitForBot(page, "申报助手");
    await say(page, "/subscribe");
    await waitForBot(page, /订阅/);
    const loads = await page.evaluate(() => performance.getEntriesByType("navigation").length);
    // An admin in Telegram adds a deadline three days ahead: the "3 days left" reminder is due now.
    const day = new Date(Date.now() + 3 * 86_400_000).toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
    h.api.sendText(900, `/deadline ${day} 网页提醒测试截止`);
    await h.api.waitForMessage(900, "已添加截止日期");
    const reminder = await waitForBot(page, "网页提醒测试截止");
    expect(reminder).toMatch(/\d+ ?天/);
    expect(await page.evaluate(() => performance.getEntriesByType("navigation").length)).toBe(loads);
    await page.close();
  }, 90_000);
});
