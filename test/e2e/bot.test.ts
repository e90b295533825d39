/**
 * The real bot process, polling a fake Bot API over HTTP: every conversation of the bot issue,
 * walked as a user would, plus junk and forged input that must not stop it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeBotApi, type FakeBotApi } from "../support/fake-bot-api.js";
import { makeTempDataDir, removeTempDataDir, startBotProcess, type BotProcess } from "../support/bot-process.js";

let api: FakeBotApi;
let bot: BotProcess;
let dataDir: string;

beforeAll(async () => {
  api = await startFakeBotApi();
  dataDir = await makeTempDataDir();
  bot = await startBotProcess({ api, dataDir });
}, 30_000);

afterAll(async () => {
  await bot?.stop();
  await api?.close();
  await removeTempDataDir(dataDir);
});

/** Sends a text and returns the next reply in that chat. */
async function ask(user: number, text: string, match?: string | RegExp) {
  api.sendText(user, text);
  return api.waitForMessage(user, match);
}

async function tap(user: number, label: string | RegExp, match?: string | RegExp) {
  api.tapButton(user, label);
  return api.waitForMessage(user, match);
}

const labels = (o: { buttons: { text: string }[][] }) => o.buttons.flat().map((b) => b.text);

describe("start and help", () => {
  it("greets with the menu and registers the commands", async () => {
    const reply = await ask(101, "/start");
    expect(reply.text).toContain("申报助手");
    expect(labels(reply)).toEqual(["🧭 资格自测", "📚 项目浏览", "💰 预算测算", "📝 申报", "⏰ 提醒订阅", "❓ 帮助"]);
    expect(api.commandsFor()?.map((c) => c.command)).toEqual(expect.arrayContaining(["start", "eligibility", "projects", "budget", "declare", "help", "cancel"]));
    const help = await tap(101, "❓ 帮助", "使用帮助");
    expect(help.text).toContain("/declare");
  });
});

describe("guided eligibility check by buttons", () => {
  it("takes a primary maths teacher with 4 years to 县级骨干, showing the 3-5年 condition", async () => {
    const user = 102;
    await ask(user, "/eligibility", "你的身份是");
    await tap(user, "教师", "学段");
    await tap(user, "小学", "学科");
    await tap(user, "数学", "教龄");
    await tap(user, "4年", "职务");
    await tap(user, "✔️ 完成", "荣誉");
    await tap(user, "✔️ 完成", "项目县");
    const result = await tap(user, "✔️ 完成", "资格自测结果");
    expect(result.text).toContain("县级骨干教师学科育人能力提升研修");
    expect(result.text).toContain("具有3-5年教龄（你：4年）");
    expect(result.text).toMatch(/地级骨干教师教学创新能力提升研修.*再有1年教龄即可/);
    expect(labels(result)).toContain("📄 县级骨干教师学科育人能力提升研修");
    const card = await tap(user, "📄 县级骨干教师学科育人能力提升研修", "3200");
    expect(card.text).toContain("📖");
  });

  it("goes back a step and restarts", async () => {
    const user = 103;
    await ask(user, "/eligibility", "你的身份是");
    await tap(user, "校长/园长", "学段");
    const back = await tap(user, "⬅️ 上一步", "你的身份是");
    expect(labels(back)).toContain("党组织书记");
    await tap(user, "党组织书记", "学段");
    const restarted = await ask(user, "/eligibility", "你的身份是");
    expect(labels(restarted)).toContain("教师");
  });

  it("a typed year out of range is refused with what to type, and the step asks again", async () => {
    const user = 104;
    await ask(user, "/eligibility", "你的身份是");
    await tap(user, "教师", "学段");
    await tap(user, "高中", "学科");
    await tap(user, "英语", "教龄");
    // "四年" is a number now (one parser for forms and free text); "好几年" is not.
    const bad = await ask(user, "好几年", "教龄");
    expect(bad.text).toContain("请输入整数年数");
    await ask(user, "6", /职务|荣誉|项目/);
  });
});

describe("project browser", () => {
  it("plan → category → sub-project → a cited card, paged if long", async () => {
    const user = 105;
    await ask(user, "/projects", "请选择计划");
    await tap(user, /区培计划/, "请选择类别");
    await tap(user, /名师名校长/, "请选择子项目");
    const card = await tap(user, /领航研修/, "200人");
    expect(card.text).toContain("500元/人/天");
    expect(card.text).toContain("📖");
    expect(card.rawText.length).toBeLessThanOrEqual(4096);
  });

  it("shows that the guide gives no funding standard where it gives none", async () => {
    const user = 106;
    await ask(user, "/projects", "请选择计划");
    await tap(user, /国培计划/, "请选择类别");
    await tap(user, /地县教师培训团队研修/, "请选择子项目");
    api.tapButton(user, /培训者团队研修/);
    const pages = await api.nextReplies(user, { quietMs: 400 });
    const all = pages.map((p) => p.text).join("\n");
    expect(all).toContain("未给出");
  });
});

describe("budget calculator", () => {
  it("computes 县级骨干 for 100 people: 630,000 a year, 1,890,000 over the cycle", async () => {
    const user = 107;
    await ask(user, "/budget", "请选择计划");
    await tap(user, "国培计划", "请选择子项目");
    await tap(user, "县级骨干教师学科育人能力提升研修", "培训对象");
    await tap(user, "小学骨干教师", "多少人");
    await ask(user, "100", "集中培训");
    await tap(user, /按指南 15天/, "异步在线");
    const result = await tap(user, /按指南 50学时/, "预算测算");
    expect(result.text).toContain("100人 × 15天 × 400元 = 600,000元");
    expect(result.text).toContain("100人 × 50学时 × 6元 = 30,000元");
    expect(result.text).toContain("每年合计：630,000元");
    expect(result.text).toContain("3年周期合计：1,890,000元");
  });

  it("a replayed tap of an earlier step's button does not answer the next step", async () => {
    const user = 114;
    const plans = await ask(user, "/budget", "请选择计划");
    const qupei = plans.buttons.flat().find((b) => b.text === "区培计划")!;
    await tap(user, "区培计划", "请选择子项目");
    const replay = api.pushCallback(user, qupei.callback_data!, plans.messageId);
    expect((await api.waitForCallbackAnswer(replay.queryId)).text).toContain("已过期");
    const next = await tap(user, "普通高中新课程新教材培训", "多少人");
    expect(next.text).toContain("多少人");
  });

  it("answers a question typed mid-flow, then continues the step", async () => {
    const user = 108;
    await ask(user, "/budget", "请选择计划");
    await tap(user, "国培计划", "请选择子项目");
    await tap(user, "县级骨干教师学科育人能力提升研修", "培训对象");
    await tap(user, "初中骨干教师", "多少人");
    api.sendText(user, "影子学习不少于多少天？");
    const answer = await api.waitForMessage(user, "不少于7天");
    expect(answer.text).toContain("📖");
    const again = await api.waitForMessage(user, "继续");
    expect(again.text).toContain("多少人");
    const bad = await ask(user, "-5", "多少人");
    expect(bad.text).toContain("正整数");
  });

  it("at a button step, a typed self-description is answered, and a typed label is still the choice", async () => {
    const user = 109;
    await ask(user, "/budget", "请选择计划");
    api.sendText(user, "我是小学心理老师 教龄4年");
    const answer = await api.waitForMessage(user, "资格自测结果");
    expect(answer.text).toContain("心理健康教育");
    const again = await api.waitForMessage(user, "继续");
    expect(again.text).toContain("请选择计划");
    await ask(user, "区培计划", "请选择子项目");
  });
});

describe("free text in Chinese", () => {
  it.each([
    ["县级紧缺领域骨干教师学科育人能力提升研修计划培训多少人？", "1100人"],
    ["影子学习不少于多少天？", "不少于7天"],
    ["一对一精准帮扶经费标准？", "80万"],
    ["县级骨干教师学科育人能力提升研修，50人，预算多少？", "315,000元"],
    ["南疆幼儿园顶岗支教培训80人预算多少？", "1,344,000元"],
    ["我是小学数学老师，教龄4年，能报什么？", "县级骨干教师学科育人能力提升研修"],
  ])("%s → %s", async (question, expected) => {
    const reply = await ask(109, question, expected);
    expect(reply.text).toContain(expected);
  });

  it("the 顶岗支教 budget is shown line by line", async () => {
    const reply = await ask(110, "南疆幼儿园顶岗支教培训80人预算多少？", "1,344,000元");
    expect(reply.text).toContain("80人 × 15天 × 400元 = 480,000元");
    expect(reply.text).toContain("80人 × 80学时 × 60元 = 384,000元");
    expect(reply.text).toContain("80人 × 20天 × 300元 = 480,000元");
  });

  it("says so and shows the menu when nothing matches", async () => {
    const reply = await ask(111, "今天天气怎么样", "没有找到");
    expect(labels(reply)).toContain("🧭 资格自测");
  });
});

describe("junk never stops the bot", () => {
  it("survives stickers, photos, edits, groups, huge texts, unknown commands and forged buttons", async () => {
    const user = 112;
    const chat = { id: user, type: "private" as const, first_name: "u" };
    api.pushMessage(user, { sticker: { file_id: "s", file_unique_id: "s", type: "regular", width: 1, height: 1, is_animated: false, is_video: false } });
    await api.waitForMessage(user, "文字");
    api.pushMessage(user, { photo: [{ file_id: "p", file_unique_id: "p", width: 1, height: 1 }] });
    await api.waitForMessage(user, "文字");
    api.pushRaw({ edited_message: { message_id: 1, date: 0, edit_date: 1, chat, from: { id: user, is_bot: false, first_name: "u" }, text: "改过的" } });
    api.sendText(user, "/start", { chat: { id: -100123, type: "group", title: "g" } });
    await api.waitForMessage(-100123, "私聊");
    await ask(user, "啊".repeat(5000), /没有找到|抱歉/);
    await ask(user, "<b>&amp;</script>", "没有找到");
    await ask(user, "/nonsense", "没有这个命令");
    for (const data of ["f|forged|p1", "p|s|no-such-project", "p|cat|guopei|nope", "q|county-backbone|bogus", "b|x", "menu|nope", "x".repeat(64)]) {
      const tap = api.pushCallback(user, data, 1);
      const answer = await api.waitForCallbackAnswer(tap.queryId);
      expect(answer.text ?? "", data).not.toContain("出错");
    }
    const alive = await ask(user, "/start", "申报助手");
    expect(alive.text).toContain("申报助手");
    expect(api.stats.badRequests).toBe(0);
  });

  it("a button from a finished flow says it has expired", async () => {
    const user = 113;
    await ask(user, "/eligibility", "你的身份是");
    const old = api.transcript(user).at(-1)!;
    await ask(user, "/cancel", "已取消");
    const tapped = api.tapButton(user, old, "教师");
    const answer = await api.waitForCallbackAnswer(tapped.queryId);
    expect(answer.text).toContain("已过期");
  });
});
