/** /budget: the guided calculator; results as formulas with per-year and per-cycle totals. */
import { Composer } from "grammy";
import { budgetOf, makeBudgetFlow } from "../../../flows/budget.js";
import { budgetAnswer } from "../../answers/budget-answer.js";
import type { BotContext } from "../context.js";
import type { Entry } from "../entries.js";
import { beginFlow, type FlowHooks } from "../flow-runner.js";
import { keyboard, send } from "../render.js";

/** Wired into the flow runner by features/index.ts. */
export const budgetHooks: FlowHooks = {
  flow: makeBudgetFlow,
  completed: async (ctx, answers) => {
    const b = budgetOf(ctx.deps.knowledge, answers);
    if (!b) return;
    await send(ctx, budgetAnswer(b), { keyboard: keyboard([[{ label: "🔄 再算一个", data: "menu|budget" }]]) });
  },
};

/** Starts the calculator, optionally with the sub-project already chosen. */
export async function startBudget(ctx: BotContext, subProjectId?: string, people?: number): Promise<void> {
  const sp = ctx.deps.knowledge.subProjects.find((s) => s.id === subProjectId);
  const answers = sp ? { plan: sp.plan, subProject: sp.id, ...(people ? { people } : {}) } : {};
  await beginFlow(ctx, "budget", { answers });
}

export const budgetEntries: Record<string, Entry> = { budget: (ctx) => startBudget(ctx) };

export const budgetFeature = new Composer<BotContext>();
budgetFeature.command("budget", (ctx) => startBudget(ctx));
budgetFeature.callbackQuery(/^b\|([a-z0-9-]{1,40})$/, async (ctx) => {
  await ctx.answerCallbackQuery();
  await startBudget(ctx, ctx.match[1]);
});
