/**
 * A real PostgreSQL server from the machine's binaries (Debian's postgresql package), for tests,
 * CI and `npm run db:dev`: initdb a cluster in a folder, start it on a free 127.0.0.1 port with
 * trust authentication, stop it. No Docker, no mocks, no WASM.
 *
 * As root (CI containers) the server cannot run as root, so the cluster folder is given to the
 * `postgres` user and initdb/postgres are spawned with its uid/gid (like `runuser -u postgres`, but
 * signals reach the server itself, so stop() is a clean fast shutdown).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:<port>/postgres — the maintenance database. */
  readonly adminUrl: string;
  readonly port: number;
  readonly dataDir: string;
  /** The postmaster's pid (its backends are its children). */
  readonly pid: number;
  /** URL of another database on this server. */
  urlFor(database: string): string;
  /** Fast shutdown; removes the cluster folder if it was temporary. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Cluster folder; default a fresh temporary one, removed at stop(). An existing cluster is reused. */
  dataDir?: string;
  /** Default: a free port. */
  port?: number;
  /**
   * Durability off (fsync, synchronous_commit, full_page_writes): fine for a throwaway test cluster
   * whose server is never killed; never for data that matters. Default false.
   */
  fast?: boolean;
  /** Server log lines go here (default: dropped). */
  onLog?: (line: string) => void;
}

/** The directory holding initdb and postgres: PG_BIN, else the newest /usr/lib/postgresql/<v>/bin, else pg_config. */
export function findPostgresBin(): string | undefined {
  if (process.env.PG_BIN && existsSync(join(process.env.PG_BIN, "initdb"))) return process.env.PG_BIN;
  const base = "/usr/lib/postgresql";
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, "bin", "initdb")))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], "bin");
  }
  const cfg = spawnSync("pg_config", ["--bindir"], { encoding: "utf8" });
  const dir = cfg.status === 0 ? cfg.stdout.trim() : "";
  return dir && existsSync(join(dir, "initdb")) ? dir : undefined;
}

const isRoot = () => process.getuid?.() === 0;

/** uid/gid to spawn the server binaries with: PostgreSQL refuses to run as root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const id = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (id.status !== 0 || gid.status !== 0) throw new Error("running as root, but there is no `postgres` user to run the server (apt-get install postgresql creates it)");
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

async function giveToServerUser(dir: string): Promise<void> {
  const user = serverUser();
  if (user) await chown(dir, user.uid, user.gid);
}

async function initCluster(bin: string, dataDir: string): Promise<void> {
  const args = ["-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"];
  const r = spawnSync(join(bin, "initdb"), args, { encoding: "utf8", cwd: dataDir, ...serverUser() });
  if (r.status !== 0) throw new Error(`initdb failed (${r.status}): ${r.stderr || r.stdout}`);
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}:\n${log()}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (e) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 30 s: ${String(e)}\n${log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export async function startPostgres(opts: StartOptions = {}): Promise<PostgresServer> {
  const bin = findPostgresBin();
  if (!bin) throw new Error("PostgreSQL server binaries not found (initdb). Install them: apt-get install -y postgresql (or set PG_BIN)");
  const temporary = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "pg-cluster-")));
  await mkdir(dataDir, { recursive: true });
  await giveToServerUser(dataDir);
  const hasCluster = await stat(join(dataDir, "PG_VERSION")).then(
    () => true,
    () => false,
  );
  if (!hasCluster) await initCluster(bin, dataDir);

  const port = opts.port ?? (await freePort());
  const settings = [
    "listen_addresses=127.0.0.1",
    `port=${port}`,
    // the socket goes in the cluster folder: /var/run/postgresql may not exist or not be ours
    `unix_socket_directories=${dataDir}`,
    "max_connections=200",
    ...(opts.fast ? ["fsync=off", "synchronous_commit=off", "full_page_writes=off"] : []),
  ];
  const args = ["-D", dataDir, ...settings.flatMap((s) => ["-c", s])];
  const child = spawn(join(bin, "postgres"), args, { stdio: ["ignore", "pipe", "pipe"], cwd: dataDir, ...serverUser() });
  const tail: string[] = [];
  const onData = (b: Buffer) => {
    for (const line of b.toString("utf8").split("\n").filter(Boolean)) {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      opts.onLog?.(line);
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));

  const urlFor = (db: string) => `postgres://postgres@127.0.0.1:${port}/${db}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      // SIGINT = fast shutdown: open sessions are ended, nothing committed is lost
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (temporary) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(urlFor("postgres"), child, () => tail.join("\n"));
  } catch (e) {
    await stop();
    throw e;
  }
  return { adminUrl: urlFor("postgres"), port, dataDir, pid: child.pid!, urlFor, stop };
}
