/** The store contract suite on PostgreSQL (a fresh migrated database per test, on the run's test server). */
import { openPgStore, type PgStoreHandle } from "../../src/store/pg/index.js";
import { freshDatabase } from "../support/postgres.js";
import { storeContract } from "./store-contract.js";

storeContract("PostgreSQL", async () => {
  const db = await freshDatabase();
  let store: PgStoreHandle = await openPgStore(db.url, { poolSize: 4 });
  return {
    get store() {
      return store;
    },
    set store(s) {
      store = s as PgStoreHandle;
    },
    async reopen() {
      await store.close();
      store = await openPgStore(db.url, { poolSize: 4 });
      return store;
    },
    async close() {
      await store.close().catch(() => {});
      await db.drop();
    },
  };
});
