/** /start, /help, /cancel and the main menu. */
import { Composer } from "grammy";
import { ownDraft } from "../../services/declarations.js";
import { helpText } from "../commands.js";
import { servicesOf, type BotContext } from "../context.js";
import { entry, type Entry } from "../entries.js";
import { TOPIC_FLOW } from "../conversation-topic.js";
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

export const startFeature = new Composer<BotContext>();

const showStart: Entry = (ctx) => send(ctx, GREETING, { keyboard: menuKeyboard() });
const showHelp: Entry = (ctx) => send(ctx, helpText(), { keyboard: menuKeyboard() });
export const startEntries: Record<string, Entry> = { start: showStart, help: showHelp };

startFeature.command("start", async (ctx) => {
  await endFlow(ctx);
  await showStart(ctx);
});
startFeature.command("help", showHelp);
startFeature.command("cancel", async (ctx) => {
  const record = await endFlow(ctx);
  // the remembered topic of a conversation is no operation in progress
  const ended = record?.flow === TOPIC_FLOW ? undefined : record;
  const draftId = (ended?.state as FlowSession | undefined)?.draftId;
  const kept = (await ownDraft(servicesOf(ctx.deps), ctx.account.id, draftId)) !== undefined;
  const note = kept ? "已取消。草稿已保存，发送 /declare 可继续填写。" : ended ? "已取消。" : "当前没有进行中的操作。";
  await send(ctx, note, { keyboard: menuKeyboard() });
});

startFeature.callbackQuery(/^menu\|([a-z]+)$/, async (ctx) => {
  await ctx.answerCallbackQuery();
  const run = entry(ctx.match[1]!);
  if (run) await run(ctx);
  else await send(ctx, "这个按钮已过期，请重新开始。", { keyboard: menuKeyboard() });
});
