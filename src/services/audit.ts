/** The audit trail as staff read it: who did what to a declaration, oldest first. */
import type { AuditRecord, Page } from "../store/types.js";
import { isStaff } from "./access.js";
import { STAFF_ONLY, refuse, type Outcome, type ServiceDeps } from "./context.js";
import { REF } from "./declarations.js";

/** Entries shown for one declaration (a declaration sees a handful: submit, revisions, reviews, exports). */
export const TRAIL_LIMIT = 200;

export async function declarationTrail(deps: ServiceDeps, userId: number, ref: string): Promise<Outcome<{ trail: Page<AuditRecord> }>> {
  if (!(await isStaff(deps, userId))) return refuse("staffOnly", STAFF_ONLY);
  if (!REF.test(ref)) return { ok: true, trail: { items: [], total: 0 }, notify: [] };
  return { ok: true, trail: await deps.store.audit.find({ target: ref }, { limit: TRAIL_LIMIT }), notify: [] };
}
