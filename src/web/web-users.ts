/**
 * Web visitors are bot users in a reserved id range. Telegram user ids have at most 52 significant
 * bits, so ids from 2^52 up to Number.MAX_SAFE_INTEGER can never clash with a Telegram account,
 * and the same private-chat rule holds (chat id = user id).
 */
import { randomBytes } from "node:crypto";

export const WEB_USER_BASE = 2 ** 52;

export function isWebUser(id: number): boolean {
  return Number.isSafeInteger(id) && id >= WEB_USER_BASE;
}

/** A fresh visitor id: 48 random bits above the base (no counter to persist, collisions negligible). */
export function newWebUserId(): number {
  return WEB_USER_BASE + randomBytes(6).readUIntBE(0, 6);
}
