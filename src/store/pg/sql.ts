/**
 * The contract's filters and sorts (src/store/queries.ts says what they mean) as SQL WHERE and ORDER BY
 * clauses over the generated columns of migrations/001_init.sql. Values always travel as parameters;
 * only fixed column names and directions are spliced in.
 */
import type { Plan } from "../../knowledge/schema.js";
import { listOf } from "../queries.js";
import {
  DEFAULT_DECLARATION_SORT,
  type AudienceQuery,
  type AuditFilter,
  type DeclarationFilter,
  type DeclarationSort,
  type DraftFilter,
  type DraftScope,
} from "../types.js";

/** Collects parameter values and hands out their $n placeholders. */
export class Params {
  readonly values: unknown[] = [];
  add(v: unknown): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

const where = (conds: string[]) => (conds.length ? `WHERE ${conds.join(" AND ")}` : "");

/** `col = ANY($n)` for a one-or-many filter; an empty list matches nothing. */
function anyOf<T>(p: Params, col: string, v: T | readonly T[] | undefined, conds: string[]): void {
  const list = listOf(v);
  if (list === undefined) return;
  conds.push(list.length ? `${col} = ANY(${p.add([...list])})` : "false");
}

export function declarationWhere(f: DeclarationFilter, p: Params): string {
  const c: string[] = [];
  if (f.ownerId !== undefined) c.push(`owner_id = ${p.add(f.ownerId)}`);
  anyOf(p, "status", f.status, c);
  anyOf(p, "plan", f.plan, c);
  anyOf(p, "sub_project_id", f.subProjectId, c);
  if (f.institution !== undefined) c.push(`institution = ${p.add(f.institution)}`);
  if (f.text) {
    // strpos, not LIKE: the text is plain (no wildcards to escape)
    const t = p.add(f.text.toLowerCase());
    c.push(`(strpos(lower(ref), ${t}) > 0 OR strpos(lower(coalesce(institution, '')), ${t}) > 0)`);
  }
  if (f.submittedFrom !== undefined) c.push(`submitted_at >= ${p.add(f.submittedFrom)}`);
  if (f.submittedTo !== undefined) c.push(`submitted_at < ${p.add(f.submittedTo)}`);
  if (f.fromDraft !== undefined) c.push(`from_draft = ${p.add(f.fromDraft)}`);
  return where(c);
}

const SORT_COLUMNS: Record<DeclarationSort["by"], string> = { submittedAt: "submitted_at", updatedAt: "updated_at", ref: "ref" };

/** ORDER BY for a sort; ties by ref ascending, so pages never overlap. */
export function declarationOrder(sort: DeclarationSort = DEFAULT_DECLARATION_SORT): string {
  const dir = sort.dir === "desc" ? "DESC" : "ASC";
  const col = SORT_COLUMNS[sort.by];
  return col === "ref" ? `ORDER BY ref ${dir}` : `ORDER BY ${col} ${dir}, ref ASC`;
}

const PLANS: readonly Plan[] = ["guopei", "qupei"];

/** matchesDraftScope() in SQL, for the drafts table aliased `alias`. */
export function draftScopeSql(scope: DraftScope, p: Params, alias = "drafts"): string {
  const sub = `${alias}.sub_project`;
  const plan = `${alias}.plan_answer`;
  const known = p.add([...PLANS]);
  const parts = [`(${sub} IS NOT NULL AND ${sub} = ANY(${p.add([...scope.subProjectIds])}))`];
  parts.push(`(${sub} IS NULL AND ${plan} = ANY(${known}) AND ${plan} = ANY(${p.add([...scope.plans])}))`);
  if (scope.includeUnplaced) parts.push(`(${sub} IS NULL AND (${plan} IS NULL OR NOT (${plan} = ANY(${known}))))`);
  return `(${parts.join(" OR ")})`;
}

export function draftWhere(f: DraftFilter, p: Params): string {
  const c: string[] = [];
  if (f.ownerId !== undefined) c.push(`owner_id = ${p.add(f.ownerId)}`);
  if (f.scope !== undefined) c.push(draftScopeSql(f.scope, p));
  if (f.updatedBefore !== undefined) c.push(`updated_at < ${p.add(f.updatedBefore)}`);
  if (f.revises !== undefined) c.push(`revises = ${p.add(f.revises)}`);
  return where(c);
}

/** inAudience() in SQL, for the users table aliased u. */
export function audienceSql(q: AudienceQuery, p: Params): string {
  const owns = q.draftScope ? `EXISTS (SELECT 1 FROM drafts d WHERE d.owner_id = u.id AND ${draftScopeSql(q.draftScope, p, "d")})` : "EXISTS (SELECT 1 FROM drafts d WHERE d.owner_id = u.id)";
  return `u.reachable AND (u.subscribed OR (NOT u.opted_out AND (u.doc->'roles' ? 'coordinator' OR u.id = ANY(${p.add([...q.adminIds])}) OR ${owns})))`;
}

export function auditWhere(f: AuditFilter, p: Params): string {
  const c: string[] = [];
  if (f.target !== undefined) c.push(`target = ${p.add(f.target)}`);
  if (f.actor !== undefined) c.push(`actor = ${p.add(f.actor)}`);
  anyOf(p, "action", f.action, c);
  if (f.from !== undefined) c.push(`at >= ${p.add(f.from)}`);
  if (f.to !== undefined) c.push(`at < ${p.add(f.to)}`);
  return where(c);
}
