/** Which store the bot runs on: PostgreSQL when DATABASE_URL is set, the embedded lowdb folder otherwise. */
import type { Config } from "../config.js";
import type { StoreLogger } from "./durable-file.js";
import { openStore } from "./index.js";
import type { Store } from "./types.js";

export type OpenedStore = Store & { readonly kind: "postgres" | "lowdb" };

export async function openConfiguredStore(config: Pick<Config, "DATABASE_URL" | "DATA_DIR">, logger: StoreLogger): Promise<OpenedStore> {
  if (config.DATABASE_URL) {
    // loaded only when asked for: the embedded default does not pay for the driver
    const { openPgStore } = await import("./pg/index.js");
    return Object.assign(await openPgStore(config.DATABASE_URL, { logger }), { kind: "postgres" as const });
  }
  return Object.assign(await openStore(config.DATA_DIR, { logger }), { kind: "lowdb" as const });
}
