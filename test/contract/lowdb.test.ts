/** The store contract suite on the embedded lowdb store (a fresh data folder per test). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type StoreHandle } from "../../src/store/index.js";
import { storeContract } from "./store-contract.js";

storeContract("lowdb", async () => {
  const dir = mkdtempSync(join(tmpdir(), "store-contract-"));
  // fsync off: these tests are about behaviour; durability through crashes is test/reliability's.
  let store: StoreHandle = await openStore(dir, { fsync: false });
  return {
    get store() {
      return store;
    },
    set store(s) {
      store = s as StoreHandle;
    },
    async reopen() {
      await store.close();
      store = await openStore(dir, { fsync: false });
      return store;
    },
    async close() {
      await store.close().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
