/**
 * A user's open conversation (which flow or pending step, and its state), for the transports that
 * keep one outside the flow runner: the reviewer's pending return comment. Kept in the store so it
 * survives a restart.
 */
import { randomBytes } from "node:crypto";
import type { SessionRecord } from "../store/types.js";
import { nowIso, type ServiceDeps } from "./context.js";

export async function currentSession(deps: ServiceDeps, userId: number): Promise<SessionRecord | undefined> {
  return deps.store.sessions.get(userId);
}

export async function openSession(deps: ServiceDeps, userId: number, flow: string, state: Record<string, unknown>): Promise<SessionRecord> {
  const record: SessionRecord = { userId, flow, nonce: randomBytes(4).toString("base64url"), state, updatedAt: nowIso(deps) };
  await deps.store.sessions.put(record);
  return record;
}

export async function closeSession(deps: ServiceDeps, userId: number): Promise<void> {
  await deps.store.sessions.delete(userId);
}
