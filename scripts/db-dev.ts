/**
 * `npm run db:dev`: a local PostgreSQL server for development, in the foreground. The cluster lives
 * in data/postgres (created on first run, kept between runs); it prints the DATABASE_URL to use in
 * another terminal (`DATABASE_URL=… npm start`) and stops cleanly on Ctrl-C.
 *   DB_DEV_PORT (default 54329), DB_DEV_DIR (default data/postgres)
 */
import { resolve } from "node:path";
import pg from "pg";
import { migrate } from "../src/store/pg/migrate.js";
import { startPostgres } from "./postgres-server.js";

const port = Number(process.env.DB_DEV_PORT ?? 54329);
const dataDir = resolve(process.env.DB_DEV_DIR ?? "data/postgres");
const server = await startPostgres({ dataDir, port, onLog: (l) => /ERROR|FATAL|PANIC/.test(l) && !/starting up/.test(l) && console.error(l) });
const admin = new pg.Pool({ connectionString: server.adminUrl, max: 1 });
const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'guopei'");
if (!exists.rowCount) await admin.query("CREATE DATABASE guopei");
await admin.end();
const url = server.urlFor("guopei");
const pool = new pg.Pool({ connectionString: url, max: 1 });
const applied = await migrate(pool);
await pool.end();
console.log(`PostgreSQL ${server.port} up, cluster in ${dataDir}${applied.length ? `; applied ${applied.join(", ")}` : ""}`);
console.log(`DATABASE_URL=${url}`);
console.log("Ctrl-C stops it.");
const stop = () => void server.stop().then(() => process.exit(0));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
