/** /projects: plan → category → sub-project → a paged details card, each fact cited. */
import { Composer } from "grammy";
import { overviewCard } from "../../answers/fact-answer.js";
import { escapeHtml } from "../../answers/html.js";
import type { Knowledge } from "../../knowledge/schema.js";
import type { BotContext } from "../context.js";
import type { Entry } from "../entries.js";
import { keyboard, send } from "../render.js";

type Rows = { label: string; data: string }[][];

function plansView(k: Knowledge): [string, Rows] {
  const rows = k.plans.map((p) => [{ label: `${p.name}（${k.subProjects.filter((s) => s.plan === p.id).length}个子项目）`, data: `p|plan|${p.id}` }]);
  return ["<b>项目浏览</b>\n请选择计划：", rows];
}

function planView(k: Knowledge, planId: string): [string, Rows] | undefined {
  const plan = k.plans.find((p) => p.id === planId);
  if (!plan) return undefined;
  const rows = plan.categories.map((c) => [{ label: `${c.no}${c.name}`, data: `p|cat|${plan.id}|${c.id}` }]);
  return [`<b>${escapeHtml(plan.name)}</b>\n${escapeHtml(plan.intro.text)}\n请选择类别：`, [...rows, [{ label: "⬅️ 返回", data: "p|plans" }]]];
}

function categoryView(k: Knowledge, planId: string, categoryId: string): [string, Rows] | undefined {
  const plan = k.plans.find((p) => p.id === planId);
  const category = plan?.categories.find((c) => c.id === categoryId);
  if (!plan || !category) return undefined;
  const rows = k.subProjects.filter((s) => s.plan === planId && s.category === categoryId).map((s) => [{ label: s.name, data: `p|s|${s.id}` }]);
  return [`<b>${escapeHtml(plan.name)} ${escapeHtml(category.no + category.name)}</b>\n请选择子项目：`, [...rows, [{ label: "⬅️ 返回", data: `p|plan|${planId}` }]]];
}

function cardView(k: Knowledge, id: string, page: number): [string, Rows] | undefined {
  const sp = k.subProjects.find((s) => s.id === id);
  if (!sp) return undefined;
  const pages = overviewCard(k, id);
  const index = Math.min(Math.max(page, 0), pages.length - 1);
  const nav: Rows[number] = [];
  if (index > 0) nav.push({ label: "⬅️ 上一页", data: `p|s|${id}|${index - 1}` });
  if (index < pages.length - 1) nav.push({ label: "下一页 ➡️", data: `p|s|${id}|${index + 1}` });
  const text = pages.length > 1 ? `${pages[index]}\n\n<i>第${index + 1}/${pages.length}页</i>` : pages[index]!;
  // no 💰 where the guide gives no funding standard: there is nothing to compute
  const funded = sp.rows.some((r) => "rates" in r.funding);
  const rows: Rows = [
    ...(nav.length ? [nav] : []),
    [...(funded ? [{ label: "💰 测算预算", data: `b|${id}` }] : []), { label: "📝 申报此项目", data: `dc|new|${id}` }],
    [{ label: "⬅️ 返回列表", data: `p|cat|${sp.plan}|${sp.category}` }],
  ];
  return [text, rows];
}

async function show(ctx: BotContext, view: [string, Rows] | undefined, edit: boolean): Promise<void> {
  if (!view) {
    await send(ctx, "这个按钮已过期，请重新开始。", { keyboard: keyboard(plansView(ctx.deps.knowledge)[1]) });
    return;
  }
  await send(ctx, view[0], { keyboard: keyboard(view[1]), edit });
}

export async function showSubProject(ctx: BotContext, id: string): Promise<void> {
  await show(ctx, cardView(ctx.deps.knowledge, id, 0), false);
}

export const projectsEntries: Record<string, Entry> = { projects: (ctx) => show(ctx, plansView(ctx.deps.knowledge), false) };

export const projectsFeature = new Composer<BotContext>();
projectsFeature.command("projects", (ctx) => show(ctx, plansView(ctx.deps.knowledge), false));

projectsFeature.callbackQuery(/^p\|/, async (ctx) => {
  await ctx.answerCallbackQuery();
  const k = ctx.deps.knowledge;
  const [, kind, a, b] = ctx.callbackQuery.data.split("|");
  const view =
    kind === "plans"
      ? plansView(k)
      : kind === "plan" && a
        ? planView(k, a)
        : kind === "cat" && a && b
          ? categoryView(k, a, b)
          : kind === "s" && a
            ? cardView(k, a, /^\d{1,2}$/.test(b ?? "0") ? Number(b ?? 0) : 0)
            : undefined;
  // Cards open as new messages so a result list stays on screen; navigation edits in place.
  await show(ctx, view, kind !== "s" || b !== undefined);
});
