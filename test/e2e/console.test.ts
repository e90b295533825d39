/** npm start without BOT_TOKEN: the same bot in a terminal, driven by piped input. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { makeTempDataDir, removeTempDataDir } from "../support/bot-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let dataDir: string;

beforeAll(async () => {
  dataDir = await makeTempDataDir("console-");
});
afterAll(() => removeTempDataDir(dataDir));

/** By default the bot through the tsx loader; `npmStart` runs exactly what a user runs: `npm start`. */
function runConsole(lines: string[], npmStart = false, env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const [command, args] = npmStart ? ["npm", ["start"]] : [process.execPath, ["--import", "tsx", "src/main.ts"]];
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, TZ: "Asia/Shanghai", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, out, err }));
    child.stdin.end(lines.map((l) => `${l}\n`).join(""));
  });
}

describe("console mode", () => {
  it("npm start answers a piped question with 县级骨干 and its reasons, then exits at end of input", async () => {
    const { code, out, err } = await runConsole(["我是小学数学老师，教龄4年，可以报哪个国培项目？"], true);
    expect(code, err).toBe(0);
    expect(out).toContain("县级骨干教师学科育人能力提升研修");
    expect(out).toContain("✔ 具有3-5年教龄（你：4年）");
    expect(out).toContain("再有1年教龄即可");
    expect(out).not.toMatch(/<\/?b>|&lt;/);
  });

  it("prints buttons numbered; typing a number taps one", async () => {
    const { code, out } = await runConsole(["/start", "2", "1"]);
    expect(code).toBe(0);
    expect(out).toMatch(/\[1\] 🧭 资格自测\s+\[2\] 📚 项目浏览/);
    expect(out).toContain("请选择计划");
    expect(out).toContain("请选择类别");
    expect(out).toContain("农村骨干教师能力提升培训");
  });

  it("reads a number typed at a step that asks for a number as the answer, never as a button tap", async () => {
    // 国培 → 县级骨干 → 幼儿园骨干教师, then "2" at 计划培训多少人: button [2] would have been 取消.
    const { code, out } = await runConsole(["/budget", "1", "1", "1", "2", "按指南 15天"]);
    expect(code).toBe(0);
    expect(out).toMatch(/计划培训多少人？[^\n]*\n {2}\[⬅️ 上一步\] {3}\[✖️ 取消\]/);
    expect(out).not.toContain("已取消");
    expect(out).toContain("每年集中培训多少天");
    // A button's label typed out is that button: 按指南 15天 answers the days.
    expect(out).toContain("每年异步在线多少学时");
  });

  it("keeps a flow across lines and remembers it in the data folder", async () => {
    const first = await runConsole(["/budget", "1"]);
    expect(first.out).toContain("请选择子项目");
    const second = await runConsole(["/help"]);
    expect(second.code).toBe(0);
    expect(second.out).toContain("使用帮助");
  });

  it("reads /Start (capitalised by phone keyboards) as /start", async () => {
    const { code, out } = await runConsole(["/Start", "/HELP"]);
    expect(code).toBe(0);
    expect(out).toMatch(/\[1\] 🧭 资格自测\s+\[2\] 📚 项目浏览/);
    expect(out).toContain("使用帮助");
    expect(out).not.toContain("未知命令");
  });

  it("delivers /broadcast in the terminal, printing each message for someone else with its recipient", async () => {
    const dir = await makeTempDataDir("console-broadcast-");
    try {
      const store = await openStore(dir, { fsync: false });
      const now = new Date().toISOString();
      for (const id of [5001, 5002]) await store.users.put({ id, chatId: id, name: `用户${id}`, roles: [], subscribed: true, reachable: true, createdAt: now });
      await store.close();
      const { code, out, err } = await runConsole(["/broadcast 请于3月1日前提交材料", "1"], false, { ADMIN_IDS: "1", DATA_DIR: dir });
      expect(code, err).toBe(0);
      expect(out).toContain("确认群发");
      for (const id of [5001, 5002]) expect(out).toMatch(new RegExp(`→ 发给 ${id}\\n[^\\n]*\\n?[^]*?请于3月1日前提交材料`));
      expect(out).toContain("群发完成");
    } finally {
      await removeTempDataDir(dir);
    }
  });
});
