/**
 * `npm run store:migrate -- [DATA_DIR]`: copies the embedded store's data folder (default DATA_DIR or
 * ./data) into the empty PostgreSQL database at DATABASE_URL, then checks the counts of every table.
 * Stop the bot first (the folder's lock says so if it still runs). Exit code 1 if a count differs.
 */
import { openStore } from "../src/store/index.js";
import { copyDumpToPg } from "../src/store/pg/copy-from-lowdb.js";
import { openPgStore } from "../src/store/pg/index.js";

const url = process.env.DATABASE_URL;
const dataDir = process.argv[2] ?? process.env.DATA_DIR ?? "./data";
if (!url) {
  console.error("DATABASE_URL is not set: the PostgreSQL database to copy into (npm run db:dev prints one)");
  process.exit(2);
}
const source = await openStore(dataDir);
try {
  const target = await openPgStore(url, { poolSize: 2 });
  try {
    const t0 = performance.now();
    const { counts, ok } = await copyDumpToPg(source.dump(), target);
    for (const c of counts) console.log(`${c.what.padEnd(13)} ${String(c.source).padStart(8)} → ${String(c.target).padStart(8)}${c.source === c.target ? "" : "   MISMATCH"}`);
    console.log(ok ? `copied ${dataDir} into PostgreSQL in ${Math.round(performance.now() - t0)} ms; every count matches` : "counts differ: see MISMATCH above");
    if (!ok) process.exitCode = 1;
  } finally {
    await target.close();
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  await source.close();
}
