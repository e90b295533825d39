import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { handleFlowCallback } from "../flow-runner.js";

/** Buttons of any open flow (f|nonce|input): the runner checks they belong to the tapping user's flow. */
export const flowButtonsFeature = new Composer<BotContext>();
flowButtonsFeature.callbackQuery(/^f\|/, async (ctx) => {
  await handleFlowCallback(ctx, ctx.callbackQuery.data);
});
