/**
 * Schema versions of the data folder. meta.json records `schemaVersion`; at open, every migration
 * n-1 → n above it runs in order, and meta.json is durably advanced after each one, so an
 * interrupted start-up resumes with the migration that did not finish (migrations must therefore
 * be safe to run again). A folder from a newer version of the bot is refused, untouched.
 *
 * A folder without meta.json is version 0: either new and empty, or the single-file prototype
 * layout (DATA_DIR/db.json, one lowdb JSON document holding every collection), which migration 1
 * splits into the sharded layout. db.json is then renamed to db.json.v0-imported, never deleted.
 */
import { join } from "node:path";
import { Low } from "lowdb";
import { chunkFileName } from "./chunked-log.js";
import { JOURNAL_DIR } from "./commit-log.js";
import { DurableFile, WriteTracker, isTempFile, type StoreLogger } from "./durable-file.js";
import { StoreError, describe, errnoCode } from "./errors.js";
import { LOG_COLLECTIONS, META_FILE, SHARDED_COLLECTIONS, KEYS, layoutOf, validateMeta, type Layout, type MetaData, type RecordTypes, type ShardedName } from "./layout.js";
import { deliveryDirName } from "./ledger.js";
import { openCollection } from "./sharded-collection.js";
import type { AuditRecord } from "./types.js";

export interface MigrationContext {
  dataDir: string;
  /** meta.json's content, to be changed in place; the runner writes it after up() succeeds. */
  meta: MetaData;
  /** Writes made through this tracker are flushed before meta.json advances. */
  tracker: WriteTracker;
  log: StoreLogger;
}

export interface Migration {
  /** The version this migration produces (the previous one is to - 1). */
  to: number;
  description: string;
  up(ctx: MigrationContext): Promise<void>;
  /** Runs once meta.json records `to` (e.g. moving away files the new layout no longer needs); failures are only logged. */
  cleanup?(ctx: MigrationContext): Promise<void>;
}

/** The layout version 1 introduced. Later defaults would go into a new migration, not here. */
export const V1_LAYOUT: Layout = {
  users: { shards: 128 },
  sessions: { shards: 256 },
  drafts: { shards: 64 },
  declarations: { shards: 128 },
  deadlines: { shards: 1 },
  broadcasts: { shards: 1 },
  audit: { chunkSize: 1000 },
  ledger: { chunkSize: 5000 },
};

export const LEGACY_DB_FILE = "db.json";

/** The v0 prototype document. */
type LegacyDb = { [K in ShardedName]?: RecordTypes[K][] } & { audit?: AuditRecord[]; ledger?: Record<string, number[]> };

function validateLegacy(data: unknown): string | undefined {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return "expected an object";
  const db = data as Record<string, unknown>;
  for (const name of [...SHARDED_COLLECTIONS, "audit"]) {
    const list = db[name];
    if (list === undefined) continue;
    if (!Array.isArray(list)) return `"${name}" must be an array`;
    for (let i = 0; i < list.length; i++) {
      const r = list[i] as unknown;
      if (typeof r !== "object" || r === null) return `${name}[${i}] is not an object`;
      if (name !== "audit") {
        const key = KEYS[name as ShardedName](r as never) as unknown;
        if ((typeof key !== "string" && typeof key !== "number") || key === "" || key === "undefined") return `${name}[${i}] has no key`;
      }
    }
  }
  if (db.ledger !== undefined) {
    if (typeof db.ledger !== "object" || db.ledger === null || Array.isArray(db.ledger)) return `"ledger" must be an object`;
    for (const [d, chats] of Object.entries(db.ledger)) {
      if (!Array.isArray(chats) || !chats.every((c) => Number.isSafeInteger(c))) return `ledger["${d}"] must be a list of chat ids`;
    }
  }
  return undefined;
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

const migration1: Migration = {
  to: 1,
  description: "initial sharded layout (imports a v0 db.json if present)",
  async up({ dataDir, meta, tracker }) {
    const layout = V1_LAYOUT;
    const legacy = await new DurableFile<LegacyDb>(join(dataDir, LEGACY_DB_FILE), tracker, { validate: validateLegacy }).read();
    for (const name of [...SHARDED_COLLECTIONS, ...LOG_COLLECTIONS]) await tracker.fs.mkdir(join(dataDir, name));
    if (legacy) {
      // Everything is written to fixed places (same shard, same chunk numbers), so a re-run after a
      // crash overwrites instead of duplicating.
      for (const name of SHARDED_COLLECTIONS) {
        const records = legacy[name];
        if (!records?.length) continue;
        const col = await openCollection(dataDir, name, layout, tracker);
        await col.putMany(records);
      }
      const audit = chunks(legacy.audit ?? [], layout.audit.chunkSize);
      await Promise.all(
        audit.map((entries, i) => new DurableFile(join(dataDir, "audit", chunkFileName(i + 1)), tracker).write({ entries })),
      );
      for (const [delivery, chats] of Object.entries(legacy.ledger ?? {})) {
        const dir = join(dataDir, "ledger", deliveryDirName(delivery));
        await Promise.all(
          chunks([...new Set(chats)], layout.ledger.chunkSize).map((entries, i) =>
            new DurableFile(join(dir, chunkFileName(i + 1)), tracker).write({ delivery, entries }),
          ),
        );
      }
    }
    meta.collections = layout;
    meta.refCounters ??= {};
    meta.createdAt ??= new Date().toISOString();
  },
  async cleanup({ dataDir, tracker }) {
    try {
      await tracker.fs.rename(join(dataDir, LEGACY_DB_FILE), join(dataDir, `${LEGACY_DB_FILE}.v0-imported`));
    } catch (e) {
      if (errnoCode(e) !== "ENOENT") throw e;
    }
  },
};

/**
 * Version 2: changes go to the journal (commit-log.ts) before the shard files. The files keep their
 * format; the version only makes older code, which would ignore journal/, refuse the folder.
 */
const migration2: Migration = {
  to: 2,
  description: "append-only journal before the shard files",
  async up({ dataDir, tracker }) {
    await tracker.fs.mkdir(join(dataDir, JOURNAL_DIR));
  },
};

/**
 * Version 3: shard files hold one record per line with a checksum (shard-file.ts), so opening need
 * not parse the records. Every shard is rewritten once here; older code would misread the new
 * files, so the version makes it refuse the folder instead.
 */
const migration3: Migration = {
  to: 3,
  description: "shard files with one record per line and a checksum",
  async up({ dataDir, meta, tracker }) {
    const layout = layoutOf(meta, join(dataDir, META_FILE));
    // One collection at a time: only one is in memory.
    for (const name of SHARDED_COLLECTIONS) {
      const col = await openCollection(dataDir, name, layout, tracker);
      await col.rewriteAll();
    }
  },
};

export const MIGRATIONS: readonly Migration[] = [migration1, migration2, migration3];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** A folder with collection data but no meta.json lost its meta.json: refuse rather than guess. */
async function refuseOrphanData(dataDir: string, tracker: WriteTracker): Promise<void> {
  for (const name of [...SHARDED_COLLECTIONS, ...LOG_COLLECTIONS]) {
    let entries: string[];
    try {
      entries = await tracker.fs.readdir(join(dataDir, name));
    } catch {
      continue;
    }
    if (entries.some((e) => !isTempFile(e))) {
      if ((await tracker.fs.readdir(dataDir)).includes(LEGACY_DB_FILE)) return; // an interrupted migration 1: it re-runs
      const path = join(dataDir, META_FILE);
      throw new StoreError(
        `缺少 ${path}，但数据目录中已有数据（${name}/），拒绝启动。请从备份恢复 meta.json。` +
          ` (${path} is missing but the folder holds data (${name}/); refusing to start. Restore meta.json from a backup.)`,
        { file: path, code: "ENOMETA" },
      );
    }
  }
}

/**
 * Reads meta.json and brings the folder to the latest version. Returns the lowdb handle of meta.json
 * (kept open by the store for the reference counters).
 */
export async function migrate(opts: {
  dataDir: string;
  tracker: WriteTracker;
  log: StoreLogger;
  migrations?: readonly Migration[];
}): Promise<{ meta: Low<MetaData>; from: number; to: number }> {
  const { dataDir, tracker, log } = opts;
  const list = opts.migrations ?? MIGRATIONS;
  list.forEach((m, i) => {
    if (m.to !== i + 1) throw new Error(`migration list out of order: entry ${i} migrates to ${m.to}, expected ${i + 1}`);
  });
  const latest = list.length;
  const path = join(dataDir, META_FILE);
  const file = new DurableFile<MetaData>(path, tracker, { validate: validateMeta });
  const meta = new Low<MetaData>(file, { schemaVersion: 0 });
  const stored = await file.read();
  if (stored) meta.data = stored;
  else await refuseOrphanData(dataDir, tracker);

  const from = meta.data.schemaVersion;
  if (from > latest) {
    throw new StoreError(
      `数据目录由更新版本的程序写入（schemaVersion ${from}，本程序最高支持 ${latest}），拒绝启动：${path}。请升级程序或从备份恢复。` +
        ` (The data folder was written by a newer version, schemaVersion ${from} > ${latest}; refusing to start. Upgrade the bot or restore a backup.)`,
      { file: path, code: "ENEWER" },
    );
  }
  for (const m of list.slice(from)) {
    // Each migration writes through its own tracker, so its files are not kept by the store afterwards.
    const ctx: MigrationContext = { dataDir, meta: meta.data, tracker: new WriteTracker({ fs: tracker.fs, fsync: tracker.fsync, log }), log };
    log.info({ from: m.to - 1, to: m.to, dataDir }, `store migration: ${m.description}`);
    try {
      await m.up(ctx);
      await ctx.tracker.flushAll();
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StoreError(`数据迁移失败（${m.to - 1} → ${m.to}：${m.description}）：${describe(e)} (migration failed)`, { cause: e });
    }
    meta.data.schemaVersion = m.to;
    await meta.write();
    if (m.cleanup) await m.cleanup(ctx).catch((err: unknown) => log.warn({ err }, `store migration ${m.to}: cleanup failed`));
  }
  return { meta, from, to: latest };
}
