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

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** YYYY-MM-DD of an instant in a time zone. */
export function dayIn(instant: string, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) dayFormats.set(timeZone, (format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })));
  const parts = format.formatToParts(new Date(instant));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** Minutes the zone is ahead of UTC at an instant (ms). */
function offsetMinutes(ms: number, timeZone: string): number {
  let format = clockFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
    clockFormats.set(timeZone, format);
  }
  const p = Object.fromEntries(format.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const local = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute));
  return Math.round((local - (ms - (ms % 60_000))) / 60_000);
}

/**
 * dayIn for many instants. Intl formatting is slow, so the zone's offset is looked up once per UTC
 * day (at its first and last minute); on a day whose offset changes (a DST switch) each instant is
 * formatted.
 */
export function dayCounter(timeZone: string): (instant: string) => string {
  /** UTC date → the zone's offset that whole day (null: it changes that day) and the dates either side. */
  const days = new Map<string, { offset: number | null; prev: string; next: string }>();
  const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
  return (instant) => {
    if (!ISO_Z.test(instant)) return dayIn(instant, timeZone);
    const utcDay = instant.slice(0, 10);
    let day = days.get(utcDay);
    if (!day) {
      const start = Date.parse(`${utcDay}T00:00:00.000Z`);
      const a = offsetMinutes(start, timeZone);
      const offset = a === offsetMinutes(start + 86_340_000, timeZone) ? a : null;
      const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      days.set(utcDay, (day = { offset, prev: iso(start - 86_400_000), next: iso(start + 86_400_000) }));
    }
    if (day.offset === null) return dayIn(instant, timeZone);
    const minute = Number(instant.slice(11, 13)) * 60 + Number(instant.slice(14, 16)) + day.offset;
    return minute < 0 ? day.prev : minute >= 1440 ? day.next : utcDay;
  };
}

export function peopleOf(d: DeclarationRecord): number {
  const p = d.answers.people;
  return typeof p === "number" && Number.isFinite(p) ? p : 0;
}

/** Groups declarations as DeclarationRepo.aggregate does. */
export function aggregateDeclarations(records: Iterable<DeclarationRecord>, query: DeclarationAggregate): DeclarationGroupRow[] {
  if (query.by.includes("day") && !query.timeZone) throw new TypeError("aggregate by day needs a timeZone");
  const rows = new Map<string, DeclarationGroupRow>();
  const by = new Set(query.by);
  const dayOf = by.has("day") ? dayCounter(query.timeZone!) : undefined;
  for (const d of records) {
    const day = dayOf?.(d.submittedAt);
    const key = `${by.has("status") ? d.status : ""}\u0000${by.has("plan") ? d.plan : ""}\u0000${by.has("subProjectId") ? d.subProjectId : ""}\u0000${day ?? ""}`;
    let row = rows.get(key);
    if (!row) {
      row = { count: 0, people: 0 };
      if (by.has("status")) row.status = d.status;
      if (by.has("plan")) row.plan = d.plan;
      if (by.has("subProjectId")) row.subProjectId = d.subProjectId;
      if (day !== undefined) row.day = day;
      rows.set(key, row);
    }
    row.count += 1;
    row.people += peopleOf(d);
  }
  // Keys in a fixed order (status, plan, subProjectId, day, count, people), as the SQL rows have them.
  return [...rows.values()].map(({ count, people, ...keys }) => ({ ...keys, count, people }));
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
