/**
 * The bot's features, wired explicitly: which flows and named entry points exist, and the order in
 * which features see an update (free text and the fallback last). Nothing registers itself when
 * its module is imported; createBot calls createFeatures() once per bot.
 */
import type { Composer } from "grammy";
import type { BotContext } from "../context.js";
import { registerEntry, type Entry } from "../entries.js";
import { registerFlow } from "../flow-runner.js";
import { budgetEntries, budgetFeature, budgetHooks } from "./budget.js";
import { DECLARATION_FLOW, declarationHooks, declareEntries, declareFeature } from "./declare.js";
import { exportFeature } from "./export.js";
import { eligibilityEntries, eligibilityFeature, eligibilityHooks } from "./eligibility.js";
import { fallbackFeature } from "./fallback.js";
import { flowButtonsFeature } from "./flow-buttons.js";
import { freeTextFeature } from "./free-text.js";
import { myEntries, myFeature } from "./my.js";
import { projectsEntries, projectsFeature } from "./projects.js";
import { reminderEntries, remindersFeature } from "./reminders.js";
import { reviewFeature } from "./review.js";
import { rolesFeature } from "./roles.js";
import { startEntries, startFeature } from "./start.js";
import { statsFeature } from "./stats.js";

const ENTRIES: Record<string, Entry>[] = [startEntries, eligibilityEntries, projectsEntries, budgetEntries, declareEntries, myEntries, reminderEntries];

export function createFeatures(): Composer<BotContext>[] {
  registerFlow("eligibility", eligibilityHooks);
  registerFlow("budget", budgetHooks);
  registerFlow(DECLARATION_FLOW, declarationHooks);
  for (const group of ENTRIES) for (const [name, entry] of Object.entries(group)) registerEntry(name, entry);
  return [
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
}
