/**
 * The embedded store's repositories (types.ts) on top of sharded collections and chunked logs.
 * Records live in memory, with small indexes (owner, role, chat) kept up to date on every change;
 * queries run the reference predicates of queries.ts over them. put() keeps a JSON copy of the
 * record (so later changes by the caller do not leak into the store unsaved; a record JSON cannot
 * hold, e.g. with a BigInt or a cycle, is rejected) and resolves when its shard is on disk.
 *
 * Each repository has synchronous `peek`/`putNow`/`deleteNow` beside the async contract: the unit of
 * work (transaction.ts) applies a committed transaction through them in one synchronous step, marking
 * the shards it touched with the transaction's number.
 */
import type { ChunkedLog } from "./chunked-log.js";
import {
  aggregateDeclarations,
  auditComparator,
  auditMatcher,
  checkCursor,
  checkPage,
  declarationComparator,
  declarationMatcher,
  draftComparator,
  draftMatcher,
  inAudience,
  matchesDraftScope,
} from "./queries.js";
import type { RefAllocator } from "./refs.js";
import { DEFAULT_DECLARATION_SORT } from "./types.js";
import type { ShardedCollection } from "./sharded-collection.js";
import type {
  AudienceQuery,
  AuditFilter,
  AuditRecord,
  AuditRepo,
  BroadcastRecord,
  BroadcastRepo,
  DeadlineRecord,
  DeadlineRepo,
  DeclarationAggregate,
  DeclarationFilter,
  DeclarationGroupRow,
  DeclarationRecord,
  DeclarationRepo,
  DeclarationSort,
  DraftFilter,
  DraftRecord,
  DraftRepo,
  IdCursor,
  Page,
  PageRequest,
  SessionRecord,
  SessionRepo,
  StaffRole,
  UserRecord,
  UserRepo,
} from "./types.js";

/** Runs a write; a synchronous throw (a bad key, a record JSON cannot hold) becomes a rejected promise. */
export function attempt(fn: () => Promise<void>): Promise<void> {
  try {
    return fn();
  } catch (e) {
    return Promise.reject(e);
  }
}

const okInt = (v: unknown): v is number => Number.isSafeInteger(v);
const okId = (v: unknown): v is string => typeof v === "string" && v.length > 0;

function requireKey(ok: boolean, repo: string, what: string, value: unknown): void {
  if (!ok) throw new TypeError(`${repo}.put: ${what} must be ${typeof value === "string" ? "non-empty" : "a valid key"}, got ${JSON.stringify(value)}`);
}

function paged<T>(matches: T[], page: PageRequest): Page<T> {
  const { limit, offset } = checkPage(page);
  return { items: matches.slice(offset, offset + limit), total: matches.length };
}

/** Index of the first element of an ascending list greater than `x` (binary search). */
function firstAfter(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element of a list sorted by `compare` that is not before `x` (binary search). */
function lowerBound<T>(sorted: readonly T[], x: T, compare: (a: T, b: T) => number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(sorted[mid]!, x) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keeps a result in a bounded cache (the oldest goes first). */
function remember<T>(cache: Map<string, T>, key: string, value: T): void {
  if (cache.size >= RESULT_CACHE) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
}

/** Owner id → keys of that owner's records (most owners have one: held as the key itself, a Set from the second). */
class OwnerIndex {
  readonly #map = new Map<number, string | Set<string>>();

  add(owner: number, key: string): void {
    const held = this.#map.get(owner);
    if (held === undefined) this.#map.set(owner, key);
    else if (typeof held === "string") {
      if (held !== key) this.#map.set(owner, new Set([held, key]));
    } else held.add(key);
  }

  remove(owner: number, key: string): void {
    const held = this.#map.get(owner);
    if (held === undefined) return;
    if (typeof held === "string") {
      if (held === key) this.#map.delete(owner);
      return;
    }
    held.delete(key);
    if (held.size === 1) this.#map.set(owner, held.values().next().value!);
  }

  keys(owner: number): Iterable<string> {
    const held = this.#map.get(owner);
    return held === undefined ? [] : typeof held === "string" ? [held] : held;
  }
}

/** How a change reaches the disk: one journal line (commit-log.ts), with memory changed under its lsn. */
export interface Committer {
  commit(opsJson: string, apply: (lsn: number) => void): Promise<void>;
  /** Resolves once everything committed so far is on disk. */
  sync(): Promise<void>;
}

export type KeyedName = "users" | "sessions" | "drafts" | "declarations" | "deadlines" | "broadcasts";

/** A record's JSON; a record JSON cannot represent (a BigInt, a cycle) is refused before anything changes. */
function toJson(value: unknown, what: string): string {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError(`${what} cannot be stored as JSON`);
  return json;
}

/** A repository over one sharded collection: the synchronous core the transactions use. */
abstract class Keyed<T> {
  constructor(
    protected readonly col: ShardedCollection<T>,
    readonly name: KeyedName,
    protected readonly journal: Committer,
  ) {}
  /** Throws a TypeError for a record whose key fields are unusable. */
  abstract check(record: T): void;
  /** Whether indexPut needs the record a put replaces (otherwise it is not parsed just to be dropped). */
  protected get indexed(): boolean {
    return false;
  }
  protected indexPut(_previous: T | undefined, _record: T): void {}
  protected indexDelete(_previous: T): void {}

  peek(key: string): T | undefined {
    return this.col.get(key);
  }

  keyOf(record: T): string {
    return this.col.keyOf(record);
  }

  /** The newest lsn (or older transaction number) the key's shard holds (replay skips what it has). */
  markOf(key: string): number {
    return this.col.txOf(key);
  }

  get lastTx(): number {
    return this.col.lastTx;
  }

  /** Changes memory and the indexes under journal line `lsn` (the record is the caller's own copy). */
  applyPut(record: T, lsn: number, json: string | undefined): void {
    const previous = this.col.put(record, lsn, json, this.indexed);
    this.indexPut(previous, record);
  }

  applyDelete(key: string, lsn: number): void {
    const previous = this.col.delete(key, lsn);
    if (previous) this.indexDelete(previous);
  }

  /** Validates, changes memory and the indexes at once; the promise settles when its journal line is on disk. */
  putNow(record: T): Promise<void> {
    this.check(record);
    const json = toJson(record, `${this.name} record "${this.col.keyOf(record)}"`);
    const copy = JSON.parse(json) as T;
    return this.journal.commit(`[{"c":"${this.name}","op":"put","record":${json}}]`, (lsn) => this.applyPut(copy, lsn, json));
  }

  deleteNow(key: string): Promise<void> {
    // Nothing to delete: nothing to write (but an earlier change may still be on its way to disk).
    if (this.col.get(key) === undefined) return this.journal.sync();
    return this.journal.commit(`[{"c":"${this.name}","op":"delete","key":${JSON.stringify(key)}}]`, (lsn) => this.applyDelete(key, lsn));
  }
}

export class Users extends Keyed<UserRecord> implements UserRepo {
  /** Ids of users with any role: staff are few, users many. */
  readonly #withRoles = new Set<number>();
  /**
   * Chat id → user id, for users whose chat id is not their own id (in Telegram a private chat's
   * id is the user's id, so this stays small; getByChat looks the user up by id first).
   */
  readonly #byChat = new Map<number, number>();
  /** Users subscribed and reachable (counted, so /stats need not parse every user). */
  #subscribed = 0;
  /** Every id, ascending, for cursor scans: built on the first scan, then kept by inserting new ids. */
  #sorted: number[] | null = null;

  constructor(
    col: ShardedCollection<UserRecord>,
    journal: Committer,
    private readonly drafts: Drafts,
  ) {
    super(col, "users", journal);
    // From the heads in the shard files (layout.ts HEADS), without parsing the records.
    col.forEachHead((key, [chatId, hasRoles, subscribed]) => {
      if (chatId !== Number(key) || hasRoles) {
        const id = Number(key);
        if (chatId !== id) this.#byChat.set(chatId!, id);
        if (hasRoles) this.#withRoles.add(id);
      }
      if (subscribed) this.#subscribed++;
    });
  }
  check(u: UserRecord): void {
    requireKey(okInt(u.id), "users", "id", u.id);
  }
  protected override get indexed(): boolean {
    return true;
  }
  protected override indexPut(previous: UserRecord | undefined, u: UserRecord): void {
    if (!previous && this.#sorted) this.#sorted.splice(firstAfter(this.#sorted, u.id - 1), 0, u.id);
    if (previous?.subscribed && previous.reachable) this.#subscribed--;
    if (u.subscribed && u.reachable) this.#subscribed++;
    if (previous && previous.chatId !== u.chatId && this.#byChat.get(previous.chatId) === u.id) this.#byChat.delete(previous.chatId);
    // The newest user to claim a chat has it: in the map, or found by id when it is their own.
    if (u.chatId !== u.id) this.#byChat.set(u.chatId, u.id);
    else this.#byChat.delete(u.chatId);
    if (u.roles.length > 0) this.#withRoles.add(u.id);
    else this.#withRoles.delete(u.id);
  }
  protected override indexDelete(previous: UserRecord): void {
    if (previous.subscribed && previous.reachable) this.#subscribed--;
    if (this.#byChat.get(previous.chatId) === previous.id) this.#byChat.delete(previous.chatId);
    this.#withRoles.delete(previous.id);
    this.#sorted = null;
  }
  #ids(): number[] {
    if (!this.#sorted) {
      const ids: number[] = [];
      for (const key of this.col.keys()) ids.push(Number(key));
      this.#sorted = ids.sort((a, b) => a - b);
    }
    return this.#sorted;
  }

  async get(id: number): Promise<UserRecord | undefined> {
    return this.peek(String(id));
  }
  async getByChat(chatId: number): Promise<UserRecord | undefined> {
    const id = this.#byChat.get(chatId);
    if (id !== undefined) return this.peek(String(id));
    const own = this.peek(String(chatId));
    return own?.chatId === chatId ? own : undefined;
  }
  async withRole(role: StaffRole): Promise<UserRecord[]> {
    const out: UserRecord[] = [];
    for (const id of this.#withRoles) {
      const u = this.peek(String(id));
      if (u?.roles.includes(role)) out.push(u);
    }
    return out.sort((a, b) => a.id - b.id);
  }
  async audience(query: AudienceQuery, page: IdCursor): Promise<UserRecord[]> {
    const { after, limit } = checkCursor(page);
    const ids = this.#ids();
    const lo = firstAfter(ids, after);
    const owns = (id: number) => this.drafts.ownsMatching(id, query.draftScope);
    const out: UserRecord[] = [];
    for (let i = lo; i < ids.length && out.length < limit; i++) {
      // A broadcast walks every user once: they are not kept parsed for it.
      const u = this.col.peekTransient(String(ids[i]));
      if (u && inAudience(u, query, owns)) out.push(u);
    }
    return out;
  }
  async count(): Promise<{ total: number; subscribed: number }> {
    return { total: this.col.size, subscribed: this.#subscribed };
  }
  put(user: UserRecord): Promise<void> {
    return attempt(() => this.putNow(user));
  }
}

export class Sessions extends Keyed<SessionRecord> implements SessionRepo {
  constructor(col: ShardedCollection<SessionRecord>, journal: Committer) {
    super(col, "sessions", journal);
  }
  check(s: SessionRecord): void {
    requireKey(okInt(s.userId), "sessions", "userId", s.userId);
  }
  async get(userId: number): Promise<SessionRecord | undefined> {
    return this.peek(String(userId));
  }
  put(session: SessionRecord): Promise<void> {
    return attempt(() => this.putNow(session));
  }
  delete(userId: number): Promise<void> {
    return this.deleteNow(String(userId));
  }
}

export class Drafts extends Keyed<DraftRecord> implements DraftRepo {
  readonly #byOwner = new OwnerIndex();
  constructor(col: ShardedCollection<DraftRecord>, journal: Committer) {
    super(col, "drafts", journal);
    col.forEachHead((id, [ownerId]) => this.#byOwner.add(ownerId!, id));
  }
  check(d: DraftRecord): void {
    requireKey(okId(d.id), "drafts", "id", d.id);
    requireKey(okInt(d.ownerId), "drafts", "ownerId", d.ownerId);
  }
  protected override get indexed(): boolean {
    return true;
  }
  protected override indexPut(previous: DraftRecord | undefined, d: DraftRecord): void {
    if (previous) this.#byOwner.remove(previous.ownerId, previous.id);
    this.#byOwner.add(d.ownerId, d.id);
  }
  protected override indexDelete(previous: DraftRecord): void {
    this.#byOwner.remove(previous.ownerId, previous.id);
  }
  #owned(ownerId: number): DraftRecord[] {
    const out: DraftRecord[] = [];
    for (const id of this.#byOwner.keys(ownerId)) {
      const d = this.col.get(id);
      if (d) out.push(d);
    }
    return out;
  }
  ownsMatching(ownerId: number, scope: AudienceQuery["draftScope"]): boolean {
    for (const id of this.#byOwner.keys(ownerId)) {
      const d = this.col.get(id);
      if (d && (!scope || matchesDraftScope(d, scope))) return true;
    }
    return false;
  }
  #matching(filter: DraftFilter): DraftRecord[] {
    const match = draftMatcher(filter);
    const source = filter.ownerId !== undefined ? this.#owned(filter.ownerId) : this.col.values();
    const out: DraftRecord[] = [];
    for (const d of source) if (match(d)) out.push(d);
    return out;
  }

  async get(id: string): Promise<DraftRecord | undefined> {
    return this.peek(id);
  }
  async byOwner(ownerId: number): Promise<DraftRecord[]> {
    return this.#owned(ownerId).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
  async find(filter: DraftFilter, page: PageRequest): Promise<Page<DraftRecord>> {
    checkPage(page);
    return paged(this.#matching(filter).sort(draftComparator), page);
  }
  async count(filter: DraftFilter = {}): Promise<number> {
    return this.#matching(filter).length;
  }
  async countBySubProject(filter: DraftFilter = {}): Promise<{ subProjectId: string; count: number }[]> {
    const counts = new Map<string, number>();
    for (const d of this.#matching(filter)) {
      const sp = d.answers.subProject;
      if (typeof sp === "string") counts.set(sp, (counts.get(sp) ?? 0) + 1);
    }
    return [...counts].map(([subProjectId, count]) => ({ subProjectId, count }));
  }
  put(draft: DraftRecord): Promise<void> {
    return attempt(() => this.putNow(draft));
  }
  delete(id: string): Promise<void> {
    return this.deleteNow(id);
  }
}

/** Declarations fetched per batch by scan(). */
const SCAN_BATCH = 500;

/** Filters whose matches (and aggregates) are kept until the next change (the desk's views of the moment). */
const RESULT_CACHE = 32;

export class Declarations extends Keyed<DeclarationRecord> implements DeclarationRepo {
  readonly #byOwner = new OwnerIndex();
  /**
   * Every declaration in each order asked for, built on demand and kept up to date on every change
   * (a binary search and a splice, not a re-sort of 20,000 records): declarations change seldom and
   * are listed often (the desk pages through 20,000), so a page is a filter over a sorted list.
   */
  readonly #sorted = new Map<string, { list: DeclarationRecord[]; compare: (a: DeclarationRecord, b: DeclarationRecord) => number }>();
  /**
   * The matches of recent filters (per order) and their aggregates, dropped on any change: the desk
   * asks the same filter for its page, its counts per status and its charts. Bounded (oldest out).
   */
  readonly #results = new Map<string, DeclarationRecord[]>();
  readonly #groups = new Map<string, DeclarationGroupRow[]>();
  constructor(
    col: ShardedCollection<DeclarationRecord>,
    journal: Committer,
    readonly refs: RefAllocator,
  ) {
    super(col, "declarations", journal);
    col.forEachHead((ref, [ownerId]) => {
      this.#byOwner.add(ownerId!, ref);
      refs.observe(ref);
    });
  }
  check(d: DeclarationRecord): void {
    requireKey(okId(d.ref), "declarations", "ref", d.ref);
    requireKey(okInt(d.ownerId), "declarations", "ownerId", d.ownerId);
  }
  protected override indexDelete(previous: DeclarationRecord): void {
    this.#changed(previous, undefined);
    this.#byOwner.remove(previous.ownerId, previous.ref);
  }
  protected override get indexed(): boolean {
    return true;
  }
  protected override indexPut(previous: DeclarationRecord | undefined, d: DeclarationRecord): void {
    this.#changed(previous, d);
    if (previous) this.#byOwner.remove(previous.ownerId, previous.ref);
    this.#byOwner.add(d.ownerId, d.ref);
    this.refs.observe(d.ref);
  }
  /** Moves the record in every sorted list; a list where the old record is not where it should be is rebuilt later. */
  #changed(previous: DeclarationRecord | undefined, next: DeclarationRecord | undefined): void {
    this.#results.clear();
    this.#groups.clear();
    for (const [key, { list, compare }] of this.#sorted) {
      if (previous) {
        const i = lowerBound(list, previous, compare);
        if (list[i] !== previous) {
          this.#sorted.delete(key);
          continue;
        }
        list.splice(i, 1);
      }
      if (next) list.splice(lowerBound(list, next, compare), 0, next);
    }
  }
  #owned(ownerId: number): DeclarationRecord[] {
    const out: DeclarationRecord[] = [];
    for (const ref of this.#byOwner.keys(ownerId)) {
      const d = this.col.get(ref);
      if (d) out.push(d);
    }
    return out;
  }
  /** The matches in order: an owner's few are sorted; otherwise the sorted list is filtered (and the result kept). */
  #ordered(filter: DeclarationFilter, sort: DeclarationSort = DEFAULT_DECLARATION_SORT): DeclarationRecord[] {
    if (filter.ownerId !== undefined) return this.#owned(filter.ownerId).filter(declarationMatcher(filter)).sort(declarationComparator(sort));
    const key = `${sort.by}:${sort.dir}`;
    let sorted = this.#sorted.get(key);
    if (!sorted) {
      const compare = declarationComparator(sort);
      this.#sorted.set(key, (sorted = { list: [...this.col.values()].sort(compare), compare }));
    }
    if (Object.keys(filter).length === 0) return sorted.list;
    const cacheKey = `${key}|${JSON.stringify(filter)}`;
    let matches = this.#results.get(cacheKey);
    if (!matches) {
      matches = sorted.list.filter(declarationMatcher(filter));
      remember(this.#results, cacheKey, matches);
    }
    return matches;
  }

  /**
   * The matches in any order, for counting and grouping: the list a page of the same filter already
   * made is reused (the desk asks for its page, then for the counts of the same filter).
   */
  #matching(filter: DeclarationFilter): DeclarationRecord[] {
    if (filter.ownerId === undefined && Object.keys(filter).length > 0) {
      const json = JSON.stringify(filter);
      for (const order of this.#sorted.keys()) {
        const made = this.#results.get(`${order}|${json}`);
        if (made) return made;
      }
    }
    return this.#ordered(filter);
  }

  async get(ref: string): Promise<DeclarationRecord | undefined> {
    return this.peek(ref);
  }
  async byOwner(ownerId: number): Promise<DeclarationRecord[]> {
    return this.#owned(ownerId).sort(declarationComparator());
  }
  async find(filter: DeclarationFilter, page: PageRequest, sort?: DeclarationSort): Promise<Page<DeclarationRecord>> {
    checkPage(page);
    return paged(this.#ordered(filter, sort), page);
  }
  async count(filter: DeclarationFilter = {}): Promise<number> {
    if (Object.keys(filter).length === 0) return this.col.size;
    return this.#matching(filter).length;
  }
  async aggregate(filter: DeclarationFilter, query: DeclarationAggregate): Promise<DeclarationGroupRow[]> {
    const key = `${JSON.stringify(query)}|${JSON.stringify(filter)}`;
    let rows = this.#groups.get(key);
    if (!rows) remember(this.#groups, key, (rows = aggregateDeclarations(this.#matching(filter), query)));
    // Copies: a caller may change the rows it gets.
    return rows.map((r) => ({ ...r }));
  }
  async *scan(filter: DeclarationFilter, sort: DeclarationSort = DEFAULT_DECLARATION_SORT): AsyncIterable<DeclarationRecord> {
    // The matching keys are sorted once; records are looked up a batch at a time, so one changed
    // (or deleted) during the scan is seen as it is then.
    const keys = filter.ownerId !== undefined || this.#sorted.has(`${sort.by}:${sort.dir}`) ? this.#ordered(filter, sort).map((d) => d.ref) : await this.#orderedKeysInSlices(filter, sort);
    for (let i = 0; i < keys.length; i += SCAN_BATCH) {
      const batch: DeclarationRecord[] = [];
      for (const ref of keys.slice(i, i + SCAN_BATCH)) {
        const d = this.col.peekTransient(ref);
        if (d) batch.push(d);
      }
      yield* batch;
      await Promise.resolve();
    }
  }
  put(declaration: DeclarationRecord): Promise<void> {
    return attempt(() => this.putNow(declaration));
  }

  /**
   * The matching keys in order, for a scan when no sorted list is kept yet: records are parsed
   * SCAN_BATCH at a time with the event loop free in between, and not kept parsed. Done in one go
   * (#ordered) it was one ~430 ms task at the start of a 20,000-row /export, a stall for every chat,
   * and it left all 20,000 parsed (measured, perf note). A key a put moves during the walk is seen once.
   */
  async #orderedKeysInSlices(filter: DeclarationFilter, sort: DeclarationSort): Promise<string[]> {
    // Every declaration by ref (/export): the keys are the refs, so no record need be parsed for the order.
    if (Object.keys(filter).length === 0 && sort.by === "ref") {
      const refs = [...this.col.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return sort.dir === "desc" ? refs.reverse() : refs;
    }
    const matches = declarationMatcher(filter);
    // Only what the order needs is kept: holding the parsed records until the sort kept 20,000 of
    // them alive through the walk (promoted to the old generation, a mark-compact mid-export).
    const found: Pick<DeclarationRecord, "ref" | DeclarationSort["by"]>[] = [];
    const seen = new Set<string>();
    for (const key of this.col.keys()) {
      if (seen.has(key)) continue;
      seen.add(key);
      const d = this.col.peekTransient(key);
      if (d && matches(d)) found.push({ ref: d.ref, submittedAt: d.submittedAt, updatedAt: d.updatedAt });
      if (seen.size % SCAN_BATCH === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return found.sort(declarationComparator(sort) as (a: (typeof found)[number], b: (typeof found)[number]) => number).map((d) => d.ref);
  }
}

export class Audit implements AuditRepo {
  /** Entries by target (a declaration's trail is asked for often; the log is long). */
  readonly #byTarget = new Map<string, AuditRecord[]>();
  constructor(
    readonly log: ChunkedLog<AuditRecord>,
    private readonly journal: Committer,
  ) {
    for (const e of log.entries()) this.#index(e);
  }
  #index(e: AuditRecord): void {
    if (e.target === undefined) return;
    const list = this.#byTarget.get(e.target);
    if (list) list.push(e);
    else this.#byTarget.set(e.target, [e]);
  }
  /** Adds the entry (the caller's own copy) under journal line `lsn`. */
  applyAppend(entry: AuditRecord, lsn: number): void {
    this.log.appendDeferred(entry, lsn);
    this.#index(entry);
  }
  appendNow(entry: AuditRecord): Promise<void> {
    const json = toJson(entry, "audit entry");
    const copy = JSON.parse(json) as AuditRecord;
    return this.journal.commit(`[{"c":"audit","op":"append","entry":${json}}]`, (lsn) => this.applyAppend(copy, lsn));
  }
  append(entry: AuditRecord): Promise<void> {
    return attempt(() => this.appendNow(entry));
  }
  #matching(filter: AuditFilter): AuditRecord[] {
    const match = auditMatcher(filter);
    const source = filter.target !== undefined ? (this.#byTarget.get(filter.target) ?? []) : this.log.entries();
    return source.filter(match);
  }
  async find(filter: AuditFilter, page: PageRequest): Promise<Page<AuditRecord>> {
    checkPage(page);
    return paged(this.#matching(filter).sort(auditComparator), page);
  }
  async count(filter: AuditFilter = {}): Promise<number> {
    if (Object.keys(filter).length === 0) return this.log.length;
    return this.#matching(filter).length;
  }
}

export class Deadlines extends Keyed<DeadlineRecord> implements DeadlineRepo {
  constructor(col: ShardedCollection<DeadlineRecord>, journal: Committer) {
    super(col, "deadlines", journal);
  }
  check(d: DeadlineRecord): void {
    requireKey(okId(d.id), "deadlines", "id", d.id);
  }
  async get(id: string): Promise<DeadlineRecord | undefined> {
    return this.peek(id);
  }
  async list(): Promise<DeadlineRecord[]> {
    return this.col.all().sort((a, b) => a.date.localeCompare(b.date) || a.id.localeCompare(b.id));
  }
  put(deadline: DeadlineRecord): Promise<void> {
    return attempt(() => this.putNow(deadline));
  }
  delete(id: string): Promise<void> {
    return this.deleteNow(id);
  }
}

export class Broadcasts extends Keyed<BroadcastRecord> implements BroadcastRepo {
  constructor(col: ShardedCollection<BroadcastRecord>, journal: Committer) {
    super(col, "broadcasts", journal);
  }
  check(b: BroadcastRecord): void {
    requireKey(okId(b.id), "broadcasts", "id", b.id);
  }
  #oldestFirst(): BroadcastRecord[] {
    return this.col.all().sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
  async get(id: string): Promise<BroadcastRecord | undefined> {
    return this.peek(id);
  }
  async unfinished(): Promise<BroadcastRecord[]> {
    return this.#oldestFirst().filter((b) => !b.finishedAt && !b.cancelledAt);
  }
  async list(page: PageRequest): Promise<Page<BroadcastRecord>> {
    return paged(this.#oldestFirst().reverse(), page);
  }
  put(broadcast: BroadcastRecord): Promise<void> {
    return attempt(() => this.putNow(broadcast));
  }
}

