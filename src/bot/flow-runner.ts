/**
 * The glue between the engine and Telegram: keeps each user's flow state in the store,
 * routes button taps and typed answers to the engine, and rejects stale or foreign buttons.
 */
import { randomBytes } from "node:crypto";
import { couldAnswer, resume, startFlow, step } from "../engine/run.js";
import type { Answers, Flow, FlowContext, FlowState, Input, StepResult } from "../engine/types.js";
import type { Knowledge } from "../knowledge/schema.js";
import type { SessionRecord } from "../store/types.js";
import type { BotContext } from "./context.js";
import { parseFlowCallback, sendReplies } from "./render.js";

export interface FlowSession {
  flow: FlowState;
  /** The declaration draft this session writes to. */
  draftId?: string;
}

export interface FlowHooks {
  /** Builds the flow from the knowledge (memoised per knowledge object). */
  flow: (k: Knowledge) => Flow;
  /** Persists after each accepted answer; resolves once durable. The declaration saves its draft here. */
  save?(ctx: BotContext, session: FlowSession): Promise<void>;
  completed(ctx: BotContext, answers: Answers, session: FlowSession): Promise<void>;
  cancelled?(ctx: BotContext, answers: Answers, session: FlowSession): Promise<void>;
}

const registry = new Map<string, FlowHooks>();
const built = new WeakMap<Knowledge, Map<string, Flow>>();

function flowOf(ctx: BotContext, id: string): Flow {
  const k = ctx.deps.knowledge;
  let flows = built.get(k);
  if (!flows) built.set(k, (flows = new Map()));
  let flow = flows.get(id);
  if (!flow) flows.set(id, (flow = registry.get(id)!.flow(k)));
  return flow;
}

export function registerFlow(id: string, hooks: FlowHooks): void {
  registry.set(id, hooks);
}

export const STALE = "已过期，请重新开始。";

export function flowContext(ctx: BotContext): FlowContext {
  return { knowledge: ctx.deps.knowledge, now: ctx.deps.now(), timeZone: ctx.deps.config.TZ };
}

function newNonce(): string {
  return randomBytes(4).toString("base64url");
}

/**
 * Binds a button to the step it was shown for, so a double tap or a redelivered tap cannot answer the
 * next question: the flow's nonce plus a short hash of where the user stands (step and trail length).
 */
export function buttonKey(nonce: string, state: FlowState): string {
  let h = 0x811c9dc5;
  for (const ch of `${state.at}:${state.trail.length}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return `${nonce}.${(h >>> 0).toString(36).slice(0, 4)}`;
}

function currentSession(ctx: BotContext): Promise<SessionRecord | undefined> {
  return ctx.deps.store.sessions.get(ctx.account.id);
}

async function persist(ctx: BotContext, flowId: string, nonce: string, session: FlowSession): Promise<void> {
  const hooks = registry.get(flowId)!;
  const record: SessionRecord = { userId: ctx.account.id, flow: flowId, nonce, state: session as unknown as Record<string, unknown>, updatedAt: ctx.deps.now().toISOString() };
  await Promise.all([ctx.deps.store.sessions.put(record), hooks.save?.(ctx, session)]);
}

/** Starts (or restarts) a flow for the sender, optionally with answers already known. */
export async function beginFlow(ctx: BotContext, flowId: string, opts: { answers?: Answers; draftId?: string; state?: FlowState; lead?: string[] } = {}): Promise<void> {
  const hooks = registry.get(flowId);
  if (!hooks) throw new Error(`unknown flow ${flowId}`);
  const flow = flowOf(ctx, flowId);
  const fctx = flowContext(ctx);
  const result = opts.state ? resume(flow, opts.state, fctx, opts.lead) : startFlow(flow, fctx, opts.answers ?? {});
  const nonce = newNonce();
  const session: FlowSession = { flow: result.state, ...(opts.draftId ? { draftId: opts.draftId } : {}) };
  if (result.effect?.type === "completed") {
    await ctx.deps.store.sessions.delete(ctx.account.id);
    await hooks.completed(ctx, result.effect.answers, session);
    return;
  }
  await persist(ctx, flowId, nonce, session);
  if (opts.lead && !opts.state) result.replies.unshift({ text: opts.lead.join("\n") });
  await sendReplies(ctx, result.replies, buttonKey(nonce, result.state));
}

async function apply(ctx: BotContext, record: SessionRecord, input: Input, edit: boolean): Promise<void> {
  const hooks = registry.get(record.flow);
  if (!hooks) return;
  const session = record.state as unknown as FlowSession;
  const flow = flowOf(ctx, record.flow);
  const result: StepResult = step(flow, session.flow, input, flowContext(ctx));
  const next: FlowSession = { ...session, flow: result.state };
  const effect = result.effect;
  if (effect?.type === "completed" || effect?.type === "cancelled") {
    if (result.replies.length) await sendReplies(ctx, result.replies, buttonKey(record.nonce, result.state), edit);
    await ctx.deps.store.sessions.delete(ctx.account.id);
    if (effect.type === "completed") await hooks.completed(ctx, effect.answers, next);
    else await hooks.cancelled?.(ctx, effect.answers, next);
    return;
  }
  if (!result.rejected) {
    try {
      await persist(ctx, record.flow, record.nonce, next);
      // Said only now that the write is on disk.
      if (hooks.save && effect?.type === "answered" && result.replies[0]) result.replies[0] = { ...result.replies[0], text: `💾 已保存\n${result.replies[0].text}` };
    } catch (e) {
      // The disk refused: say so, keep the answer in memory, and do not pretend it was saved.
      ctx.log.error({ err: e }, "saving flow state failed");
      await ctx.reply("⚠️ 保存失败（服务器存储暂时不可用）。你的输入暂存在内存中，请稍后再试或继续填写；恢复后会自动保存。");
    }
  }
  await sendReplies(ctx, result.replies, buttonKey(record.nonce, result.state), edit);
}

/** A button tap on a flow message. Returns false if the data is not a flow callback. */
export async function handleFlowCallback(ctx: BotContext, data: string): Promise<boolean> {
  const parsed = parseFlowCallback(data);
  if (!parsed) return false;
  const record = await currentSession(ctx);
  // The session is looked up by the tapping user's id, so someone else's button can never act on their flow;
  // the key also names the step, so a button of an earlier step is stale.
  // a session that is no flow (a pending review comment, the conversation topic) has no buttons to tap
  const current = record && registry.has(record.flow) && buttonKey(record.nonce, (record.state as unknown as FlowSession).flow);
  if (!record || current !== parsed.nonce || !parsed.input) {
    await ctx.answerCallbackQuery({ text: STALE, show_alert: false });
    return true;
  }
  await ctx.answerCallbackQuery();
  await apply(ctx, record, parsed.input, true);
  return true;
}

/** A typed message while a flow is open. Returns false if no flow is open. */
export async function handleFlowText(ctx: BotContext, text: string): Promise<boolean> {
  const record = await currentSession(ctx);
  if (!record || !registry.has(record.flow)) return false;
  await apply(ctx, record, { type: "text", text }, false);
  return true;
}

/** Re-asks the current step (after a side question was answered). */
export async function repromptFlow(ctx: BotContext, lead: string): Promise<void> {
  const record = await currentSession(ctx);
  const hooks = record && registry.get(record.flow);
  if (!record || !hooks) return;
  const session = record.state as unknown as FlowSession;
  const result = resume(flowOf(ctx, record.flow), session.flow, flowContext(ctx), [lead]);
  await sendReplies(ctx, result.replies, buttonKey(record.nonce, result.state));
}

/** The open flow's current step, for deciding whether a typed text is an answer or a side question. */
export async function openStep(ctx: BotContext): Promise<{ flowId: string; stepKind: string | undefined } | undefined> {
  const record = await currentSession(ctx);
  const hooks = record && registry.get(record.flow);
  if (!record || !hooks) return undefined;
  const at = (record.state as unknown as FlowSession).flow.at;
  return { flowId: record.flow, stepKind: flowOf(ctx, record.flow).steps.find((s) => s.id === at)?.kind };
}

/** Whether the text could answer the open step (see the engine's couldAnswer); true with no flow open. */
export async function textFitsStep(ctx: BotContext, text: string): Promise<boolean> {
  const record = await currentSession(ctx);
  if (!record || !registry.get(record.flow)) return true;
  return couldAnswer(flowOf(ctx, record.flow), (record.state as unknown as FlowSession).flow, text, flowContext(ctx));
}

export async function endFlow(ctx: BotContext): Promise<SessionRecord | undefined> {
  const record = await currentSession(ctx);
  if (record) await ctx.deps.store.sessions.delete(ctx.account.id);
  return record;
}
