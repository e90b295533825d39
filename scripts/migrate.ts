/** `npm run migrate`: applies the SQL migrations to DATABASE_URL (the bot also does it at start-up). */
import pg from "pg";
import { migrate } from "../src/store/pg/migrate.js";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set (npm run db:dev prints one for a local server)");
  process.exit(2);
}
const pool = new pg.Pool({ connectionString: url, max: 1 });
try {
  const applied = await migrate(pool);
  console.log(applied.length ? `applied: ${applied.join(", ")}` : "the database is up to date");
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
} finally {
  await pool.end();
}
