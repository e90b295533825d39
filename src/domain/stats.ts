/** Declarations and drafts per sub-project against the guide's planned quota (for /stats and digests). */
import type { Knowledge, Quota } from "../knowledge/schema.js";

export interface SubProjectStats {
  subProjectId: string;
  name: string;
  /** Declarations not withdrawn, by status. */
  submitted: number;
  approved: number;
  returned: number;
  drafts: number;
  /** Trainees (人) planned by live declarations, against the 人 quota if the guide gives one. */
  plannedPeople: number;
  quota?: Quota;
}

/** Declarations counted per sub-project and status, with their planned trainees (the store's aggregate). */
export interface DeclarationCounts {
  subProjectId?: string;
  status?: "submitted" | "approved" | "returned" | "withdrawn";
  count: number;
  people: number;
}

/** Rows for every sub-project of the guide, from counts grouped by sub-project and status. */
export function declarationStats(k: Knowledge, declarations: Iterable<DeclarationCounts>, drafts: Iterable<{ subProjectId: string; count: number }>): SubProjectStats[] {
  const rows = new Map<string, SubProjectStats>(
    k.subProjects.map((sp) => {
      const quota = sp.quota.find((q) => q.unit === "人");
      return [sp.id, { subProjectId: sp.id, name: sp.name, submitted: 0, approved: 0, returned: 0, drafts: 0, plannedPeople: 0, ...(quota ? { quota } : {}) }];
    }),
  );
  for (const c of declarations) {
    const row = c.subProjectId === undefined ? undefined : rows.get(c.subProjectId);
    if (!row || !c.status || c.status === "withdrawn") continue;
    row[c.status] += c.count;
    row.plannedPeople += c.people;
  }
  for (const d of drafts) {
    const row = rows.get(d.subProjectId);
    if (row) row.drafts += d.count;
  }
  return [...rows.values()];
}
