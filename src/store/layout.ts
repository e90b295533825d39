/**
 * What lives where in DATA_DIR, and meta.json which records it:
 *
 *   DATA_DIR/.lock                      owner pid (lock.ts)
 *   DATA_DIR/meta.json                  { schemaVersion, createdAt, collections: <layout>, refCounters }
 *   DATA_DIR/<sharded>/000.json …       users, sessions, drafts, declarations, deadlines, broadcasts:
 *                                       { "records": { <key>: record } }, key hashed to a shard (hash.ts)
 *   DATA_DIR/audit/000001.json …        { "entries": [AuditRecord…] }, append-only chunks
 *   DATA_DIR/ledger/<slug>-<hash>/000001.json …   { "delivery": "...", "entries": [chatId…] }
 *
 * Shard counts and chunk sizes are read from meta.json, not from code, so changing the defaults
 * never misplaces records of an existing folder (re-sharding would be a migration).
 */
import { corruptFileError } from "./errors.js";
import type { BroadcastRecord, DeadlineRecord, DeclarationRecord, DraftRecord, SessionRecord, UserRecord } from "./types.js";

export const META_FILE = "meta.json";

export const SHARDED_COLLECTIONS = ["users", "sessions", "drafts", "declarations", "deadlines", "broadcasts"] as const;
export type ShardedName = (typeof SHARDED_COLLECTIONS)[number];

export const LOG_COLLECTIONS = ["audit", "ledger"] as const;
export type LogName = (typeof LOG_COLLECTIONS)[number];

export type Layout = { [K in ShardedName]: { shards: number } } & { [K in LogName]: { chunkSize: number } };

export interface MetaData {
  schemaVersion: number;
  createdAt?: string;
  /** Set by migration 1. */
  collections?: Layout;
  /** Last allocated reference number per prefix+year, e.g. { "GP2024": 12 }. */
  refCounters?: Record<string, number>;
  [other: string]: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isCount = (v: unknown, max: number): boolean => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;

export function validateMeta(data: unknown): string | undefined {
  if (!isObject(data)) return "expected an object";
  if (!Number.isInteger(data.schemaVersion) || (data.schemaVersion as number) < 0) return `"schemaVersion" must be a whole number`;
  if (data.refCounters !== undefined) {
    if (!isObject(data.refCounters)) return `"refCounters" must be an object`;
    for (const [k, v] of Object.entries(data.refCounters)) if (!Number.isSafeInteger(v) || (v as number) < 0) return `refCounters.${k} is not a count`;
  }
  if (data.collections !== undefined) {
    if (!isObject(data.collections)) return `"collections" must be an object`;
    for (const name of SHARDED_COLLECTIONS) {
      const c = data.collections[name];
      if (!isObject(c) || !isCount(c.shards, 4096)) return `collections.${name}.shards must be a number 1–4096`;
    }
    for (const name of LOG_COLLECTIONS) {
      const c = data.collections[name];
      if (!isObject(c) || !isCount(c.chunkSize, 1_000_000)) return `collections.${name}.chunkSize must be a number 1–1000000`;
    }
  }
  return undefined;
}

/** The layout of a migrated folder; a meta.json without one is corrupt. */
export function layoutOf(meta: MetaData, metaPath: string): Layout {
  if (!meta.collections) throw corruptFileError(metaPath, `"collections" is missing`);
  return meta.collections;
}

/** The key of each sharded collection's records (decides the shard, so it must never change). */
export const KEYS = {
  users: (r: UserRecord) => String(r.id),
  sessions: (r: SessionRecord) => String(r.userId),
  drafts: (r: DraftRecord) => r.id,
  declarations: (r: DeclarationRecord) => r.ref,
  deadlines: (r: DeadlineRecord) => r.id,
  broadcasts: (r: BroadcastRecord) => r.id,
} as const;

/**
 * The numbers each collection's indexes need at open (repos.ts), kept beside every record in its
 * shard file so that opening builds the indexes without parsing the records (shard-file.ts). A
 * change here is safe: a file written with another count has its records parsed at open.
 */
export const HEADS = {
  users: { count: 3, of: (r: UserRecord) => [r.chatId, r.roles.length > 0 ? 1 : 0, r.subscribed && r.reachable ? 1 : 0] },
  sessions: { count: 0, of: () => [] },
  drafts: { count: 1, of: (r: DraftRecord) => [r.ownerId] },
  declarations: { count: 1, of: (r: DeclarationRecord) => [r.ownerId] },
  deadlines: { count: 0, of: () => [] },
  broadcasts: { count: 0, of: () => [] },
} as const;

export interface RecordTypes {
  users: UserRecord;
  sessions: SessionRecord;
  drafts: DraftRecord;
  declarations: DeclarationRecord;
  deadlines: DeadlineRecord;
  broadcasts: BroadcastRecord;
}
