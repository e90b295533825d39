/**
 * Carrying an institution contact's drafts between Telegram and the web: the drafts change owner,
 * and the old owner's open form (if it was one of them) is closed, so nothing typed on the old
 * side afterwards is silently dropped. Recorded in the audit trail.
 */
import type { Store } from "../store/types.js";

export interface CarryResult {
  moved: number;
}

export async function carryDrafts(store: Store, from: number, to: number, now: Date): Promise<CarryResult> {
  if (from === to) return { moved: 0 };
  const drafts = await store.drafts.byOwner(from);
  const at = now.toISOString();
  for (const d of drafts) await store.drafts.put({ ...d, ownerId: to, updatedAt: at });
  const session = await store.sessions.get(from);
  if (session && drafts.length) await store.sessions.delete(from);
  await store.audit.append({ at, actor: to, action: "drafts.carried", detail: { from, to, drafts: drafts.map((d) => d.id) } });
  return { moved: drafts.length };
}
