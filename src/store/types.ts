/**
 * Records and the small repository interfaces the features use.
 * Reads are synchronous (everything is held in memory); a write's promise resolves only
 * once the change is durable on disk, so "已保存" is never said early. A server database can
 * replace the lowdb implementation behind these interfaces without touching the flows.
 */
import type { Plan } from "../knowledge/schema.js";

/** ISO-8601 instant, e.g. 2026-11-29T01:02:03.000Z. */
export type Instant = string;

export type StaffRole = "coordinator";

export interface UserRecord {
  id: number;
  /** Private chat id (equals the user id in Telegram private chats). */
  chatId: number;
  name: string;
  /** Granted by an admin; admins themselves come from ADMIN_IDS, not from the store. */
  roles: StaffRole[];
  subscribed: boolean;
  /** False after a 403 or a kick; true again when the user writes to the bot. */
  reachable: boolean;
  createdAt: Instant;
  /** Set by /unsubscribe: coordinators and draft owners, who get reminders by default, opted out. */
  unsubscribedAt?: Instant;
}

/** The current conversation of a user: which flow, which step, what has been answered. */
export interface SessionRecord {
  userId: number;
  flow: string;
  /** Changes whenever a flow starts, so buttons from an older message are recognised as stale. */
  nonce: string;
  state: Record<string, unknown>;
  updatedAt: Instant;
}

export type DeclarationAnswers = Record<string, unknown>;

export interface DraftRecord {
  id: string;
  ownerId: number;
  /** The step the user is on, so a resume continues there. */
  stepId: string;
  answers: DeclarationAnswers;
  /** Steps answered in order (FlowState.trail), so 上一步 still works after a resume. */
  trail?: string[];
  /** The user was changing one answer from the summary (FlowState.editing). */
  editing?: boolean;
  /** Set when the draft revises a submitted declaration. */
  revises?: string;
  createdAt: Instant;
  updatedAt: Instant;
}

export type DeclarationStatus = "submitted" | "approved" | "returned" | "withdrawn";

export interface HistoryEntry {
  at: Instant;
  by: number;
  action: "submitted" | "revised" | "approved" | "returned" | "withdrawn";
  comment?: string;
  /** Field → [before, after] for a revision. */
  changes?: Record<string, [unknown, unknown]>;
}

export interface DeclarationRecord {
  /** Reference number, e.g. GP2024-0001. */
  ref: string;
  ownerId: number;
  plan: Plan;
  subProjectId: string;
  rowId: string;
  answers: DeclarationAnswers;
  budget: { perYear: number; cycle: number };
  status: DeclarationStatus;
  submittedAt: Instant;
  updatedAt: Instant;
  history: HistoryEntry[];
  /** The draft it was submitted from, so a draft left behind by a crash mid-submission is not submitted twice. */
  fromDraft?: string;
}

export interface AuditRecord {
  at: Instant;
  actor: number;
  action: string;
  target?: string;
  detail?: Record<string, unknown>;
}

export type DeadlineScope = { kind: "all" } | { kind: "plan"; plan: Plan } | { kind: "subProject"; subProjectId: string };

export interface DeadlineRecord {
  id: string;
  /** Calendar date in the configured time zone, YYYY-MM-DD; the deadline is the end of that day. */
  date: string;
  title: string;
  scope: DeadlineScope;
  createdBy: number;
  createdAt: Instant;
}

/** A one-off /broadcast, kept so a restarted bot can finish it. */
export interface BroadcastRecord {
  id: string;
  text: string;
  createdBy: number;
  /** The admin's chat and message that shows progress. */
  progress?: { chatId: number; messageId: number };
  createdAt: Instant;
  finishedAt?: Instant;
  /** Stopped by an admin before it reached everyone; not resumed. */
  cancelledAt?: Instant;
  /** Chats given up on (blocked, not found), summed over runs; sent = ledger size − failed. */
  failed?: number;
}

export interface UserRepo {
  get(id: number): UserRecord | undefined;
  all(): UserRecord[];
  /** Users holding the role (indexed: no scan of every user). */
  withRole(role: StaffRole): UserRecord[];
  put(user: UserRecord): Promise<void>;
}

export interface SessionRepo {
  get(userId: number): SessionRecord | undefined;
  put(session: SessionRecord): Promise<void>;
  delete(userId: number): Promise<void>;
}

export interface DraftRepo {
  get(id: string): DraftRecord | undefined;
  byOwner(ownerId: number): DraftRecord[];
  all(): DraftRecord[];
  put(draft: DraftRecord): Promise<void>;
  delete(id: string): Promise<void>;
}

export interface DeclarationRepo {
  get(ref: string): DeclarationRecord | undefined;
  byOwner(ownerId: number): DeclarationRecord[];
  all(): DeclarationRecord[];
  /** Allocates the next reference number for the plan, unique even under concurrent submissions. */
  nextRef(plan: Plan, year: number): string;
  put(declaration: DeclarationRecord): Promise<void>;
}

export interface AuditRepo {
  append(entry: AuditRecord): Promise<void>;
  all(): AuditRecord[];
}

export interface DeadlineRepo {
  get(id: string): DeadlineRecord | undefined;
  all(): DeadlineRecord[];
  put(deadline: DeadlineRecord): Promise<void>;
  delete(id: string): Promise<void>;
}

export interface BroadcastRepo {
  get(id: string): BroadcastRecord | undefined;
  all(): BroadcastRecord[];
  put(broadcast: BroadcastRecord): Promise<void>;
}

/**
 * Which chats a delivery (a deadline reminder "deadline:<id>:<offset>" or "broadcast:<id>") has reached.
 * record() is buffered and flushed in batches; its promise resolves when the batch is durable.
 */
export interface LedgerRepo {
  has(delivery: string, chatId: number): boolean;
  /** Chats recorded for a delivery (sent, or given up on as unreachable). */
  reached(delivery: string): ReadonlySet<number>;
  record(delivery: string, chatId: number): Promise<void>;
  flush(): Promise<void>;
}

export interface Store {
  users: UserRepo;
  sessions: SessionRepo;
  drafts: DraftRepo;
  declarations: DeclarationRepo;
  audit: AuditRepo;
  deadlines: DeadlineRepo;
  broadcasts: BroadcastRepo;
  ledger: LedgerRepo;
  /** Waits for every pending write (used at shutdown). */
  flush(): Promise<void>;
}
