/** /eligibility: the guided self-check, and the result with reasons and 详情 buttons. */
import { Composer } from "grammy";
import { eligibilityFlow, profileOf } from "../../../flows/eligibility.js";
import { eligibilityAnswer, type EligibilityAnswer } from "../../answers/eligibility-answer.js";
import { assess } from "../../domain/eligibility.js";
import type { Profile } from "../../domain/profile.js";
import type { Answers } from "../../engine/types.js";
import type { BotContext } from "../context.js";
import type { Entry } from "../entries.js";
import { beginFlow, type FlowHooks } from "../flow-runner.js";
import { keyboard, send } from "../render.js";

const MAX_DETAIL_BUTTONS = 6;

/** Sends an eligibility answer with a 详情 button per sub-project worth a look. */
export async function sendEligibilityAnswer(ctx: BotContext, answer: EligibilityAnswer, offerRefine = false): Promise<void> {
  const k = ctx.deps.knowledge;
  const details = answer.detailIds.slice(0, MAX_DETAIL_BUTTONS).map((id) => {
    const sp = k.subProjects.find((s) => s.id === id)!;
    return [{ label: `📄 ${sp.name}`, data: `p|s|${id}` }];
  });
  const tail = offerRefine ? [{ label: "🧭 补充信息，继续自测", data: "el|refine" }] : [{ label: "🔄 重新自测", data: "menu|eligibility" }];
  await send(ctx, answer.text, { keyboard: keyboard([...details, tail]) });
}

/** Sends the verdicts for a profile (the guided check's result). */
export async function sendEligibility(ctx: BotContext, profile: Profile, offerRefine = false): Promise<void> {
  const k = ctx.deps.knowledge;
  await sendEligibilityAnswer(ctx, eligibilityAnswer(k, assess(k, profile), profile), offerRefine);
}

/** The profile's known answers as the flow's answers, so the guided check asks only the rest. */
export function answersOf(p: Profile): Answers {
  const a: Answers = { ...p };
  if (p.subjects) a.subjects = p.subjects[0] ?? "none";
  return a;
}

/** Wired into the flow runner by features/index.ts. */
export const eligibilityHooks: FlowHooks = {
  flow: () => eligibilityFlow,
  completed: (ctx, answers) => sendEligibility(ctx, profileOf(answers)),
};

export const eligibilityEntries: Record<string, Entry> = { eligibility: (ctx) => beginFlow(ctx, "eligibility") };

export const eligibilityFeature = new Composer<BotContext>();
eligibilityFeature.command("eligibility", (ctx) => beginFlow(ctx, "eligibility"));

/**
 * The last profile each user described in words, so 继续自测 starts from it. Memory only: after a
 * restart the button simply starts the check afresh. Bounded, oldest dropped first.
 */
const describedProfiles = new Map<number, Profile>();
const MAX_REMEMBERED = 10_000;

export function rememberProfile(userId: number, profile: Profile): void {
  describedProfiles.delete(userId);
  describedProfiles.set(userId, profile);
  if (describedProfiles.size > MAX_REMEMBERED) describedProfiles.delete(describedProfiles.keys().next().value!);
}

eligibilityFeature.callbackQuery("el|refine", async (ctx) => {
  await ctx.answerCallbackQuery();
  await beginFlow(ctx, "eligibility", { answers: answersOf(describedProfiles.get(ctx.account.id) ?? {}) });
});
