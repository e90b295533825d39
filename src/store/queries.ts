/**
 * The meaning of the contract's filters, sorts and groupings as plain functions. The embedded store
 * runs them over its in-memory records; the PostgreSQL store says the same in SQL, and the contract
 * suite checks that both agree. Pure: no I/O.
 */
import type { Plan } from "../knowledge/schema.js";
import {
  DEFAULT_DECLARATION_SORT,
  type AudienceQuery,
  type AuditFilter,
  type AuditRecord,
  type DeclarationAggregate,
  type DeclarationFilter,
  type DeclarationGroupRow,
  type DeclarationRecord,
  type DeclarationSort,
  type DraftFilter,
  type DraftRecord,
  type DraftScope,
  type IdCursor,
  type OneOrMany,
  type PageRequest,
  type UserRecord,
} from "./types.js";

export const MAX_PAGE = 1000;
export const MAX_CURSOR_PAGE = 5000;

/** Checks a page request; a bad one is a programming error, so it throws. */
export function checkPage(page: PageRequest): { limit: number; offset: number } {
  const offset = page.offset ?? 0;
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_PAGE) throw new RangeError(`page limit must be 1–${MAX_PAGE}, got ${page.limit}`);
  if (!Number.isInteger(offset) || offset < 0) throw new RangeError(`page offset must be a whole number ≥ 0, got ${offset}`);
  return { limit: page.limit, offset };
}

export function checkCursor(page: IdCursor): { after: number; limit: number } {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > MAX_CURSOR_PAGE) throw new RangeError(`cursor limit must be 1–${MAX_CURSOR_PAGE}, got ${page.limit}`);
  if (page.after !== undefined && !Number.isSafeInteger(page.after)) throw new RangeError(`cursor "after" must be an integer, got ${page.after}`);
  return { after: page.after ?? Number.NEGATIVE_INFINITY, limit: page.limit };
}

export function listOf<T>(v: OneOrMany<T> | undefined): readonly T[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? (v as readonly T[]) : [v as T];
}

const institutionOf = (d: DeclarationRecord): string | undefined => (typeof d.answers.institution === "string" ? d.answers.institution : undefined);

/** Is this declaration in the filter? */
export function declarationMatcher(filter: DeclarationFilter): (d: DeclarationRecord) => boolean {
  const status = listOf(filter.status);
  const plan = listOf(filter.plan);
  const sub = listOf(filter.subProjectId);
  const text = filter.text?.toLowerCase();
  return (d) =>
    (filter.ownerId === undefined || d.ownerId === filter.ownerId) &&
    (status === undefined || status.includes(d.status)) &&
    (plan === undefined || plan.includes(d.plan)) &&
    (sub === undefined || sub.includes(d.subProjectId)) &&
    (filter.institution === undefined || institutionOf(d) === filter.institution) &&
    (text === undefined || text === "" || d.ref.toLowerCase().includes(text) || (institutionOf(d)?.toLowerCase().includes(text) ?? false)) &&
    (filter.submittedFrom === undefined || d.submittedAt >= filter.submittedFrom) &&
    (filter.submittedTo === undefined || d.submittedAt < filter.submittedTo) &&
    (filter.fromDraft === undefined || d.fromDraft === filter.fromDraft);
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The sort as a comparator; ties are broken by ref ascending, so pages never overlap. */
export function declarationComparator(sort: DeclarationSort = DEFAULT_DECLARATION_SORT): (a: DeclarationRecord, b: DeclarationRecord) => number {
  const sign = sort.dir === "desc" ? -1 : 1;
  const key = sort.by;
  return (a, b) => sign * byCodeUnits(a[key], b[key]) || byCodeUnits(a.ref, b.ref);
}

/** YYYY-MM-DD of an instant in a time zone. */
export function dayIn(instant: string, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(new Date(instant));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

export function peopleOf(d: DeclarationRecord): number {
  const p = d.answers.people;
  return typeof p === "number" && Number.isFinite(p) ? p : 0;
}

/** Groups declarations as DeclarationRepo.aggregate does. */
export function aggregateDeclarations(records: Iterable<DeclarationRecord>, query: DeclarationAggregate): DeclarationGroupRow[] {
  if (query.by.includes("day") && !query.timeZone) throw new TypeError("aggregate by day needs a timeZone");
  const rows = new Map<string, DeclarationGroupRow>();
  const days = new Map<string, string>(); // Intl formatting is slow: once per distinct instant
  for (const d of records) {
    const row: DeclarationGroupRow = { count: 0, people: 0 };
    for (const k of query.by) {
      if (k === "status") row.status = d.status;
      else if (k === "plan") row.plan = d.plan;
      else if (k === "subProjectId") row.subProjectId = d.subProjectId;
      else {
        let day = days.get(d.submittedAt);
        if (day === undefined) days.set(d.submittedAt, (day = dayIn(d.submittedAt, query.timeZone!)));
        row.day = day;
      }
    }
    const key = JSON.stringify([row.status, row.plan, row.subProjectId, row.day]);
    const acc = rows.get(key) ?? row;
    acc.count += 1;
    acc.people += peopleOf(d);
    rows.set(key, acc);
  }
  return [...rows.values()];
}

const PLANS: readonly Plan[] = ["guopei", "qupei"];

export function matchesDraftScope(d: DraftRecord, scope: DraftScope): boolean {
  const sp = d.answers.subProject;
  if (typeof sp === "string") return scope.subProjectIds.includes(sp);
  const plan = d.answers.plan;
  if (typeof plan === "string" && (PLANS as readonly string[]).includes(plan)) return scope.plans.includes(plan as Plan);
  return scope.includeUnplaced;
}

export function draftMatcher(filter: DraftFilter): (d: DraftRecord) => boolean {
  return (d) =>
    (filter.ownerId === undefined || d.ownerId === filter.ownerId) &&
    (filter.scope === undefined || matchesDraftScope(d, filter.scope)) &&
    (filter.updatedBefore === undefined || d.updatedAt < filter.updatedBefore) &&
    (filter.revises === undefined || d.revises === filter.revises);
}

export const draftComparator = (a: DraftRecord, b: DraftRecord) => byCodeUnits(a.updatedAt, b.updatedAt) || byCodeUnits(a.id, b.id);

/** AudienceQuery's rule for one user; `ownsDraftInScope` says whether they own a matching draft. */
export function inAudience(u: UserRecord, query: AudienceQuery, ownsDraftInScope: (id: number) => boolean): boolean {
  if (!u.reachable) return false;
  if (u.subscribed) return true;
  if (u.unsubscribedAt) return false;
  return u.roles.includes("coordinator") || query.adminIds.includes(u.id) || ownsDraftInScope(u.id);
}

export function auditMatcher(filter: AuditFilter): (a: AuditRecord) => boolean {
  const actions = listOf(filter.action);
  return (a) =>
    (filter.target === undefined || a.target === filter.target) &&
    (filter.actor === undefined || a.actor === filter.actor) &&
    (actions === undefined || actions.includes(a.action)) &&
    (filter.from === undefined || a.at >= filter.from) &&
    (filter.to === undefined || a.at < filter.to);
}

/** Stable sort by `at` (entries of the same instant keep the order they were appended in). */
export const auditComparator = (a: AuditRecord, b: AuditRecord) => byCodeUnits(a.at, b.at);
