/**
 * What the conversation is about (the sub-project just discussed, the last budget), kept in the user's session
 * record so a follow-up ("那要培训几天", "那3年一共多少") refers to it after a restart too. It uses the session
 * only while no flow is open: a flow's state always wins, and a flow's end clears it.
 */
import type { Topic } from "../nlu/types.js";
import type { SessionRecord } from "../store/types.js";
import type { BotContext } from "./context.js";

export const TOPIC_FLOW = "topic";

export async function currentTopic(ctx: BotContext): Promise<Topic | undefined> {
  const s: SessionRecord | undefined = await Promise.resolve(ctx.deps.store.sessions.get(ctx.account.id));
  return s?.flow === TOPIC_FLOW ? (s.state as Topic) : undefined;
}

/** Remembers the topic unless a flow is open (its session must not be overwritten). */
export async function rememberTopic(ctx: BotContext, topic: Topic): Promise<void> {
  const s: SessionRecord | undefined = await Promise.resolve(ctx.deps.store.sessions.get(ctx.account.id));
  if (s && s.flow !== TOPIC_FLOW) return;
  await ctx.deps.store.sessions.put({ userId: ctx.account.id, flow: TOPIC_FLOW, nonce: "-", state: { ...topic } as Record<string, unknown>, updatedAt: ctx.deps.now().toISOString() });
}
