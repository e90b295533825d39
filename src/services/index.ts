/**
 * The service layer: each function takes the ServiceDeps (built once by the transport from its own
 * dependencies) and the acting user's id first. Nothing here knows Telegram, the terminal or HTTP.
 */
export * as access from "./access.js";
export * as audit from "./audit.js";
export * as codes from "./codes.js";
export * as deadlines from "./deadlines.js";
export * as declarations from "./declarations.js";
export * as review from "./review.js";
export * as roles from "./roles.js";
export * as subscriptions from "./subscriptions.js";
export type { Notice, NoticeLink, Outcome, Refused, ServiceDeps } from "./context.js";
