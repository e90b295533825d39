import type { Context } from "grammy";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { SearchIndex } from "../nlu/search.js";
import type { Outcome } from "../answers/outcome.js";
import type { Knowledge } from "../knowledge/schema.js";
import { isStaff } from "../services/access.js";
import type { ServiceDeps } from "../services/context.js";
import type { Store, UserRecord } from "../store/types.js";

/** Everything a feature may use; built once in main.ts (or by a test). */
export interface Deps {
  config: Config;
  knowledge: Knowledge;
  search: SearchIndex;
  store: Store;
  logger: Logger;
  /** The clock, injectable for tests. */
  now(): Date;
  /** Runs a reminder/broadcast job without blocking the update that asked for it. */
  background(task: () => Promise<unknown>, what: string): void;
  /** Sees the outcome of every free-text answer (the evaluation harness; logging of what was not understood). */
  onOutcome?(userId: number, outcome: Outcome): void;
}

/** Deps for a running bot, with a tracker of background jobs so a shutdown can wait for them (`settle`). */
export function createDeps(parts: Omit<Deps, "background" | "now"> & { now?: () => Date }): Deps & { settle(): Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  return {
    now: () => new Date(),
    ...parts,
    background(task, what) {
      const p = task()
        .catch((err: unknown) => parts.logger.error({ err }, `${what} failed`))
        .finally(() => pending.delete(p));
      pending.add(p);
    },
    async settle() {
      await Promise.allSettled(pending);
    },
  };
}

export interface BotFlavor {
  deps: Deps;
  /** The sender's stored record (private chats only). */
  account: UserRecord;
  log: Logger;
}

export type BotContext = Context & BotFlavor;

const serviceDeps = new WeakMap<Deps, ServiceDeps>();

/** What the services need, taken from the bot's dependencies (features reach the store only through services). */
export function servicesOf(deps: Deps): ServiceDeps {
  let s = serviceDeps.get(deps);
  if (!s) {
    s = { store: deps.store, knowledge: deps.knowledge, adminIds: deps.config.ADMIN_IDS, timeZone: deps.config.TZ, now: () => deps.now() };
    serviceDeps.set(deps, s);
  }
  return s;
}

export function isAdmin(deps: Deps, userId: number): boolean {
  return deps.config.ADMIN_IDS.includes(userId);
}

/** Coordinator or admin, looked up from the user's own id (the rule is the services' access check). */
export async function isCoordinator(deps: Deps, userId: number): Promise<boolean> {
  return isStaff(servicesOf(deps), userId);
}
