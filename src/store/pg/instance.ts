/**
 * An instance's name on a shared database, kept in its data folder (DATA_DIR/instance-id; the
 * folder is locked, so one process per folder). Claims on the inbox and the ledger are held under
 * this name, so a restarted instance (same folder) takes back at once what its previous life held
 * when it was killed, instead of waiting for those leases to run out; another instance still waits
 * for the lease, since it cannot tell a dead instance from a slow one.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

export const INSTANCE_FILE = "instance-id";

/** Same folder, same name: read it, or create it on the first start. */
export async function instanceName(dataDir: string): Promise<string> {
  const path = join(dataDir, INSTANCE_FILE);
  const existing = await readFile(path, "utf8").then(
    (t) => t.trim(),
    () => "",
  );
  if (/^[\w.:-]{1,100}$/.test(existing)) return existing;
  const name = `${hostname().replace(/[^\w.-]/g, "_").slice(0, 40)}:${randomUUID().slice(0, 8)}`;
  await mkdir(dataDir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${name}\n`, "utf8");
  await rename(tmp, path);
  return name;
}
