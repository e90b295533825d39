/** Every feature, in the order they see an update; free text and the fallback come last. */
import type { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { budgetFeature } from "./budget.js";
import { eligibilityFeature } from "./eligibility.js";
import { fallbackFeature } from "./fallback.js";
import { flowButtonsFeature } from "./flow-buttons.js";
import { freeTextFeature } from "./free-text.js";
import { projectsFeature } from "./projects.js";
import { startFeature } from "./start.js";

export const FEATURES: Composer<BotContext>[] = [
  startFeature,
  eligibilityFeature,
  projectsFeature,
  budgetFeature,
  flowButtonsFeature,
  freeTextFeature,
  fallbackFeature,
];
