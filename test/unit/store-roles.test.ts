/** users.withRole: the role index behind "notify every coordinator" (no scan of every user). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import type { UserRecord } from "../../src/store/types.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const user = (id: number, roles: UserRecord["roles"] = []): UserRecord => ({ id, chatId: id, name: `用户${id}`, roles, subscribed: false, reachable: true, createdAt: "2024-05-01T00:00:00.000Z" });

describe("users.withRole", () => {
  it("follows grants and revocations, and is rebuilt on open", async () => {
    const dir = mkdtempSync(join(tmpdir(), "store-roles-"));
    dirs.push(dir);
    const s = await openStore(dir, { fsync: false });
    await Promise.all([s.users.put(user(1)), s.users.put(user(2, ["coordinator"])), s.users.put(user(3, ["coordinator"]))]);
    expect((await s.users.withRole("coordinator")).map((u) => u.id).sort()).toEqual([2, 3]);
    await s.users.put(user(3)); // revoked
    await s.users.put(user(1, ["coordinator"])); // granted
    expect((await s.users.withRole("coordinator")).map((u) => u.id).sort()).toEqual([1, 2]);
    await s.close();
    const again = await openStore(dir, { fsync: false });
    expect((await again.users.withRole("coordinator")).map((u) => u.id).sort()).toEqual([1, 2]);
    await again.close();
  });
});
