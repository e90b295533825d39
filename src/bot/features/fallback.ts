import { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { STALE } from "../flow-runner.js";

/** Any button no feature recognised: old, forged or from a removed feature. It reveals nothing. */
export const fallbackFeature = new Composer<BotContext>();
fallbackFeature.on("callback_query", (ctx) => ctx.answerCallbackQuery({ text: STALE }));
