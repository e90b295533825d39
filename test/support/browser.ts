/// <reference lib="dom" />
/**
 * Headless Chromium for the web journeys: Debian's /usr/bin/chromium (apt: chromium, fonts-wqy-microhei)
 * driven by puppeteer-core, which never downloads a browser of its own. Root needs --no-sandbox; the
 * networking flags keep Chromium from calling home (those hosts are closed here), and each launch gets
 * a fresh profile folder.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/**
 * The committed screenshots (README) are rewritten only with UPDATE_SCREENSHOTS=1, so an ordinary test
 * run leaves the work tree clean; otherwise they go to a temporary folder (still taken, still checked).
 */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS ? fileURLToPath(new URL("../e2e/screenshots/", import.meta.url)) : join(tmpdir(), "web-e2e-screenshots");

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium fonts-wqy-microhei (.ci/run does this)`);
  const profile = await mkdtemp(join(tmpdir(), "chromium-profile-"));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-quic",
      "--disable-dev-shm-usage",
      `--user-data-dir=${profile}`,
    ],
    // A saturated two-core machine can be slow to start a browser.
    timeout: 60_000,
    protocolTimeout: 120_000,
  });
  return {
    browser,
    async close() {
      await browser.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** A page at a phone's width (360 px, like most Android phones) or a desktop's. */
export async function openPage(browser: Browser, width: 360 | 1280): Promise<Page> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport(width === 360 ? { width: 360, height: 740, deviceScaleFactor: 1, isMobile: true, hasTouch: true } : { width: 1280, height: 900 });
  page.setDefaultTimeout(20_000);
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) as `${string}.png`, fullPage: false });
}

/**
 * Screenshots at a phone's width (name-360) and a desktop's (name-1280; the chat page scrolled to its
 * end), then back to the viewport the page had.
 */
export async function screenshotBothWidths(page: Page, name: string): Promise<void> {
  const before = page.viewport();
  await page.setViewport({ width: 360, height: 740, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  await screenshot(page, `${name}-360`);
  await page.setViewport({ width: 1280, height: 900 });
  await page.evaluate(() => document.getElementById("end")?.scrollIntoView(false));
  await screenshot(page, `${name}-1280`);
  if (before) await page.setViewport(before);
}

/** Text of the last bot message on the chat page. */
export async function lastBotText(page: Page): Promise<string> {
  return page.$$eval(".msg.bot .bubble", (els) => (els.length ? (els[els.length - 1] as HTMLElement).innerText : ""));
}

/** Waits until a bot message containing `text` is on the page; returns its text. */
export async function waitForBot(page: Page, text: string | RegExp): Promise<string> {
  const source = typeof text === "string" ? { s: text, re: false } : { s: text.source, re: true };
  const handle = await page
    .waitForFunction(
    (q: { s: string; re: boolean }) => {
      const bubbles = Array.from(document.querySelectorAll(".msg.bot .bubble")) as HTMLElement[];
      const hit = bubbles.reverse().find((b) => (q.re ? new RegExp(q.s).test(b.innerText) : b.innerText.includes(q.s)));
      return hit ? hit.innerText : false;
    },
    {},
    source,
    )
    .catch(async (err: unknown) => {
      const tail = await page.$$eval(".msg .bubble", (els) => els.slice(-3).map((e) => (e as HTMLElement).innerText).join("\n---\n"));
      throw new Error(`no bot message matching ${String(text)}; the page ends with:\n${tail}\n(${String(err)})`);
    });
  return (await handle.jsonValue()) as string;
}

/** Taps the button with this label on the newest message that has one. */
export async function tapButton(page: Page, label: string): Promise<void> {
  const count = await page.$$eval(".msg", (els) => els.length);
  const clicked = await page.evaluate((l: string) => {
    const buttons = Array.from(document.querySelectorAll(".kb button")) as HTMLButtonElement[];
    buttons.reverse();
    // An exact label first ("教师" is not "教师培训机构负责人"), then one that contains it.
    const b = buttons.find((x) => x.textContent?.trim() === l) ?? buttons.find((x) => x.textContent?.includes(l));
    if (!b) return false;
    b.click();
    return true;
  }, label);
  if (!clicked) throw new Error(`no button "${label}" on the page; last message: ${await lastBotText(page)}`);
  await page.waitForFunction((n: number) => document.querySelectorAll(".msg").length > n || document.body.className === "chat", {}, count);
}

/** Types a line into the chat box and sends it. */
export async function say(page: Page, text: string): Promise<void> {
  await page.click("#text", { count: 3 });
  await page.type("#text", text);
  await page.click("#send button[type=submit]");
}
