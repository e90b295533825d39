/**
 * What every service needs, and what it gives back. Services are the workflow: they check role and
 * ownership from the acting user's id (never from ids a button, a cookie or a form carried), write
 * the audit trail, and return what to tell whom. Delivering a notice is the transport's job
 * (Telegram, the terminal, the web), so a service never sends anything itself.
 */
import type { Knowledge } from "../knowledge/schema.js";
import type { Store } from "../store/types.js";

export interface ServiceDeps {
  store: Store;
  knowledge: Knowledge;
  /** Admins come from configuration (ADMIN_IDS), not from the store. */
  adminIds: readonly number[];
  /** IANA zone deadlines and days are counted in. */
  timeZone: string;
  now(): Date;
}

/** Where a notice leads the reader: transports turn it into a button or a link. */
export type NoticeLink = { kind: "declaration"; ref: string } | { kind: "review"; ref: string };

/** A message for another person, HTML (the Telegram subset), delivered by the transport after the change is stored. */
export interface Notice {
  userId: number;
  /** The recipient's private chat, where the service already read it (a staff list): saves a lookup per notice. */
  chatId?: number;
  text: string;
  link?: NoticeLink;
}

/** Why a service said no. `message` is ready to show (Chinese, HTML-escaped). */
export type RefusalCode = "denied" | "staffOnly" | "adminOnly" | "state" | "deadline" | "ownDeclaration" | "invalid" | "limit" | "expired";

export interface Refused {
  ok: false;
  code: RefusalCode;
  message: string;
}

export type Outcome<T> = ({ ok: true; notify: Notice[] } & T) | Refused;

/** Said for forged, foreign and stale ids alike, so a guess reveals nothing. */
export const DENIED = "已过期或无权操作";
export const STAFF_ONLY = "抱歉，此功能仅限协调员和管理员使用。如需开通，请联系管理员。";
export const ADMIN_ONLY = "抱歉，只有管理员可以进行此操作。";

export const refuse = (code: RefusalCode, message: string): Refused => ({ ok: false, code, message });
export const denied = (): Refused => refuse("denied", DENIED);

export const nowIso = (deps: ServiceDeps): string => deps.now().toISOString();
