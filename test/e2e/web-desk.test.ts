/**
 * The coordinators' desk in a real browser, against the real process (WEB_PORT + the fake Bot API):
 * two institutions declare over Telegram (the real form), an admin asks the bot for a code with /web,
 * logs in on the desk, filters, opens a declaration (fields, budget trace, history, citations),
 * returns it with a comment after a confirmation — the applicant gets the notice in Telegram — approves
 * the other, and exports the current filter as CSV (BOM) and XLSX. Screenshots at 360 and 1280 px.
 */
import ExcelJS from "exceljs";
import type { Page } from "puppeteer-core";
import { describe, expect, it } from "vitest";
import { openPage, say, screenshotBothWidths, waitForBot } from "../support/browser.js";
import type { BotOutput } from "../support/fake-bot-api.js";
import { telegramUser, useWebBot } from "../support/web-process.js";

const ADMIN = 900;
const FIRST_APPLICANT = 601;
const SECOND_APPLICANT = 602;

const h = useWebBot({ name: "web-desk-e2e", env: { ADMIN_IDS: String(ADMIN) }, browser: true });
let page: Page;

const ask = (user: number, text: string, match?: string | RegExp) => telegramUser(() => h.api, user).ask(text, match);
const tap = (user: number, label: string | RegExp, match?: string | RegExp | ((o: BotOutput) => boolean)) => telegramUser(() => h.api, user).tap(label, match);

/** One declaration through the real Telegram form (县级骨干, 小学语文, 100 people); returns its reference number. */
async function declare(user: number, institution: string): Promise<string> {
  await ask(user, "/declare", "牵头申报单位");
  await ask(user, institution, "申报单位类型");
  await tap(user, "高等院校", "请选择计划");
  await tap(user, "国培计划", "请选择子项目");
  await tap(user, "县级骨干教师学科育人能力提升研修", "培训对象");
  await tap(user, "小学骨干教师", "哪些学科");
  await tap(user, "⬜ 语文", (o) => o.buttons.flat().some((b) => b.text === "✅ 语文"));
  await tap(user, "✔️ 完成", "协同实施");
  await ask(user, "乌鲁木齐市第一小学、昌吉州实验小学", "项目负责人姓名");
  await ask(user, "张三", "联系人姓名");
  await ask(user, "李四", "手机号");
  await ask(user, "13912345678", "联系邮箱");
  await ask(user, "lisi@xjnu.edu.cn", "培训多少人");
  await ask(user, "100", "集中培训多少天");
  await tap(user, "按指南 15天", "影子学习多少天");
  await ask(user, "7", "异步在线学习多少学时");
  await tap(user, "按指南 50学时", "第几年");
  await tap(user, "第1年", "开始日期");
  await ask(user, "2030-09-01", "结束日期");
  await ask(user, "2030-09-15", "补充说明");
  await tap(user, "⏭ 跳过", "请核对申报信息");
  const submitted = await tap(user, "✅ 确认提交", "申报已提交");
  return /申报编号：([A-Z]{2}\d{4}-\d{4})/.exec(submitted.text)![1]!;
}

const both = (name: string) => screenshotBothWidths(page, name);

/** Fetches a URL with the page's cookies, as the browser's own download would. */
async function download(path: string): Promise<{ status: number; type: string; base64: string }> {
  return page.evaluate(async (p: string) => {
    const res = await fetch(p);
    const bytes = new Uint8Array(await res.arrayBuffer());
    let bin = "";
    for (const b of bytes) bin += String.fromCharCode(b);
    return { status: res.status, type: res.headers.get("content-type") ?? "", base64: btoa(bin) };
  }, path);
}

describe("the coordinators' desk", () => {
  let firstRef: string;
  let secondRef: string;

  it("gets two declarations from Telegram", async () => {
    firstRef = await declare(FIRST_APPLICANT, "新疆师范大学");
    secondRef = await declare(SECOND_APPLICANT, "喀什大学");
    expect(firstRef).toMatch(/^GP2024-/);
    expect(secondRef).toMatch(/^GP2024-/);
  }, 120_000);

  it("logs in with the code /web sent, filters the table, and shows counts", async () => {
    page = await openPage(h.chrome.browser, 1280);
    await page.goto(`${h.web.url}/desk`);
    expect(page.url()).toBe(`${h.web.url}/desk/login`);
    const sent = await ask(ADMIN, "/web", "登录码");
    const code = /(\d{6})/.exec(sent.text)![1]!;
    await page.type("#code", code);
    await Promise.all([page.waitForNavigation(), page.click("form[action='/desk/login'] button")]);
    expect(page.url()).toBe(`${h.web.url}/desk`);
    const rows = await page.$$eval("table.list tbody tr", (trs) => trs.map((tr) => (tr as HTMLElement).innerText));
    expect(rows.join("\n")).toContain(firstRef);
    expect(rows.join("\n")).toContain(secondRef);
    expect(await page.$eval(".tabs", (el) => (el as HTMLElement).innerText)).toMatch(/全部 2.*待审核 2/s);

    // Filter by plan with the form: both are 国培, none is 区培, and the counts follow the filter.
    await page.select("select[name=plan]", "qupei");
    await Promise.all([page.waitForNavigation(), page.click(".filters button[type=submit]")]);
    expect(await page.$eval("table.list tbody", (el) => (el as HTMLElement).innerText)).toContain("没有符合条件的申报");
    expect(await page.$eval(".tabs", (el) => (el as HTMLElement).innerText)).toMatch(/全部 0/);
    await page.select("select[name=plan]", "guopei");
    await Promise.all([page.waitForNavigation(), page.click(".filters button[type=submit]")]);
    expect(await page.$$eval("table.list tbody tr", (trs) => trs.length)).toBe(2);
    // Search by institution.
    await page.goto(`${h.web.url}/desk?q=${encodeURIComponent("师范")}`);
    const searched = await page.$$eval("table.list tbody tr", (trs) => trs.map((tr) => (tr as HTMLElement).innerText));
    expect(searched).toHaveLength(1);
    expect(searched[0]).toContain(firstRef);
    await both("3-desk-table");
  }, 60_000);

  it("shows a declaration in full and returns it with a comment after a confirmation; the applicant is told in Telegram", async () => {
    await page.goto(`${h.web.url}/desk/d/${firstRef}`);
    const text = await page.$eval("main", (el) => (el as HTMLElement).innerText);
    expect(text).toContain("新疆师范大学");
    expect(text).toContain("每年合计");
    expect(text).toMatch(/标准：/);
    expect(text).toContain("指南出处");
    expect(text).toContain("提交");
    await both("3-desk-declaration");

    h.api.skipReplies(FIRST_APPLICANT);
    await page.type("#comment", "请补充协同学校的分工");
    await Promise.all([page.waitForNavigation(), page.click("form.return button")]);
    // The confirmation page says who will be told; nothing has changed yet.
    expect(await page.$eval("main", (el) => (el as HTMLElement).innerText)).toContain("申请人将在其使用的渠道（Telegram）收到通知");
    await Promise.all([page.waitForNavigation(), page.click("main form button[type=submit]")]);
    expect(await page.$eval(".flash", (el) => (el as HTMLElement).innerText)).toContain("已退回");
    const notice = await h.api.waitForMessage(FIRST_APPLICANT, "被退回");
    expect(notice.text).toContain("请补充协同学校的分工");
    expect(notice.text).toContain(firstRef);
    // The audit trail on the page now has the return.
    expect(await page.$eval("main", (el) => (el as HTMLElement).innerText)).toMatch(/declaration\.returned/);
  }, 60_000);

  it("approves the other one, and exports the current filter as CSV (BOM) and XLSX", async () => {
    await page.goto(`${h.web.url}/desk/d/${secondRef}`);
    await Promise.all([page.waitForNavigation(), page.click("button.approve")]);
    await Promise.all([page.waitForNavigation(), page.click("main form button[type=submit]")]);
    expect(await page.$eval(".flash", (el) => (el as HTMLElement).innerText)).toContain("已通过");
    await h.api.waitForMessage(SECOND_APPLICANT, "审核通过");

    await page.goto(`${h.web.url}/desk?status=approved`);
    expect(await page.$eval(".tabs", (el) => (el as HTMLElement).innerText)).toMatch(/已通过 1.*已退回 1/s);
    const csv = await download("/desk/export.csv?status=approved");
    expect(csv.status).toBe(200);
    const bytes = Buffer.from(csv.base64, "base64");
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = bytes.toString("utf8").trim().split(/\r?\n/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(secondRef);
    const xlsx = await download("/desk/export.xlsx?status=approved");
    expect(xlsx.type).toContain("spreadsheetml");
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(xlsx.base64, "base64") as unknown as ArrayBuffer);
    const sheet = book.worksheets[0]!;
    expect(sheet.rowCount).toBe(2);
    expect(JSON.stringify(sheet.getRow(2).values)).toContain(secondRef);

    // Charts are plain SVG in the page (no script needed).
    await page.goto(`${h.web.url}/desk/charts`);
    expect(await page.$$eval("figure.chart svg", (s) => s.length)).toBe(3);
    await both("3-desk-charts");
  }, 60_000);

  it("sends /stats with the same chart as a PNG, here to a coordinator on the web page", async () => {
    const chat = await openPage(h.chrome.browser, 360);
    await chat.goto(`${h.web.url}/`);
    await waitForBot(chat, "申报助手");
    await say(chat, "/myid");
    const id = /(\d{16})/.exec(await waitForBot(chat, "用户ID"))![1]!;
    await ask(ADMIN, `/grant ${id}`, /已授予|协调员/);
    await say(chat, "/stats");
    await waitForBot(chat, "申报统计");
    await chat.waitForSelector("img.photo");
    await chat.waitForFunction(() => {
      const img = document.querySelector("img.photo") as HTMLImageElement | null;
      return img !== null && img.complete && img.naturalWidth > 500;
    });
    await chat.close();
  }, 60_000);
});
