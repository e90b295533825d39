/** Progress figures and exports for staff: served by the store's aggregates and scans, never by loading every declaration. */
import { declarationStats, type SubProjectStats } from "../domain/stats.js";
import type { DeclarationFilter, DeclarationRecord, DeclarationSort } from "../store/types.js";
import { isStaff } from "./access.js";
import { STAFF_ONLY, nowIso, refuse, type Outcome, type ServiceDeps } from "./context.js";

/** Per sub-project: declarations by status, drafts, planned trainees against the guide's quota; and the withdrawn count. */
export async function statistics(deps: ServiceDeps, userId: number): Promise<Outcome<{ rows: SubProjectStats[]; withdrawn: number }>> {
  if (!(await isStaff(deps, userId))) return refuse("staffOnly", STAFF_ONLY);
  const store = deps.store;
  const [declarations, drafts, withdrawn] = await Promise.all([store.declarations.aggregate({}, { by: ["subProjectId", "status"] }), store.drafts.countBySubProject(), store.declarations.count({ status: "withdrawn" })]);
  return { ok: true, rows: declarationStats(deps.knowledge, declarations, drafts), withdrawn, notify: [] };
}

/**
 * Every declaration (all statuses, in reference order) for the CSV/XLSX export, as a scan the export
 * pages through (never held whole), and owners' names a batch at a time.
 * Exported data holds contacts' phone numbers and e-mails: who took it is recorded in the audit trail.
 */
export async function exportRows(
  deps: ServiceDeps,
  userId: number,
  // The desk exports its current filter (and order); /export everything in reference order.
  filter: DeclarationFilter = {},
  sort: DeclarationSort = { by: "ref", dir: "asc" },
): Promise<Outcome<{ count: number; declarations: AsyncIterable<DeclarationRecord>; ownerNames: (ids: number[]) => Promise<Map<number, string>> }>> {
  if (!(await isStaff(deps, userId))) return refuse("staffOnly", STAFF_ONLY);
  const store = deps.store;
  const count = await store.declarations.count(filter);
  if (count) await store.audit.append({ at: nowIso(deps), actor: userId, action: "declarations.exported", detail: { rows: count, ...(Object.keys(filter).length ? { filter } : {}) } });
  return {
    ok: true,
    count,
    declarations: store.declarations.scan(filter, sort),
    ownerNames: async (ids) => new Map(await Promise.all(ids.map(async (id) => [id, (await store.users.get(id))?.name ?? ""] as const))),
    notify: [],
  };
}
