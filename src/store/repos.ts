/**
 * The repositories of types.ts on top of sharded collections and chunked logs. Reads come from
 * memory; put() keeps a copy of the record (so later changes by the caller do not leak into the
 * store unsaved; a record JSON cannot hold, e.g. with a BigInt or a cycle, is rejected) and
 * resolves when the record's shard is on disk. Returned records are the stored
 * objects: treat them as read-only and put a changed copy.
 */
import type { Plan } from "../knowledge/schema.js";
import type { ChunkedLog } from "./chunked-log.js";
import type { RefAllocator } from "./refs.js";
import type { ShardedCollection } from "./sharded-collection.js";
import type {
  AuditRecord,
  AuditRepo,
  BroadcastRecord,
  BroadcastRepo,
  DeadlineRecord,
  DeadlineRepo,
  DeclarationRecord,
  DeclarationRepo,
  DraftRecord,
  DraftRepo,
  SessionRecord,
  SessionRepo,
  StaffRole,
  UserRecord,
  UserRepo,
} from "./types.js";

function badKey(repo: string, what: string, value: unknown): Promise<never> {
  return Promise.reject(new TypeError(`${repo}.put: ${what} must be ${typeof value === "string" ? "non-empty" : "a valid key"}, got ${JSON.stringify(value)}`));
}

/** Runs a write; a synchronous throw (a record JSON cannot hold) becomes a rejected promise. */
function attempt(fn: () => Promise<void>): Promise<void> {
  try {
    return fn();
  } catch (e) {
    return Promise.reject(e);
  }
}

const okInt = (v: unknown): v is number => Number.isSafeInteger(v);
const okId = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/** Owner id → keys of that owner's records. */
class OwnerIndex {
  readonly #map = new Map<number, Set<string>>();

  add(owner: number, key: string): void {
    let set = this.#map.get(owner);
    if (!set) this.#map.set(owner, (set = new Set()));
    set.add(key);
  }

  remove(owner: number, key: string): void {
    const set = this.#map.get(owner);
    if (!set) return;
    set.delete(key);
    if (set.size === 0) this.#map.delete(owner);
  }

  keys(owner: number): Iterable<string> {
    return this.#map.get(owner) ?? [];
  }
}

export class Users implements UserRepo {
  /** Ids of users with any role: staff are few, users many (a submission notifies the staff). */
  readonly #withRoles = new Set<number>();
  constructor(private readonly col: ShardedCollection<UserRecord>) {
    for (const u of col.values()) if (u.roles.length > 0) this.#withRoles.add(u.id);
  }
  get(id: number): UserRecord | undefined {
    return this.col.get(String(id));
  }
  all(): UserRecord[] {
    return this.col.all();
  }
  withRole(role: StaffRole): UserRecord[] {
    const out: UserRecord[] = [];
    for (const id of this.#withRoles) {
      const u = this.get(id);
      if (u?.roles.includes(role)) out.push(u);
    }
    return out;
  }
  put(user: UserRecord): Promise<void> {
    if (!okInt(user.id)) return badKey("users", "id", user.id);
    return attempt(() => {
      const { done } = this.col.put(user);
      if (user.roles.length > 0) this.#withRoles.add(user.id);
      else this.#withRoles.delete(user.id);
      return done;
    });
  }
}

export class Sessions implements SessionRepo {
  constructor(private readonly col: ShardedCollection<SessionRecord>) {}
  get(userId: number): SessionRecord | undefined {
    return this.col.get(String(userId));
  }
  put(session: SessionRecord): Promise<void> {
    if (!okInt(session.userId)) return badKey("sessions", "userId", session.userId);
    return attempt(() => this.col.put(session).done);
  }
  delete(userId: number): Promise<void> {
    return this.col.delete(String(userId)).done;
  }
}

export class Drafts implements DraftRepo {
  readonly #byOwner = new OwnerIndex();
  constructor(private readonly col: ShardedCollection<DraftRecord>) {
    for (const d of col.values()) this.#byOwner.add(d.ownerId, d.id);
  }
  get(id: string): DraftRecord | undefined {
    return this.col.get(id);
  }
  /** Oldest first. */
  byOwner(ownerId: number): DraftRecord[] {
    const out: DraftRecord[] = [];
    for (const id of this.#byOwner.keys(ownerId)) {
      const d = this.col.get(id);
      if (d) out.push(d);
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
  all(): DraftRecord[] {
    return this.col.all();
  }
  put(draft: DraftRecord): Promise<void> {
    if (!okId(draft.id)) return badKey("drafts", "id", draft.id);
    if (!okInt(draft.ownerId)) return badKey("drafts", "ownerId", draft.ownerId);
    return attempt(() => {
      const { previous, done } = this.col.put(draft);
      if (previous) this.#byOwner.remove(previous.ownerId, previous.id);
      this.#byOwner.add(draft.ownerId, draft.id);
      return done;
    });
  }
  delete(id: string): Promise<void> {
    const { previous, done } = this.col.delete(id);
    if (previous) this.#byOwner.remove(previous.ownerId, previous.id);
    return done;
  }
}

export class Declarations implements DeclarationRepo {
  readonly #byOwner = new OwnerIndex();
  constructor(
    private readonly col: ShardedCollection<DeclarationRecord>,
    private readonly refs: RefAllocator,
  ) {
    for (const d of col.values()) {
      this.#byOwner.add(d.ownerId, d.ref);
      refs.observe(d.ref);
    }
  }
  get(ref: string): DeclarationRecord | undefined {
    return this.col.get(ref);
  }
  /** Oldest submission first. */
  byOwner(ownerId: number): DeclarationRecord[] {
    const out: DeclarationRecord[] = [];
    for (const ref of this.#byOwner.keys(ownerId)) {
      const d = this.col.get(ref);
      if (d) out.push(d);
    }
    return out.sort((a, b) => a.submittedAt.localeCompare(b.submittedAt) || a.ref.localeCompare(b.ref));
  }
  all(): DeclarationRecord[] {
    return this.col.all();
  }
  nextRef(plan: Plan, year: number): string {
    return this.refs.next(plan, year);
  }
  put(declaration: DeclarationRecord): Promise<void> {
    if (!okId(declaration.ref)) return badKey("declarations", "ref", declaration.ref);
    if (!okInt(declaration.ownerId)) return badKey("declarations", "ownerId", declaration.ownerId);
    return attempt(() => {
      const { previous, done } = this.col.put(declaration);
      if (previous) this.#byOwner.remove(previous.ownerId, previous.ref);
      this.#byOwner.add(declaration.ownerId, declaration.ref);
      this.refs.observe(declaration.ref);
      return done;
    });
  }
}

export class Audit implements AuditRepo {
  constructor(private readonly log: ChunkedLog<AuditRecord>) {}
  append(entry: AuditRecord): Promise<void> {
    return attempt(() => this.log.append(entry));
  }
  /** Oldest first. */
  all(): AuditRecord[] {
    return this.log.entries();
  }
}

export class Deadlines implements DeadlineRepo {
  constructor(private readonly col: ShardedCollection<DeadlineRecord>) {}
  get(id: string): DeadlineRecord | undefined {
    return this.col.get(id);
  }
  /** By date, then id. */
  all(): DeadlineRecord[] {
    return this.col.all().sort((a, b) => a.date.localeCompare(b.date) || a.id.localeCompare(b.id));
  }
  put(deadline: DeadlineRecord): Promise<void> {
    if (!okId(deadline.id)) return badKey("deadlines", "id", deadline.id);
    return attempt(() => this.col.put(deadline).done);
  }
  delete(id: string): Promise<void> {
    return this.col.delete(id).done;
  }
}

export class Broadcasts implements BroadcastRepo {
  constructor(private readonly col: ShardedCollection<BroadcastRecord>) {}
  get(id: string): BroadcastRecord | undefined {
    return this.col.get(id);
  }
  /** Oldest first. */
  all(): BroadcastRecord[] {
    return this.col.all().sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
  put(broadcast: BroadcastRecord): Promise<void> {
    if (!okId(broadcast.id)) return badKey("broadcasts", "id", broadcast.id);
    return attempt(() => this.col.put(broadcast).done);
  }
}
