/** /eligibility: the guided self-check, and the result with reasons and 详情 buttons. */
import { Composer } from "grammy";
import { eligibilityFlow, profileOf } from "../../../flows/eligibility.js";
import { eligibilityAnswer } from "../../answers/eligibility-answer.js";
import { assess, type Verdict } from "../../domain/eligibility.js";
import type { Profile } from "../../domain/profile.js";
import type { Answers } from "../../engine/types.js";
import type { BotContext } from "../context.js";
import { registerEntry } from "../entries.js";
import { beginFlow, registerFlow } from "../flow-runner.js";
import { keyboard, send } from "../render.js";

const MAX_DETAIL_BUTTONS = 6;

/** Sends the verdicts for a profile, with a 详情 button per eligible or nearly eligible sub-project; returns the verdicts. */
export async function sendEligibility(ctx: BotContext, profile: Profile, offerRefine = false): Promise<Verdict[]> {
  const k = ctx.deps.knowledge;
  const verdicts = assess(k, profile);
  const answer = eligibilityAnswer(k, verdicts, profile);
  const details = answer.detailIds.slice(0, MAX_DETAIL_BUTTONS).map((id) => {
    const sp = k.subProjects.find((s) => s.id === id)!;
    return [{ label: `📄 ${sp.name}`, data: `p|s|${id}` }];
  });
  const tail = offerRefine ? [{ label: "🧭 补充信息，继续自测", data: "el|refine" }] : [{ label: "🔄 重新自测", data: "menu|eligibility" }];
  await send(ctx, answer.text, { keyboard: keyboard([...details, tail]) });
  return verdicts;
}

/** The profile's known answers as the flow's answers, so the guided check asks only the rest. */
export function answersOf(p: Profile): Answers {
  const a: Answers = { ...p };
  if (p.subjects) a.subjects = p.subjects[0] ?? "none";
  return a;
}

registerFlow("eligibility", {
  flow: () => eligibilityFlow,
  completed: async (ctx, answers) => void (await sendEligibility(ctx, profileOf(answers))),
});

registerEntry("eligibility", (ctx) => beginFlow(ctx, "eligibility"));

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
