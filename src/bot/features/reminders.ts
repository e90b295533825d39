/**
 * Deadline reminders in chat: /subscribe, /unsubscribe, /deadlines for everyone; /deadline,
 * /deadline_del and /broadcast for admins. Sending happens in the reminder service, in the
 * background: the admin is answered at once and the bot keeps answering everyone while it runs.
 */
import { Composer } from "grammy";
import { escapeHtml } from "../../answers/html.js";
import { addDays, dateText, daysLeft, daysLeftText, dueOffset } from "../../domain/reminders.js";
import { todayIn } from "../../domain/time.js";
import { calendarDate } from "../../domain/validate.js";
import type { Knowledge } from "../../knowledge/schema.js";
import { scopeLabel } from "../../reminders/content.js";
import { reminderService } from "../../reminders/scheduler.js";
import { askToBroadcast, audienceSize, startBroadcast, stopBroadcast, takePendingBroadcast } from "../../services/broadcasts.js";
import { addDeadline, removeDeadline, upcoming } from "../../services/deadlines.js";
import * as subscriptions from "../../services/subscriptions.js";
import type { DeadlineScope } from "../../store/types.js";
import { isAdmin, servicesOf, type BotContext } from "../context.js";
import type { Entry } from "../entries.js";
import { keyboard, send } from "../render.js";

const MAX_TITLE = 60;
/** Further ahead is almost surely a mistyped year. */
const MAX_DAYS_AHEAD = 730;
const MAX_BROADCAST = 3500;
const REFUSAL = "抱歉，这个命令仅限管理员使用。如需发布截止日期或群发通知，请联系项目管理员。";

export const remindersFeature = new Composer<BotContext>();

// ------------------------------------------------------------------ helpers

const compact = (s: string) => s.replace(/\s+/g, "").toLowerCase();

/** 国培 / 区培 / 全部 / a sub-project id, name, table name or alias → scope. */
export function parseScope(k: Knowledge, token: string): DeadlineScope | undefined {
  const t = compact(token);
  if (["全部", "所有", "全部项目", "所有项目", "all", "全体"].includes(t)) return { kind: "all" };
  for (const p of k.plans) {
    const short = p.name.replace(/计划$/, "");
    if ([p.id, compact(p.name), compact(short)].includes(t)) return { kind: "plan", plan: p.id };
  }
  const sp = k.subProjects.find((s) => [s.id, s.name, s.tableName, ...s.aliases].some((n) => n !== undefined && compact(n) === t));
  return sp ? { kind: "subProject", subProjectId: sp.id } : undefined;
}

function offsetsText(offsets: readonly number[]): string {
  const sorted = [...new Set(offsets)].sort((a, b) => b - a);
  const days = sorted.filter((o) => o > 0);
  const parts = days.length ? [`截止前${days.join("、")}天`] : [];
  if (sorted.includes(0)) parts.push("截止当天");
  return parts.join("及");
}

async function deadlinesText(ctx: BotContext): Promise<string> {
  const { knowledge, config } = ctx.deps;
  const admin = isAdmin(ctx.deps, ctx.account.id);
  const coming = await upcoming(servicesOf(ctx.deps));
  const lines = ["<b>申报截止日期</b>"];
  if (coming.length === 0) {
    lines.push("目前还没有发布截止日期。指南本身没有规定截止日期，由管理员在这里发布。");
  } else {
    coming.forEach(({ deadline: d, daysLeft: left }, i) => {
      lines.push(`${i + 1}. <b>${escapeHtml(d.title)}</b>`);
      lines.push(`\u3000${dateText(d.date)}，${daysLeftText(left)}；范围：${escapeHtml(scopeLabel(knowledge, d.scope))}${admin ? `；编号 <code>${d.id}</code>` : ""}`);
    });
  }
  lines.push("");
  lines.push(ctx.account.subscribed ? `✅ 你已订阅提醒：${offsetsText(config.REMINDER_OFFSETS)}会发消息提醒你。` : `🔔 订阅后，${offsetsText(config.REMINDER_OFFSETS)}会提醒你。`);
  if (admin) lines.push("", "管理员：/deadline 日期 标题 添加；/deadline_del 编号 删除；/broadcast 内容 群发通知。");
  return lines.join("\n");
}

const toggleButton = (ctx: BotContext) => keyboard([[ctx.account.subscribed ? { label: "🔕 退订提醒", data: "rm|unsub" } : { label: "🔔 订阅提醒", data: "rm|sub" }]]);

async function showDeadlines(ctx: BotContext): Promise<void> {
  await send(ctx, await deadlinesText(ctx), { keyboard: toggleButton(ctx) });
}

async function subscribe(ctx: BotContext): Promise<void> {
  const { config } = ctx.deps;
  const out = await subscriptions.subscribe(servicesOf(ctx.deps), ctx.account);
  ctx.account = out.user;
  const head = out.already ? "你已经订阅了截止提醒。" : "✅ 已订阅截止提醒。";
  const coming = await upcoming(servicesOf(ctx.deps));
  const next = coming[0] ? `\n最近的截止：<b>${escapeHtml(coming[0].deadline.title)}</b>，${dateText(coming[0].deadline.date)}，${daysLeftText(coming[0].daysLeft)}。` : "\n目前还没有发布截止日期，发布后会按时提醒你。";
  await send(ctx, `${head}${offsetsText(config.REMINDER_OFFSETS)}会发消息提醒你。${next}\n退订请发送 /unsubscribe。`, { keyboard: keyboard([[{ label: "📅 查看截止日期", data: "rm|list" }]]) });
}

async function unsubscribe(ctx: BotContext): Promise<void> {
  ctx.account = (await subscriptions.unsubscribe(servicesOf(ctx.deps), ctx.account)).user;
  await send(ctx, "已退订，不会再收到截止提醒。想重新订阅，发送 /subscribe 即可。");
}

export const reminderEntries: Record<string, Entry> = { subscribe, deadlines: showDeadlines };

remindersFeature.command("subscribe", subscribe);
remindersFeature.command("unsubscribe", unsubscribe);
remindersFeature.command("deadlines", showDeadlines);

remindersFeature.callbackQuery(/^rm\|(sub|unsub|list)$/, async (ctx) => {
  await ctx.answerCallbackQuery();
  const what = ctx.match[1];
  if (what === "sub") await subscribe(ctx);
  else if (what === "unsub") await unsubscribe(ctx);
  else await showDeadlines(ctx);
});

// ------------------------------------------------------------------ admins

/** Admins only; others get a polite refusal. Returns whether to go on. */
async function adminOnly(ctx: BotContext): Promise<boolean> {
  if (isAdmin(ctx.deps, ctx.account.id)) return true;
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: REFUSAL, show_alert: true });
  else await send(ctx, REFUSAL);
  return false;
}

export type DeadlineInput = { ok: true; date: string; title: string; scope: DeadlineScope } | { ok: false; error: string };

/** Parses "/deadline YYYY-MM-DD [范围] 标题"; every error says what to type. */
export function parseDeadlineArgs(k: Knowledge, args: string, now: Date, timeZone: string): DeadlineInput {
  const today = todayIn(now, timeZone);
  const example = `/deadline ${addDays(today, 14)} 国培项目申报材料提交`;
  const usage = `用法：/deadline 日期 标题，例如\n${example}\n可在日期后加范围（国培、区培或子项目名称，默认全部项目），例如\n/deadline ${addDays(today, 14)} 国培 国培项目申报材料提交`;
  const tokens = args.trim().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return { ok: false, error: usage };
  const date = calendarDate(tokens[0]!);
  if (!date.ok) return { ok: false, error: `${date.error}\n${usage}` };
  if (date.value < today) return { ok: false, error: `${date.value} 已经过去了（今天是 ${today}）。请输入今天或以后的日期，例如\n${example}` };
  if (date.value > addDays(today, MAX_DAYS_AHEAD)) return { ok: false, error: `${date.value} 太远了（今天是 ${today}），请检查年份。截止日期最多设在两年以内。` };
  let rest = tokens.slice(1);
  let scope: DeadlineScope = { kind: "all" };
  if (rest.length >= 2) {
    const s = parseScope(k, rest[0]!);
    if (s) {
      scope = s;
      rest = rest.slice(1);
    }
  }
  const title = rest.join(" ");
  if (!title) return { ok: false, error: `请在日期后写上标题，例如\n${example}` };
  if (title.length > MAX_TITLE) return { ok: false, error: `标题最多${MAX_TITLE}个字（现在${title.length}个字），请写得简短些。` };
  return { ok: true, date: date.value, title, scope };
}

remindersFeature.command("deadline", async (ctx) => {
  if (!(await adminOnly(ctx))) return;
  const { deps } = ctx;
  const parsed = parseDeadlineArgs(deps.knowledge, typeof ctx.match === "string" ? ctx.match : "", deps.now(), deps.config.TZ);
  if (!parsed.ok) {
    await send(ctx, escapeHtml(parsed.error));
    return;
  }
  const added = await addDeadline(servicesOf(deps), ctx.account.id, parsed);
  if (!added.ok) return send(ctx, added.message);
  const record = added.deadline;

  const left = daysLeft(record.date, deps.now(), deps.config.TZ);
  const due = dueOffset(left, deps.config.REMINDER_OFFSETS);
  const lines = [
    "✅ <b>已添加截止日期</b>",
    `<b>${escapeHtml(record.title)}</b>`,
    `日期：${dateText(record.date)}，${daysLeftText(left)}`,
    `范围：${escapeHtml(scopeLabel(deps.knowledge, record.scope))}`,
    `编号：<code>${record.id}</code>（删除：/deadline_del ${record.id}）`,
    `提醒：${offsetsText(deps.config.REMINDER_OFFSETS)}发给订阅者、协调员和有相关草稿的用户。`,
  ];
  const service = reminderService();
  if (due !== undefined && service) {
    const count = await audienceSize(servicesOf(deps), record.scope);
    lines.push(`现在就发送“${daysLeftText(left)}”的提醒（约 ${count} 人），完成后告诉你。`);
  } else if (due !== undefined) {
    lines.push("提醒将由运行中的机器人在下次检查时发出。");
  }
  await send(ctx, lines.join("\n"));
  if (!service || due === undefined) return;

  const chatId = ctx.chat!.id;
  const delivery = `deadline:${record.id}:${due}`;
  deps.background(async () => {
    await service.trigger("deadline added");
    const r = service.lastResult(delivery);
    if (!r) return;
    const text = r.remaining > 0 || r.deferred > 0 ? `⏰ “${escapeHtml(record.title)}”提醒：已发送 ${r.sent}，失败 ${r.failed}；其余将在下次检查时继续。` : `⏰ “${escapeHtml(record.title)}”提醒已发出：已发送 ${r.sent}，失败 ${r.failed}。`;
    await ctx.api.sendMessage(chatId, text, { parse_mode: "HTML" });
  }, "reminder after /deadline");
});

remindersFeature.command("deadline_del", async (ctx) => {
  if (!(await adminOnly(ctx))) return;
  const id = (typeof ctx.match === "string" ? ctx.match : "").trim();
  const removed = id ? await removeDeadline(servicesOf(ctx.deps), ctx.account.id, id) : undefined;
  if (!removed?.ok) {
    const list = (await upcoming(servicesOf(ctx.deps))).map(({ deadline: d }) => `<code>${d.id}</code> ${escapeHtml(d.title)}（${d.date}）`);
    const hint = list.length ? `现有截止日期：\n${list.join("\n")}` : "目前没有截止日期。";
    await send(ctx, `${id ? `没有编号为 ${escapeHtml(id)} 的截止日期。` : "请写上要删除的编号，例如 /deadline_del d1a2b3。"}\n${hint}`);
    return;
  }
  const found = removed.deadline;
  await send(ctx, `🗑 已删除截止日期：<b>${escapeHtml(found.title)}</b>（${found.date}）。相关提醒不再发送。`);
});

// ------------------------------------------------------------------ /broadcast

remindersFeature.command("broadcast", async (ctx) => {
  if (!(await adminOnly(ctx))) return;
  const { deps } = ctx;
  const text = (typeof ctx.match === "string" ? ctx.match : "").trim();
  if (!text) {
    await send(ctx, "用法：/broadcast 通知内容，例如\n/broadcast 国培项目申报材料请于3月1日前提交。\n发送前会请你确认。");
    return;
  }
  if (text.length > MAX_BROADCAST) {
    await send(ctx, `通知内容最多${MAX_BROADCAST}个字（现在${text.length}个字），请精简后再发。`);
    return;
  }
  // kept in the store until confirmed: the tap may reach another instance
  const asked = await askToBroadcast(servicesOf(deps), ctx.account.id, text);
  if (!asked.ok) return send(ctx, asked.message);
  const id = asked.id;
  const count = await audienceSize(servicesOf(deps));
  await send(ctx, `📢 <b>确认群发</b>\n将发给约 ${count} 位用户（订阅者、协调员和有草稿的用户）：\n\n${escapeHtml(text)}`, {
    keyboard: keyboard([
      [
        { label: "✅ 确认发送", data: `bc|ok|${id}` },
        { label: "取消", data: `bc|no|${id}` },
      ],
    ]),
  });
});

remindersFeature.callbackQuery(/^bc\|(ok|no|stop)\|([a-z0-9]{1,16})$/, async (ctx) => {
  if (!(await adminOnly(ctx))) return;
  const { deps } = ctx;
  const [action, id] = [ctx.match[1]!, ctx.match[2]!];
  if (action === "stop") {
    const out = await stopBroadcast(servicesOf(deps), ctx.account.id, id);
    await ctx.answerCallbackQuery({ text: out.ok && out.result === "stopping" ? "正在停止群发…" : "这次群发已经结束。" });
    return;
  }
  const p = await takePendingBroadcast(servicesOf(deps), ctx.account.id, id);
  if (!p.ok) {
    await ctx.answerCallbackQuery({ text: p.message, show_alert: true });
    return;
  }
  await ctx.answerCallbackQuery();
  if (action === "no") {
    await send(ctx, "已取消，没有发送。", { edit: true });
    return;
  }
  const message = ctx.callbackQuery.message;
  const started = await startBroadcast(servicesOf(deps), ctx.account.id, { id, text: p.text, ...(message ? { progress: { chatId: message.chat.id, messageId: message.message_id } } : {}) });
  if (!started.ok) return send(ctx, started.message);
  const service = reminderService();
  await send(ctx, service ? "📢 <b>群发已开始</b>，进度会在这里更新。" : "📢 群发已保存，将由运行中的机器人发送。", {
    edit: true,
    keyboard: keyboard([[{ label: "⏹ 停止群发", data: `bc|stop|${id}` }]]),
  });
  if (service) deps.background(() => service.trigger("broadcast confirmed"), "broadcast");
});
