/** /start, /help, /cancel and the main menu. */
import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { entry, registerEntry } from "../entries.js";
import { endFlow, type FlowSession } from "../flow-runner.js";
import { keyboard, send } from "../render.js";

export const MENU = [
  [
    { label: "🧭 资格自测", data: "menu|eligibility" },
    { label: "📚 项目浏览", data: "menu|projects" },
  ],
  [
    { label: "💰 预算测算", data: "menu|budget" },
    { label: "📝 申报", data: "menu|declare" },
  ],
  [
    { label: "⏰ 提醒订阅", data: "menu|subscribe" },
    { label: "❓ 帮助", data: "menu|help" },
  ],
];

export const menuKeyboard = () => keyboard(MENU);

const GREETING = [
  "<b>您好！我是 2024 年新疆“国培计划”“区培计划”申报助手。</b>",
  "• 教师、校（园）长、书记：看看自己符合哪个子项目；",
  "• 院校、培训机构联系人：在线填写申报并测算预算；",
  "• 也可以直接打字提问，例如“影子学习不少于多少天？”",
  "所有答案均依据《2024年新疆“国培计划”“区培计划”项目申报指南》，并注明出处。",
].join("\n");

const HELP = [
  "<b>使用帮助</b>",
  "/eligibility 资格自测（按钮引导）",
  "/projects 浏览全部子项目",
  "/budget 按指南经费标准测算预算",
  "/declare 申报（可随时中断，草稿自动保存）",
  "/my 我的申报",
  "/subscribe 订阅截止提醒　/deadlines 截止日期",
  "/cancel 取消当前操作",
  "",
  "直接提问也可以，例如：",
  "• 县级紧缺领域骨干教师研修计划培训多少人？",
  "• 我是小学数学老师，教龄4年，能报什么？",
  "• 南疆幼儿园顶岗支教培训80人预算多少？",
  "",
  "/myid 查看自己的用户编号（管理员授权时需要）",
  "",
  "协调员：/review 审核　/export 导出　/stats 统计",
  "管理员：/grant 编号 授予协调员　/revoke 编号 撤销",
  "　　　　/deadline 日期 标题 设截止日期　/broadcast 内容 群发",
].join("\n");

export const startFeature = new Composer<BotContext>();

registerEntry("start", (ctx) => send(ctx, GREETING, { keyboard: menuKeyboard() }));
registerEntry("help", (ctx) => send(ctx, HELP, { keyboard: menuKeyboard() }));

startFeature.command("start", async (ctx) => {
  await endFlow(ctx);
  await entry("start")!(ctx);
});
startFeature.command("help", (ctx) => entry("help")!(ctx));
startFeature.command("cancel", async (ctx) => {
  const ended = await endFlow(ctx);
  const draftId = (ended?.state as FlowSession | undefined)?.draftId;
  const kept = draftId !== undefined && (await ctx.deps.store.drafts.get(draftId)) !== undefined;
  const note = kept ? "已取消。草稿已保存，发送 /declare 可继续填写。" : ended ? "已取消。" : "当前没有进行中的操作。";
  await send(ctx, note, { keyboard: menuKeyboard() });
});

startFeature.callbackQuery(/^menu\|([a-z]+)$/, async (ctx) => {
  await ctx.answerCallbackQuery();
  const run = entry(ctx.match[1]!);
  if (run) await run(ctx);
  else await send(ctx, "这个按钮已过期，请重新开始。", { keyboard: menuKeyboard() });
});
