/** Progress figures and exports for staff: served by the store's aggregates and scans, never by loading every declaration. */
import { declarationStats, type SubProjectStats } from "../domain/stats.js";
import type { DeclarationRecord } from "../store/types.js";
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
 * Every declaration (all statuses, in reference order) with its owner's name, for the CSV/XLSX export.
 * Exported data holds contacts' phone numbers and e-mails: who took it is recorded in the audit trail.
 */
export async function exportRows(deps: ServiceDeps, userId: number): Promise<Outcome<{ declarations: DeclarationRecord[]; ownerName: (id: number) => string }>> {
  if (!(await isStaff(deps, userId))) return refuse("staffOnly", STAFF_ONLY);
  const store = deps.store;
  const declarations: DeclarationRecord[] = [];
  for await (const d of store.declarations.scan({}, { by: "ref", dir: "asc" })) declarations.push(d);
  const names = new Map<number, string>();
  for (const id of new Set(declarations.map((d) => d.ownerId))) names.set(id, (await store.users.get(id))?.name ?? "");
  if (declarations.length) await store.audit.append({ at: nowIso(deps), actor: userId, action: "declarations.exported", detail: { rows: declarations.length } });
  return { ok: true, declarations, ownerName: (id) => names.get(id) ?? "", notify: [] };
}
