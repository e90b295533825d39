/**
 * Who receives a reminder, and what it says: the deadline, its date and the days left; for
 * coordinators a digest of declarations and drafts per sub-project against the quota; for owners of
 * unfinished drafts a nudge naming each draft's sub-project and missing fields, with a resume button.
 * One message per recipient and delivery (so the ledger has one entry per chat and the per-chat
 * limit is never in play), HTML-escaped and within Telegram's 4096 characters.
 */
import { makeDeclarationFlow, missingFields } from "../../flows/declaration.js";
import { escapeHtml } from "../answers/html.js";
import { dateText, daysLeftText } from "../domain/reminders.js";
import { declarationStats, type SubProjectStats } from "../domain/stats.js";
import type { Flow } from "../engine/types.js";
import type { Knowledge, Plan } from "../knowledge/schema.js";
import type { DeadlineRecord, DeadlineScope, DraftRecord, DraftScope, Store, UserRecord } from "../store/types.js";
import type { OutgoingMessage } from "./broadcaster.js";

/** Telegram's limit; messages are kept a little below it. */
const MAX_TEXT = 4000;
const MAX_DIGEST_ROWS = 12;
const MAX_NUDGES = 3;
/** Callback data the declaration feature (src/bot/features/declare.ts) handles to reopen a draft, owner-checked. */
export const resumeDraftData = (draftId: string) => `dc|r|${draftId}`;

export interface Recipient {
  chatId: number;
  userId: number;
  /** Coordinator or admin: gets the digest. */
  staff: boolean;
}

export interface AudienceInput {
  store: Store;
  adminIds: readonly number[];
}

const planOfDraft = (k: Knowledge, d: DraftRecord): Plan | undefined => {
  const sp = typeof d.answers.subProject === "string" ? k.subProjects.find((s) => s.id === d.answers.subProject) : undefined;
  if (sp) return sp.plan;
  return d.answers.plan === "guopei" || d.answers.plan === "qupei" ? d.answers.plan : undefined;
};

/** A draft concerns a scoped deadline when its sub-project (or plan) is in scope, or nothing is chosen yet. */
export function draftInScope(k: Knowledge, d: DraftRecord, scope: DeadlineScope): boolean {
  if (scope.kind === "all") return true;
  const sp = typeof d.answers.subProject === "string" ? d.answers.subProject : undefined;
  if (sp !== undefined && scope.kind === "subProject") return sp === scope.subProjectId;
  const plan = planOfDraft(k, d);
  if (plan === undefined) return true;
  return plan === (scope.kind === "plan" ? scope.plan : k.subProjects.find((s) => s.id === scope.subProjectId)?.plan);
}

export function subProjectInScope(k: Knowledge, subProjectId: string, scope: DeadlineScope): boolean {
  if (scope.kind === "all") return true;
  if (scope.kind === "subProject") return subProjectId === scope.subProjectId;
  return k.subProjects.find((s) => s.id === subProjectId)?.plan === scope.plan;
}

/** The store's form of a deadline scope: which drafts' owners it concerns (see DraftScope). */
export function draftScopeOf(k: Knowledge, scope: DeadlineScope): DraftScope | undefined {
  if (scope.kind === "all") return undefined;
  if (scope.kind === "plan") return { subProjectIds: k.subProjects.filter((s) => s.plan === scope.plan).map((s) => s.id), plans: [scope.plan], includeUnplaced: true };
  const plan = k.subProjects.find((s) => s.id === scope.subProjectId)?.plan;
  return { subProjectIds: [scope.subProjectId], plans: plan ? [plan] : [], includeUnplaced: true };
}

/** Users fetched per query while walking the audience. */
const AUDIENCE_PAGE = 1000;

/**
 * Reachable users who subscribed; coordinators, admins and owners of drafts in scope also receive
 * reminders unless they opted out with /unsubscribe (the store's audience query, walked a page at a
 * time; only the small recipient entries are kept). Admins without a stored record are included
 * by id (their private chat); a failed send then records them as given up.
 */
export async function audience(input: AudienceInput, knowledge: Knowledge, scope: DeadlineScope = { kind: "all" }): Promise<Recipient[]> {
  const { store, adminIds } = input;
  const admins = new Set(adminIds);
  const query = { adminIds, draftScope: draftScopeOf(knowledge, scope) };
  const out: Recipient[] = [];
  for (let after: number | undefined, page: UserRecord[]; ; after = page[page.length - 1]!.id) {
    page = await store.users.audience(query, { after, limit: AUDIENCE_PAGE });
    for (const user of page) out.push({ chatId: user.chatId, userId: user.id, staff: admins.has(user.id) || user.roles.includes("coordinator") });
    if (page.length < AUDIENCE_PAGE) break;
  }
  for (const id of admins) if (!(await store.users.get(id))) out.push({ chatId: id, userId: id, staff: true });
  return out;
}

export function scopeLabel(k: Knowledge, scope: DeadlineScope): string {
  if (scope.kind === "all") return "全部项目";
  if (scope.kind === "plan") return k.plans.find((p) => p.id === scope.plan)?.name ?? scope.plan;
  return k.subProjects.find((s) => s.id === scope.subProjectId)?.name ?? scope.subProjectId;
}

/** The lines every recipient gets. */
export function deadlineLines(k: Knowledge, deadline: DeadlineRecord, daysLeft: number): string[] {
  return [
    `⏰ <b>申报截止提醒：${escapeHtml(daysLeftText(daysLeft))}</b>`,
    `<b>${escapeHtml(deadline.title)}</b>`,
    `截止日期：${dateText(deadline.date)}`,
    `适用范围：${escapeHtml(scopeLabel(k, deadline.scope))}`,
  ];
}

/** Per sub-project statistics from the store's counts (for /stats and the digest). */
export async function storedStats(k: Knowledge, store: Pick<Store, "declarations" | "drafts">): Promise<SubProjectStats[]> {
  const [declarations, drafts] = await Promise.all([store.declarations.aggregate({}, { by: ["subProjectId", "status"] }), store.drafts.countBySubProject()]);
  return declarationStats(k, declarations, drafts);
}

/** Coordinators' digest: only sub-projects in scope with some activity, against the 人 quota. */
export async function digestLines(k: Knowledge, store: Store, scope: DeadlineScope): Promise<string[]> {
  const rows = (await storedStats(k, store)).filter(
    (r) => subProjectInScope(k, r.subProjectId, scope) && r.submitted + r.approved + r.returned + r.drafts > 0,
  );
  const lines = ["", "📊 <b>申报进度（协调员）</b>"];
  if (rows.length === 0) return [...lines, "暂无申报或草稿。"];
  rows.sort((a, b) => b.submitted + b.approved + b.returned - (a.submitted + a.approved + a.returned) || b.drafts - a.drafts);
  for (const r of rows.slice(0, MAX_DIGEST_ROWS)) {
    const declared = r.submitted + r.approved + r.returned;
    const parts = [`已申报${declared}份`];
    if (r.approved || r.returned) parts.push(`通过${r.approved}、退回${r.returned}`);
    parts.push(`草稿${r.drafts}份`);
    if (r.quota) parts.push(`计划培训${r.plannedPeople}/${r.quota.value}人`);
    else if (r.plannedPeople) parts.push(`计划培训${r.plannedPeople}人`);
    lines.push(`• ${escapeHtml(r.name)}：${parts.join("，")}`);
  }
  if (rows.length > MAX_DIGEST_ROWS) lines.push(`……另有${rows.length - MAX_DIGEST_ROWS}个子项目，发送 /stats 查看全部。`);
  return lines;
}

const flows = new WeakMap<Knowledge, Flow>();
function declarationFlow(k: Knowledge): Flow {
  let f = flows.get(k);
  if (!f) flows.set(k, (f = makeDeclarationFlow(k)));
  return f;
}

export interface NudgeContext {
  knowledge: Knowledge;
  now: Date;
  timeZone: string;
}

/** The owner's unfinished drafts in scope: what each lacks, and a button to resume it. */
export function nudge(ctx: NudgeContext, drafts: readonly DraftRecord[], scope: DeadlineScope): { lines: string[]; buttons: { label: string; data: string }[] } {
  const k = ctx.knowledge;
  const mine = drafts.filter((d) => draftInScope(k, d, scope));
  if (mine.length === 0) return { lines: [], buttons: [] };
  const lines = ["", "📝 <b>你有未提交的申报草稿</b>"];
  const buttons: { label: string; data: string }[] = [];
  for (const d of mine.slice(0, MAX_NUDGES)) {
    const sp = typeof d.answers.subProject === "string" ? k.subProjects.find((s) => s.id === d.answers.subProject) : undefined;
    const name = sp?.name ?? "尚未选择子项目";
    let missing: string[] = [];
    try {
      missing = missingFields(declarationFlow(k), d.answers, ctx);
    } catch {
      missing = [];
    }
    const what = missing.length === 0 ? "信息已填齐，尚未确认提交" : `待填：${missing.slice(0, 8).join("、")}${missing.length > 8 ? `等${missing.length}项` : ""}`;
    lines.push(`• ${escapeHtml(name)}${d.revises ? `（修改 ${escapeHtml(d.revises)}）` : ""}：${escapeHtml(what)}`);
    const data = resumeDraftData(d.id);
    if (Buffer.byteLength(data) <= 64) buttons.push({ label: `继续填写：${(sp?.name ?? "草稿").slice(0, 18)}`, data });
  }
  if (mine.length > MAX_NUDGES) lines.push(`……另有${mine.length - MAX_NUDGES}份草稿，发送 /my 查看。`);
  return { lines, buttons };
}

/** Joins sections, dropping trailing lines of the optional ones until the text fits. */
export function fitLines(required: string[], optional: string[][], footer: string[], max = MAX_TEXT): string {
  const sections = optional.map((s) => [...s]);
  const build = () => [...required, ...sections.flat(), ...footer].join("\n");
  let text = build();
  for (let i = sections.length - 1; text.length > max && i >= 0; i--) {
    while (text.length > max && sections[i]!.length > 0) {
      sections[i]!.pop();
      text = build();
    }
  }
  return text.length > max ? text.slice(0, max) : text;
}

export interface ReminderRenderInput extends NudgeContext {
  store: Store;
}

/** Builds the per-recipient reminder renderer for one due deadline (the digest is computed once). */
export function reminderRenderer(input: ReminderRenderInput, deadline: DeadlineRecord, daysLeft: number, recipients: readonly Recipient[]): (chatId: number) => Promise<OutgoingMessage> {
  const k = input.knowledge;
  const byChat = new Map(recipients.map((r) => [r.chatId, r]));
  const head = deadlineLines(k, deadline, daysLeft);
  let digest: string[] | undefined;
  const footer = ["", "发送 /deadlines 查看全部截止日期；/unsubscribe 退订提醒。"];
  return async (chatId) => {
    const r = byChat.get(chatId);
    const optional: string[][] = [];
    let buttons: { label: string; data: string }[] = [];
    if (r?.staff) optional.push((digest ??= await digestLines(k, input.store, deadline.scope)));
    if (r) {
      const n = nudge(input, await input.store.drafts.byOwner(r.userId), deadline.scope);
      if (n.lines.length) optional.push(n.lines);
      buttons = n.buttons;
    }
    const text = fitLines(head, optional, footer);
    if (buttons.length === 0) return { text };
    return { text, replyMarkup: { inline_keyboard: buttons.map((b) => [{ text: b.label, callback_data: b.data }]) } };
  };
}

export function broadcastMessage(text: string): OutgoingMessage {
  return { text: fitLines(["📢 <b>通知</b>", ""], [escapeHtml(text).split("\n")], ["", "<i>—— 国培/区培申报助手</i>"]) };
}
