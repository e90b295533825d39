/**
 * Seeds a store folder in a child process: seeding builds and drops hundreds of MB of objects, and
 * done inside a benchmark's own process it left the heap's limits (and the first mark-compacts)
 * shaped by the seed instead of by the bot, which a production process never sees.
 *
 *   await seedInChild(dir, { users: 50_000, declarations: 20_000, drafts: 5_000 });
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { seedStore, type SeedCounts } from "./store-seed.js";
import { isMain } from "./stats.js";

/** Flags of this process that must not reach the child (profiling, GC tracing). */
const PARENT_ONLY = /^--(cpu-prof|heap-prof|trace-gc|prof)/;

export function seedInChild(dir: string, counts: SeedCounts): Promise<void> {
  const args = [...process.execArgv.filter((a) => !PARENT_ONLY.test(a)), fileURLToPath(import.meta.url), dir, JSON.stringify(counts)];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`seeding exited with code ${code}`))));
  });
}

if (isMain(import.meta.url)) {
  const [dir, counts] = process.argv.slice(2);
  seedStore(dir!, JSON.parse(counts!) as SeedCounts, { fsync: false }).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
