/**
 * The web: the chat page's first load (bytes transferred: the page and every asset it names) and the
 * coordinators' desk table over 20,000 declarations (latency of GET /desk across filters, sorts and
 * pages, as a signed-in admin). Runs the real process (src/main.ts, terminal mode with WEB_PORT) on a
 * seeded data folder; the desk code comes from /web typed into the terminal, as an admin would.
 * Two desk phases: views one after another (what a coordinator paging and filtering sees), and each
 * view right after a review was stored through the desk (every cached list, count and chart of the
 * store is then dropped, so the view pays the whole query).
 *
 *   npx tsx bench/web.ts [--declarations 20000] [--requests 300]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { latency, load1, runIfMain, sleep, type Latency } from "./stats.js";
import { seedStore } from "./store-seed.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

export interface WebBenchResult {
  firstLoad: { bytes: number; requests: number; files: Record<string, number> };
  desk: {
    declarations: number;
    requests: number;
    latencyMs: Latency;
    /** Each view right after a review was stored (nothing cached). */
    afterWriteMs: Latency;
    afterWriteRequests: number;
    /** 1-minute load average before and after the desk phases. */
    loadBefore: number;
    load1: number;
  };
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

/** Bytes on the wire for a response: status line and headers as sent, plus the body. */
async function transferred(url: string, headers: Record<string, string> = {}): Promise<{ bytes: number; body: string; res: Response }> {
  const res = await fetch(url, { headers: { "accept-encoding": "gzip, br", ...headers } });
  const body = await res.text();
  let head = `HTTP/1.1 ${res.status} ${res.statusText}\r\n`;
  res.headers.forEach((v, k) => (head += `${k}: ${v}\r\n`));
  const length = Number(res.headers.get("content-length")) || Buffer.byteLength(body);
  return { bytes: Buffer.byteLength(head) + 2 + length, body, res };
}

export async function runWebBench(): Promise<WebBenchResult> {
  const declarations = arg("declarations", 20_000);
  const requests = arg("requests", 300);
  const dir = mkdtempSync(join(tmpdir(), "bench-web-"));
  const seeded = await seedStore(dir, { users: 5_000, declarations, drafts: 0 }, { fsync: false });
  const port = await freePort();
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", DATA_DIR: dir, WEB_PORT: String(port), ADMIN_IDS: "1", TZ: "Asia/Shanghai", LOG_LEVEL: "warn" };
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (out += s));
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 600) throw new Error(`web server did not start:\n${out}`);
      await sleep(100);
    }

    // First load: the page, then what it links (stylesheet, script), as a browser fetches them.
    const page = await transferred(`${base}/`);
    const cookie = page.res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const assets = [...page.body.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    const files: Record<string, number> = { "/": page.bytes };
    for (const a of assets) files[a] = (await transferred(base + a, { cookie })).bytes;
    const bytes = Object.values(files).reduce((a, b) => a + b, 0);

    // The admin (terminal user 1) asks for a desk code, then signs in.
    child.stdin.write("/web\n");
    let code: string | undefined;
    for (let i = 0; i < 200 && !code; i++) {
      code = /登录码：(\d{6})/.exec(out)?.[1];
      if (!code) await sleep(50);
    }
    if (!code) throw new Error(`no desk code in the terminal output:\n${out}`);
    const loginPage = await fetch(`${base}/desk/login`);
    const pre = loginPage.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await loginPage.text())![1]!;
    const login = await fetch(`${base}/desk/login`, { method: "POST", redirect: "manual", headers: { cookie: pre, "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ code, _csrf: csrf }).toString() });
    const desk = login.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c?.startsWith("gp_desk="));
    if (!desk) throw new Error(`desk login failed (${login.status})`);

    const views = [
      "",
      "?status=submitted",
      "?plan=qupei",
      "?sort=ref&dir=asc",
      "?sort=updatedAt&dir=desc&page=120",
      "?q=%E5%A4%A7%E5%AD%A6",
      "?from=2024-03-01&to=2024-06-30",
      "?plan=guopei&status=approved&page=3",
    ];
    const get = (path: string) => fetch(`${base}${path}`, { headers: { cookie: desk } });
    // Warm-up, then timed requests round-robin over the views.
    for (const v of views) await get(`/desk${v}`).then((r) => r.text());
    const loadBefore = load1();
    const samples: number[] = [];
    for (let i = 0; i < requests; i++) {
      const t0 = performance.now();
      const res = await get(`/desk${views[i % views.length]}`);
      const html = await res.text();
      samples.push(performance.now() - t0);
      if (res.status !== 200 || !html.includes("申报列表")) throw new Error(`desk answered ${res.status}`);
    }

    // Each view right after a change: the admin approves a submitted declaration (confirmed), then
    // opens the next view. Declarations the admin owns are refused by the service and skipped.
    const firstPage = await get("/desk?status=submitted").then((r) => r.text());
    const csrfDesk = /name="_csrf" value="([^"]+)"/.exec(firstPage)![1]!;
    const refs: string[] = [];
    for (let page = 1; refs.length < requests && page < 40; page++) {
      const html = await get(`/desk?status=submitted&page=${page}`).then((r) => r.text());
      refs.push(...[...html.matchAll(/href="\/desk\/d\/([A-Z]{2}\d{4}-\d+)"/g)].map((m) => m[1]!));
    }
    const afterWrite: number[] = [];
    for (let i = 0; i < refs.length && afterWrite.length < requests / 2; i++) {
      const review = await fetch(`${base}/desk/d/${refs[i]}/review`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: desk, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ action: "approve", confirm: "1", _csrf: csrfDesk }).toString(),
      });
      await review.text();
      if (review.status !== 303) continue;
      const t0 = performance.now();
      const res = await get(`/desk${views[afterWrite.length % views.length]}`);
      const html = await res.text();
      afterWrite.push(performance.now() - t0);
      if (res.status !== 200 || !html.includes("申报列表")) throw new Error(`desk answered ${res.status}`);
    }
    return {
      firstLoad: { bytes, requests: 1 + assets.length, files },
      desk: { declarations: seeded.declarationRefs.length, requests, latencyMs: latency(samples), afterWriteMs: latency(afterWrite), afterWriteRequests: afterWrite.length, loadBefore, load1: load1() },
    };
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("close", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, runWebBench);
