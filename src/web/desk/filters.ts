/**
 * The desk's filter, sort and page as URL query parameters: parsed strictly (anything unknown is
 * dropped, never passed on), turned into the store's DeclarationFilter, and written back into links,
 * so every view (table, export, charts) of one filter is a plain bookmarkable GET.
 */
import type { Knowledge, Plan } from "../../knowledge/schema.js";
import type { DeclarationFilter, DeclarationSort, DeclarationStatus } from "../../store/types.js";
import { zonedDayStart } from "./time.js";

export const PAGE_SIZE = 50;
const STATUSES: readonly DeclarationStatus[] = ["submitted", "approved", "returned", "withdrawn"];
const PLANS: readonly Plan[] = ["guopei", "qupei"];
const SORTS: readonly DeclarationSort["by"][] = ["submittedAt", "updatedAt", "ref"];

export interface DeskQuery {
  plan?: Plan;
  sub?: string;
  status?: DeclarationStatus;
  /** Institution or reference number, a substring. */
  q?: string;
  /** YYYY-MM-DD, inclusive, in the configured zone. */
  from?: string;
  to?: string;
  sort: DeclarationSort;
  page: number;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function parseDeskQuery(params: Record<string, string | undefined>, k: Knowledge): DeskQuery {
  const q: DeskQuery = { sort: { by: "submittedAt", dir: "desc" }, page: 1 };
  if (PLANS.includes(params.plan as Plan)) q.plan = params.plan as Plan;
  if (params.sub && k.subProjects.some((s) => s.id === params.sub)) q.sub = params.sub;
  if (STATUSES.includes(params.status as DeclarationStatus)) q.status = params.status as DeclarationStatus;
  const text = (params.q ?? "").trim().slice(0, 60);
  if (text) q.q = text;
  if (params.from && DAY.test(params.from)) q.from = params.from;
  if (params.to && DAY.test(params.to)) q.to = params.to;
  if (SORTS.includes(params.sort as DeclarationSort["by"])) q.sort = { by: params.sort as DeclarationSort["by"], dir: params.dir === "asc" ? "asc" : "desc" };
  const page = Number(params.page);
  if (Number.isInteger(page) && page >= 1 && page <= 100_000) q.page = page;
  return q;
}

/** The store filter; `without` drops one key (counts per status are shown for the rest of the filter). */
export function toFilter(q: DeskQuery, timeZone: string, without?: "status"): DeclarationFilter {
  const f: DeclarationFilter = {};
  if (q.plan) f.plan = q.plan;
  if (q.sub) f.subProjectId = q.sub;
  if (q.status && without !== "status") f.status = q.status;
  if (q.q) f.text = q.q;
  if (q.from) f.submittedFrom = zonedDayStart(q.from, timeZone).toISOString();
  if (q.to) f.submittedTo = zonedDayStart(q.to, timeZone, 1).toISOString();
  return f;
}

/** The query string for this filter with some keys changed (undefined removes one). */
export function queryString(q: DeskQuery, change: Partial<Record<"plan" | "sub" | "status" | "q" | "from" | "to" | "sort" | "dir" | "page", string | undefined>> = {}): string {
  const base: Record<string, string | undefined> = {
    plan: q.plan,
    sub: q.sub,
    status: q.status,
    q: q.q,
    from: q.from,
    to: q.to,
    sort: q.sort.by === "submittedAt" && q.sort.dir === "desc" ? undefined : q.sort.by,
    dir: q.sort.by === "submittedAt" && q.sort.dir === "desc" ? undefined : q.sort.dir,
    page: q.page > 1 ? String(q.page) : undefined,
  };
  const merged = { ...base, ...change };
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(merged)) if (value) params.set(key, value);
  const s = params.toString();
  return s ? `?${s}` : "";
}
