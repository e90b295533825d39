/** Every feature, in the order they see an update; free text and the fallback come last. */
import type { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { budgetFeature } from "./budget.js";
import { declareFeature } from "./declare.js";
import { exportFeature } from "./export.js";
import { eligibilityFeature } from "./eligibility.js";
import { fallbackFeature } from "./fallback.js";
import { flowButtonsFeature } from "./flow-buttons.js";
import { freeTextFeature } from "./free-text.js";
import { myFeature } from "./my.js";
import { projectsFeature } from "./projects.js";
import { remindersFeature } from "./reminders.js";
import { reviewFeature } from "./review.js";
import { rolesFeature } from "./roles.js";
import { startFeature } from "./start.js";
import { statsFeature } from "./stats.js";

export const FEATURES: Composer<BotContext>[] = [
  startFeature,
  eligibilityFeature,
  projectsFeature,
  budgetFeature,
  declareFeature,
  myFeature,
  reviewFeature,
  rolesFeature,
  exportFeature,
  statsFeature,
  remindersFeature,
  flowButtonsFeature,
  freeTextFeature,
  fallbackFeature,
];
