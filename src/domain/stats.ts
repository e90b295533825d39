/** Declarations and drafts per sub-project against the guide's planned quota (for /stats and digests). */
import type { Knowledge, Quota } from "../knowledge/schema.js";
import type { DeclarationRecord, DraftRecord } from "../store/types.js";

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

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

export function declarationStats(k: Knowledge, declarations: Iterable<DeclarationRecord>, drafts: Iterable<DraftRecord>): SubProjectStats[] {
  const rows = new Map<string, SubProjectStats>(
    k.subProjects.map((sp) => {
      const quota = sp.quota.find((q) => q.unit === "人");
      return [sp.id, { subProjectId: sp.id, name: sp.name, submitted: 0, approved: 0, returned: 0, drafts: 0, plannedPeople: 0, ...(quota ? { quota } : {}) }];
    }),
  );
  for (const d of declarations) {
    const row = rows.get(d.subProjectId);
    if (!row || d.status === "withdrawn") continue;
    row[d.status] += 1;
    if (isNumber(d.answers.people)) row.plannedPeople += d.answers.people;
  }
  for (const d of drafts) {
    const row = typeof d.answers.subProject === "string" ? rows.get(d.answers.subProject) : undefined;
    if (row) row.drafts += 1;
  }
  return [...rows.values()];
}
