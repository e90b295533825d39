/**
 * The store contract (v1): records, and async, query-based repositories with a unit of work.
 *
 * Every implementation (the embedded lowdb store in this folder, PostgreSQL in src/store/pg/) passes
 * the one contract suite in test/contract/store-contract.ts. Rules every implementation keeps:
 * - Every read and write returns a Promise. A write resolves only once it is durable (on disk or
 *   committed), so "已保存" is never said early; a failed write rejects (StoreWriteError on lowdb).
 * - Callers ask queries; nothing fetches a whole collection to filter it in JavaScript. Lists that
 *   can grow with the season are paged (limit/offset with a total, or an id cursor) or streamed.
 * - Returned records are read-only snapshots: change a copy and put it.
 * - A unit of work (Store.transaction) is all or nothing, through kill -9 at any moment.
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

/** A web or Telegram update kept durably before it is acknowledged (the inbox, issue 10 / 11 §3). */
export interface InboxRecord {
  /** Telegram's update_id: an update is stored once, however often it is delivered. */
  updateId: number;
  /** The chat it belongs to (updates of one chat are handled in order); undefined for chat-less updates. */
  chatId?: number;
  /** The raw update, as received. */
  update: unknown;
  receivedAt: Instant;
  /** Set when handling finished (successfully or given up); a done update is never claimed again. */
  doneAt?: Instant;
  /** Who is handling it now, and until when (a lease: after it expires another instance may take it). */
  claimedBy?: string;
  leaseUntil?: Instant;
  /** How many times it was claimed (a poison update is given up after a few). */
  attempts: number;
}

/**
 * What a one-time code is for: signing in at the coordinators' desk, carrying drafts between
 * channels (/link), or confirming a pending /broadcast (its digest names the broadcast, not a typed code).
 */
export type CodePurpose = "desk" | "link" | "broadcast";

/**
 * A short-lived, single-use code the bot gave a user. Only a digest is stored (never the code), and
 * a user holds at most one live code per purpose.
 */
export interface CodeRecord {
  purpose: CodePurpose;
  /** SHA-256 (hex) of the purpose and the code; unique among the live codes of a purpose. */
  digest: string;
  userId: number;
  /** The code is live while now < expiresAt. */
  expiresAt: Instant;
  /** Small JSON kept with the code and given back by consume (e.g. the text of a pending broadcast). */
  data?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Queries

/** Offset paging, for lists a person pages through (the desk, /review). */
export interface PageRequest {
  /** 1–1000. */
  limit: number;
  /** Rows to skip (default 0). */
  offset?: number;
}

export interface Page<T> {
  items: T[];
  /** Rows matching the filter, ignoring limit and offset. */
  total: number;
}

/** Cursor paging by a numeric id, for scans a program walks through (broadcast audiences). */
export interface IdCursor {
  /** Only ids greater than this (default: from the start). */
  after?: number;
  /** 1–5000. */
  limit: number;
}

export type SortDirection = "asc" | "desc";

export type OneOrMany<T> = T | readonly T[];

/**
 * Which declarations. Every given field must match (AND); a list matches any of its values.
 * An empty list matches nothing.
 */
export interface DeclarationFilter {
  ownerId?: number;
  status?: OneOrMany<DeclarationStatus>;
  plan?: OneOrMany<Plan>;
  subProjectId?: OneOrMany<string>;
  /** answers.institution equals this exactly. */
  institution?: string;
  /**
   * Case-insensitive substring of the reference number or of answers.institution (the desk's search
   * box). Plain text: no wildcards (pg escapes % and _).
   */
  text?: string;
  /** submittedAt >= from (inclusive); ISO instants compare as strings. */
  submittedFrom?: Instant;
  /** submittedAt < to (exclusive). */
  submittedTo?: Instant;
  /** Submitted from this draft (a crash between the declaration and the draft's removal is detected by it). */
  fromDraft?: string;
}

export interface DeclarationSort {
  by: "submittedAt" | "updatedAt" | "ref";
  dir: SortDirection;
}

/** Default sort: oldest submission first; ties always broken by ref ascending. */
export const DEFAULT_DECLARATION_SORT: DeclarationSort = { by: "submittedAt", dir: "asc" };

export type DeclarationGroupKey = "status" | "plan" | "subProjectId" | "day";

export interface DeclarationGroupRow {
  status?: DeclarationStatus;
  plan?: Plan;
  subProjectId?: string;
  /** YYYY-MM-DD of submittedAt in the query's time zone. */
  day?: string;
  count: number;
  /** Sum of answers.people where it is a finite number (trainees planned). */
  people: number;
}

export interface DeclarationAggregate {
  /** Group by these keys (none: one row for the whole filter). */
  by: readonly DeclarationGroupKey[];
  /** IANA zone for "day" (e.g. Asia/Shanghai); required when grouping by day. */
  timeZone?: string;
}

/**
 * Drafts that concern a deadline's scope (reminders nudge their owners). A draft matches when
 * - answers.subProject is a string in subProjectIds, or
 * - answers.subProject is not a string and answers.plan is in plans, or
 * - includeUnplaced, answers.subProject is not a string and answers.plan is neither "guopei" nor "qupei"
 *   (nothing chosen yet: every deadline may concern it).
 * The service builds it from a DeadlineScope with the knowledge (which sub-projects a plan has);
 * matchesDraftScope() in queries.ts is the reference implementation.
 */
export interface DraftScope {
  subProjectIds: readonly string[];
  plans: readonly Plan[];
  includeUnplaced: boolean;
}

export interface DraftFilter {
  ownerId?: number;
  /** Omitted: every draft. */
  scope?: DraftScope;
  /** updatedAt < this (idle drafts, for nudges). */
  updatedBefore?: Instant;
  /** Drafts revising this declaration. */
  revises?: string;
}

/**
 * Who receives reminders and broadcasts: reachable users who are subscribed, or who get them by
 * default (coordinators, the given admins, owners of a draft matching draftScope) and have not opted
 * out (unsubscribedAt unset). Admins without a stored record are the caller's to add.
 */
export interface AudienceQuery {
  adminIds: readonly number[];
  /** Omitted: owners of any draft. */
  draftScope?: DraftScope;
}

export interface AuditFilter {
  target?: string;
  actor?: number;
  action?: OneOrMany<string>;
  /** at >= from */
  from?: Instant;
  /** at < to */
  to?: Instant;
}

// ---------------------------------------------------------------------------------------------
// Repositories

export interface UserRepo {
  get(id: number): Promise<UserRecord | undefined>;
  /** The user whose private chat this is (a 403 names a chat, not a user). */
  getByChat(chatId: number): Promise<UserRecord | undefined>;
  /** Users holding the role, by id (staff are few: not paged). */
  withRole(role: StaffRole): Promise<UserRecord[]>;
  /** Reminder/broadcast recipients (see AudienceQuery), ascending id, a page at a time. */
  audience(query: AudienceQuery, page: IdCursor): Promise<UserRecord[]>;
  /** How many stored users (and how many of them reachable and subscribed). */
  count(): Promise<{ total: number; subscribed: number }>;
  put(user: UserRecord): Promise<void>;
}

export interface SessionRepo {
  get(userId: number): Promise<SessionRecord | undefined>;
  put(session: SessionRecord): Promise<void>;
  delete(userId: number): Promise<void>;
}

export interface DraftRepo {
  get(id: string): Promise<DraftRecord | undefined>;
  /** The owner's drafts, oldest first (createdAt, then id); an owner has few. */
  byOwner(ownerId: number): Promise<DraftRecord[]>;
  /** Oldest updatedAt first, then id. */
  find(filter: DraftFilter, page: PageRequest): Promise<Page<DraftRecord>>;
  count(filter?: DraftFilter): Promise<number>;
  /** Drafts per answers.subProject (drafts without a chosen sub-project are left out), for /stats. */
  countBySubProject(filter?: DraftFilter): Promise<{ subProjectId: string; count: number }[]>;
  put(draft: DraftRecord): Promise<void>;
  /** Deleting a missing draft is not an error. */
  delete(id: string): Promise<void>;
}

export interface DeclarationRepo {
  get(ref: string): Promise<DeclarationRecord | undefined>;
  /** The owner's declarations, oldest submission first; an owner has few. */
  byOwner(ownerId: number): Promise<DeclarationRecord[]>;
  /** A page of matches in the given order (default DEFAULT_DECLARATION_SORT, ties by ref), with the total. */
  find(filter: DeclarationFilter, page: PageRequest, sort?: DeclarationSort): Promise<Page<DeclarationRecord>>;
  count(filter?: DeclarationFilter): Promise<number>;
  /** Counts and planned trainees grouped by the keys; rows with count 0 are not returned; order unspecified. */
  aggregate(filter: DeclarationFilter, query: DeclarationAggregate): Promise<DeclarationGroupRow[]>;
  /**
   * Every match, in order, fetched a batch at a time (exports of 20,000 rows): the whole result is
   * never held at once. Changes made during the scan may or may not be seen.
   */
  scan(filter: DeclarationFilter, sort?: DeclarationSort): AsyncIterable<DeclarationRecord>;
  put(declaration: DeclarationRecord): Promise<void>;
}

export interface AuditRepo {
  append(entry: AuditRecord): Promise<void>;
  /** Oldest first (at, then order of appending). */
  find(filter: AuditFilter, page: PageRequest): Promise<Page<AuditRecord>>;
  count(filter?: AuditFilter): Promise<number>;
}

export interface DeadlineRepo {
  get(id: string): Promise<DeadlineRecord | undefined>;
  /** Every deadline, by date then id (admins set a handful). */
  list(): Promise<DeadlineRecord[]>;
  put(deadline: DeadlineRecord): Promise<void>;
  delete(id: string): Promise<void>;
}

export interface BroadcastRepo {
  get(id: string): Promise<BroadcastRecord | undefined>;
  /** Neither finished nor cancelled, oldest first (a restarted bot resumes them). */
  unfinished(): Promise<BroadcastRecord[]>;
  /** Newest first. */
  list(page: PageRequest): Promise<Page<BroadcastRecord>>;
  put(broadcast: BroadcastRecord): Promise<void>;
}

/**
 * One-time codes and attempt limits, shared by every instance on one store: a code issued by one bot
 * process can be redeemed on another, exactly once, and a limit counts attempts made on any of them.
 */
export interface CodeRepo {
  /**
   * Stores a code, replacing the user's earlier code of the same purpose. False (nothing stored) when
   * a live code of that purpose already has this digest: the caller draws another code.
   */
  issue(code: CodeRecord, now: Instant): Promise<boolean>;
  /** The live codes of a purpose (few: they live minutes), for the caller to compare in constant time. */
  live(purpose: CodePurpose, now: Instant): Promise<CodeRecord[]>;
  /** Spends a live code: its record the first time (on any instance), undefined after that or once expired. */
  consume(purpose: CodePurpose, digest: string, now: Instant): Promise<CodeRecord | undefined>;
  /**
   * Counts one attempt under `key` in a fixed window of `windowMs` starting at the key's first attempt;
   * true while the window holds at most `limit` attempts (this one included), false after that.
   */
  attempt(key: string, limit: number, windowMs: number, now: Instant): Promise<boolean>;
}

/**
 * Which chats a delivery (a deadline reminder "deadline:<id>:<offset>" or "broadcast:<id>") has
 * reached. record() may be group-committed: its promise resolves when the record is durable.
 */
export interface LedgerRepo {
  has(delivery: string, chatId: number): Promise<boolean>;
  /** The given chats that the delivery has not reached, in the given order (one query per batch). */
  missing(delivery: string, chatIds: readonly number[]): Promise<number[]>;
  /** Chats recorded for a delivery (sent, or given up on as unreachable). */
  countReached(delivery: string): Promise<number>;
  record(delivery: string, chatId: number): Promise<void>;
  /**
   * Takes the right to send to these chats now: returns those not reached and not claimed by
   * another owner whose lease is still running, now claimed by `owner` until now + leaseMs. Exactly
   * one instance sends each chat; a claim left by a killed instance expires. A single-process store
   * may treat it as missing() plus an in-memory lease.
   */
  claim(delivery: string, chatIds: readonly number[], owner: string, leaseMs: number): Promise<number[]>;
  /** Gives up a claim without recording (a send deferred to a later run). */
  release(delivery: string, chatId: number, owner: string): Promise<void>;
  /** Waits until every record() so far is durable. */
  flush(): Promise<void>;
}

/**
 * Updates stored by update_id before they are acknowledged, handled once in effect through kill -9.
 * Per-chat order: claim() never hands out an update of a chat while an older one of that chat is
 * still pending (claimed or not).
 */
export interface InboxRepo {
  /** Stores the update; false if this update_id is already stored (a redelivery). Durable when it resolves. */
  add(record: Omit<InboxRecord, "attempts" | "doneAt" | "claimedBy" | "leaseUntil">): Promise<boolean>;
  /**
   * Up to `limit` pending updates, oldest update_id first, claimed for `owner` until now + leaseMs:
   * unclaimed or with an expired lease, and only the oldest pending one of each chat.
   */
  claim(owner: string, limit: number, leaseMs: number, now: Instant): Promise<InboxRecord[]>;
  /** Marks it done (handled or given up); done updates are kept until pruned. */
  done(updateId: number, at: Instant): Promise<void>;
  /** Updates not yet done. */
  countPending(): Promise<number>;
  /** Deletes done updates older than this; returns how many. */
  prune(doneBefore: Instant): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// The unit of work

/**
 * What a transaction may read and write. Reads see the transaction's own writes. A record read
 * with get() inside a transaction stays as read until commit: PostgreSQL reads it FOR UPDATE; the
 * embedded store runs transactions one at a time.
 */
export interface StoreTx {
  users: Pick<UserRepo, "get" | "put">;
  sessions: Pick<SessionRepo, "get" | "put" | "delete">;
  drafts: Pick<DraftRepo, "get" | "put" | "delete">;
  declarations: Pick<DeclarationRepo, "get" | "put"> & {
    /**
     * The next reference number for the plan and year (GP2024-0001, QP2024-0001, …): unique across
     * concurrent transactions and instances. A rolled-back transaction may leave a gap.
     */
    nextRef(plan: Plan, year: number): Promise<string>;
  };
  audit: Pick<AuditRepo, "append">;
  deadlines: Pick<DeadlineRepo, "get" | "put" | "delete">;
  broadcasts: Pick<BroadcastRepo, "get" | "put">;
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
  /** Updates stored before they are acknowledged (embedded: src/store/inbox.ts; PostgreSQL: pg/inbox.ts). */
  inbox: InboxRepo;
  /** One-time codes (desk login, /link) and attempt limits. */
  codes: CodeRepo;
  /**
   * Runs fn as one unit of work: every write it makes is committed together when fn resolves
   * (durable when transaction() resolves), or none is when fn throws (the error is rethrown).
   * Use tx, never the store itself, inside fn; transactions do not nest. E.g. a submission:
   *   store.transaction(async (tx) => { const ref = await tx.declarations.nextRef("guopei", 2024);
   *     await tx.declarations.put({ ...record, ref }); await tx.drafts.delete(draftId);
   *     await tx.audit.append({ … }); return ref; })
   */
  transaction<R>(fn: (tx: StoreTx) => Promise<R>): Promise<R>;
  /** Waits for every pending write (used at shutdown). */
  flush(): Promise<void>;
  /** Flushes, then releases the store (lock file, connection pool). */
  close(): Promise<void>;
}
