/** Which store the bot runs on: PostgreSQL when DATABASE_URL is set, the embedded lowdb folder otherwise. */
import type { Config } from "../config.js";
import type { StoreLogger } from "./durable-file.js";
import { openStore } from "./index.js";
import { acquireLock } from "./lock.js";
import { instanceName } from "./pg/instance.js";
import type { Instant, Store } from "./types.js";

export type OpenedStore = Store & {
  readonly kind: "postgres" | "lowdb";
  /** This instance's name as a claimant on the inbox and the ledger (stable per data folder). */
  readonly instance: string;
  /**
   * An update's first reply went out: never handle it again. On PostgreSQL the chat stays held
   * until the handler ends (per-chat order across instances); in one process sequentialize keeps
   * the order, so the embedded inbox marks it done at once.
   */
  answered(updateId: number, at: Instant): Promise<void>;
};

export async function openConfiguredStore(config: Pick<Config, "DATABASE_URL" | "DATA_DIR">, logger: StoreLogger): Promise<OpenedStore> {
  if (config.DATABASE_URL) {
    // One process per data folder on PostgreSQL too: the folder holds the instance's name and its
    // journals (answered replies, sends), which two processes must not share.
    const lock = await acquireLock(config.DATA_DIR);
    try {
      const instance = await instanceName(config.DATA_DIR);
      // loaded only when asked for: the embedded default does not pay for the driver
      const { openPgStore } = await import("./pg/index.js");
      const store = await openPgStore(config.DATABASE_URL, { logger });
      // what this instance held when its previous life was killed is ours again at once
      const released = await store.inbox.release(instance);
      if (released) logger.info({ released }, "store: updates held by this instance before a restart taken back");
      const close = store.close;
      return Object.assign(store, {
        kind: "postgres" as const,
        instance,
        answered: (updateId: number, at: Instant) => store.inbox.answered(updateId, at),
        close: async () => {
          try {
            await close();
          } finally {
            await lock.release();
          }
        },
      });
    } catch (e) {
      await lock.release();
      throw e;
    }
  }
  const store = await openStore(config.DATA_DIR, { logger });
  return Object.assign(store, {
    kind: "lowdb" as const,
    // one process owns the folder and its claims live in memory: any name of this process will do
    instance: `local:${process.pid}`,
    answered: (updateId: number, at: Instant) => store.inbox.done(updateId, at),
  });
}
