/**
 * The store contract's repositories over one PostgreSQL connection or pool (`Db`). The same classes
 * serve the store (a pool: each call its own statement) and a unit of work (one client inside
 * BEGIN … COMMIT, where get() reads FOR UPDATE so the row stays as read until commit).
 * Records live whole in `doc`; see migrations/001_init.sql for the generated query columns.
 */
import type pg from "pg";
import type { Plan } from "../../knowledge/schema.js";
import { checkCursor, checkPage } from "../queries.js";
import {
  type AudienceQuery,
  type AuditFilter,
  type AuditRecord,
  type BroadcastRecord,
  type DeadlineRecord,
  type DeclarationAggregate,
  type DeclarationFilter,
  type DeclarationGroupRow,
  type DeclarationRecord,
  type DeclarationSort,
  type DraftFilter,
  type DraftRecord,
  type IdCursor,
  type Page,
  type PageRequest,
  type SessionRecord,
  type StaffRole,
  type UserRecord,
} from "../types.js";
import { Params, audienceSql, auditWhere, declarationOrder, declarationWhere, draftWhere } from "./sql.js";

/** A pool or a checked-out client: anything that runs a query. */
export type Db = Pick<pg.Pool | pg.PoolClient, "query">;

/** How many rows scan() fetches per round trip. */
const SCAN_BATCH = 500;

/** Row → record: the doc column as put. */
const docs = <T>(r: pg.QueryResult): T[] => r.rows.map((row: { doc: T }) => row.doc);
const one = <T>(r: pg.QueryResult): T | undefined => (r.rows[0] as { doc: T } | undefined)?.doc;
const num = (v: unknown) => Number(v ?? 0);

/** Options shared by the repositories of one store or transaction. */
export interface RepoContext {
  db: Db;
  /** Inside a unit of work: get() locks the row (FOR UPDATE). */
  lock: boolean;
}

/**
 * A table of whole records by key (`key` column, the record in `doc`): get (FOR UPDATE inside a unit
 * of work, so the row stays as read until commit), put (an upsert of the whole record) and delete.
 * Each statement has one fixed text per table, prepared once per connection (named), so the server
 * parses and plans it once rather than on every call.
 */
class KeyedDocs<T, K extends number | string> {
  private readonly sql: { get: string; getLocked: string; put: string; delete: string };
  constructor(
    protected readonly ctx: RepoContext,
    private readonly table: string,
    keyCol: string,
    private readonly keyOf: (record: T) => K,
  ) {
    this.sql = {
      get: `SELECT doc FROM ${table} WHERE ${keyCol} = $1`,
      getLocked: `SELECT doc FROM ${table} WHERE ${keyCol} = $1 FOR UPDATE`,
      put: `INSERT INTO ${table} (${keyCol}, doc) VALUES ($1, $2) ON CONFLICT (${keyCol}) DO UPDATE SET doc = excluded.doc`,
      delete: `DELETE FROM ${table} WHERE ${keyCol} = $1`,
    };
  }
  private run(op: keyof KeyedDocs<T, K>["sql"], values: unknown[]): Promise<pg.QueryResult> {
    return this.ctx.db.query({ name: `${this.table}.${op}`, text: this.sql[op], values });
  }
  async get(key: K): Promise<T | undefined> {
    return one(await this.run(this.ctx.lock ? "getLocked" : "get", [key]));
  }
  async put(record: T): Promise<void> {
    const key = this.keyOf(record);
    // a key that is not a whole number or a non-empty string is a programming error
    if (!(Number.isSafeInteger(key) || (typeof key === "string" && key !== ""))) throw new TypeError(`${this.table}: unusable key ${JSON.stringify(key)}`);
    // serialised here, not by pg: a value pg cannot serialise (a BigInt) would make pg close the
    // named statement on the server while still treating it as prepared on this connection
    await this.run("put", [key, JSON.stringify(record)]);
  }
  async delete(key: K): Promise<void> {
    await this.run("delete", [key]);
  }
}

export class PgUsers extends KeyedDocs<UserRecord, number> {
  constructor(ctx: RepoContext) {
    super(ctx, "users", "id", (u) => u.id);
  }
  async getByChat(chatId: number): Promise<UserRecord | undefined> {
    return one(await this.ctx.db.query("SELECT doc FROM users WHERE chat_id = $1 ORDER BY id LIMIT 1", [chatId]));
  }
  async withRole(role: StaffRole): Promise<UserRecord[]> {
    return docs(await this.ctx.db.query("SELECT doc FROM users WHERE doc->'roles' ? $1 ORDER BY id", [role]));
  }
  async audience(query: AudienceQuery, page: IdCursor): Promise<UserRecord[]> {
    const { after, limit } = checkCursor(page);
    const p = new Params();
    const afterSql = Number.isFinite(after) ? `u.id > ${p.add(after)} AND ` : "";
    const sql = `SELECT u.doc FROM users u WHERE ${afterSql}${audienceSql(query, p)} ORDER BY u.id LIMIT ${p.add(limit)}`;
    return docs(await this.ctx.db.query(sql, p.values));
  }
  async count(): Promise<{ total: number; subscribed: number }> {
    const r = await this.ctx.db.query("SELECT count(*) AS total, count(*) FILTER (WHERE reachable AND subscribed) AS subscribed FROM users");
    return { total: num(r.rows[0].total), subscribed: num(r.rows[0].subscribed) };
  }
}

export class PgSessions extends KeyedDocs<SessionRecord, number> {
  constructor(ctx: RepoContext) {
    super(ctx, "sessions", "user_id", (s) => s.userId);
  }
}

export class PgDrafts extends KeyedDocs<DraftRecord, string> {
  constructor(ctx: RepoContext) {
    super(ctx, "drafts", "id", (d) => d.id);
  }
  async byOwner(ownerId: number): Promise<DraftRecord[]> {
    return docs(await this.ctx.db.query("SELECT doc FROM drafts WHERE owner_id = $1 ORDER BY created_at, id", [ownerId]));
  }
  async find(filter: DraftFilter, page: PageRequest): Promise<Page<DraftRecord>> {
    const { limit, offset } = checkPage(page);
    const p = new Params();
    const sql = `SELECT doc FROM drafts ${draftWhere(filter, p)} ORDER BY updated_at, id LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`;
    const [rows, total] = await Promise.all([this.ctx.db.query(sql, p.values), this.count(filter)]);
    return { items: docs(rows), total };
  }
  async count(filter: DraftFilter = {}): Promise<number> {
    const p = new Params();
    const r = await this.ctx.db.query(`SELECT count(*) AS n FROM drafts ${draftWhere(filter, p)}`, p.values);
    return num(r.rows[0].n);
  }
  async countBySubProject(filter: DraftFilter = {}): Promise<{ subProjectId: string; count: number }[]> {
    const p = new Params();
    const w = draftWhere(filter, p);
    const sql = `SELECT sub_project, count(*) AS n FROM drafts ${w ? `${w} AND` : "WHERE"} sub_project IS NOT NULL GROUP BY sub_project ORDER BY sub_project`;
    const r = await this.ctx.db.query(sql, p.values);
    return r.rows.map((row: { sub_project: string; n: string }) => ({ subProjectId: row.sub_project, count: num(row.n) }));
  }
}

export class PgDeclarations extends KeyedDocs<DeclarationRecord, string> {
  constructor(
    ctx: RepoContext,
    private readonly refPrefixes: Readonly<Record<Plan, string>>,
  ) {
    super(ctx, "declarations", "ref", (d) => d.ref);
  }
  async byOwner(ownerId: number): Promise<DeclarationRecord[]> {
    return docs(await this.ctx.db.query("SELECT doc FROM declarations WHERE owner_id = $1 ORDER BY submitted_at, ref", [ownerId]));
  }
  async find(filter: DeclarationFilter, page: PageRequest, sort?: DeclarationSort): Promise<Page<DeclarationRecord>> {
    const { limit, offset } = checkPage(page);
    const p = new Params();
    const sql = `SELECT doc FROM declarations ${declarationWhere(filter, p)} ${declarationOrder(sort)} LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`;
    // the page and the total as two statements: a window count would read every matching document
    const [rows, total] = await Promise.all([this.ctx.db.query(sql, p.values), this.count(filter)]);
    return { items: docs(rows), total };
  }
  async count(filter: DeclarationFilter = {}): Promise<number> {
    const p = new Params();
    const r = await this.ctx.db.query(`SELECT count(*) AS n FROM declarations ${declarationWhere(filter, p)}`, p.values);
    return num(r.rows[0].n);
  }
  async aggregate(filter: DeclarationFilter, query: DeclarationAggregate): Promise<DeclarationGroupRow[]> {
    if (query.by.includes("day") && !query.timeZone) throw new TypeError("aggregate by day needs a timeZone");
    const p = new Params();
    const w = declarationWhere(filter, p);
    const cols: Record<string, string> = {
      status: "status",
      plan: "plan",
      subProjectId: "sub_project_id",
      day: `to_char(submitted_at::timestamptz AT TIME ZONE ${query.by.includes("day") ? p.add(query.timeZone) : "'UTC'"}, 'YYYY-MM-DD')`,
    };
    const keys = [...new Set(query.by)];
    const select = keys.map((k) => `${cols[k]} AS "${k}"`);
    const sql = `SELECT ${[...select, "count(*) AS n", "coalesce(sum(people), 0) AS people"].join(", ")} FROM declarations ${w}${keys.length ? ` GROUP BY ${keys.map((_, i) => i + 1).join(", ")}` : ""}`;
    const r = await this.ctx.db.query(sql, p.values);
    return r.rows
      .filter((row: { n: string }) => num(row.n) > 0)
      .map((row: Record<string, string>) => {
        const out: DeclarationGroupRow = { count: num(row.n), people: num(row.people) };
        for (const k of keys) (out as unknown as Record<string, string>)[k] = row[k]!;
        return out;
      });
  }
  async *scan(filter: DeclarationFilter, sort?: DeclarationSort): AsyncIterable<DeclarationRecord> {
    // keyset would need a cursor per sort; offset batches over an indexed order are fine at 20,000 rows
    for (let offset = 0; ; offset += SCAN_BATCH) {
      const p = new Params();
      const sql = `SELECT doc FROM declarations ${declarationWhere(filter, p)} ${declarationOrder(sort)} LIMIT ${SCAN_BATCH} OFFSET ${p.add(offset)}`;
      const batch = docs<DeclarationRecord>(await this.ctx.db.query(sql, p.values));
      yield* batch;
      if (batch.length < SCAN_BATCH) return;
    }
  }
  /**
   * The next number for the plan's prefix and year: an upsert on the counter row, whose row lock
   * holds concurrent submitters (any instance) until this transaction ends. Never below a number
   * already used (a database filled by store:migrate or by hand).
   */
  async nextRef(plan: Plan, year: number): Promise<string> {
    const prefix = this.refPrefixes[plan];
    const stem = `${prefix}${year}-`;
    const bumped = await this.ctx.db.query("UPDATE ref_counters SET last = last + 1 WHERE prefix = $1 AND year = $2 RETURNING last", [prefix, year]);
    let last = bumped.rows[0]?.last as number | undefined;
    if (last === undefined) {
      // first number of this prefix and year: start above any reference already stored
      const r = await this.ctx.db.query(
        `INSERT INTO ref_counters AS c (prefix, year, last)
           VALUES ($1, $2, 1 + coalesce((SELECT max(substring(ref FROM length($3) + 1)::int) FROM declarations
                                         WHERE starts_with(ref, $3) AND substring(ref FROM length($3) + 1) ~ '^[0-9]{1,9}$'), 0))
         ON CONFLICT (prefix, year) DO UPDATE SET last = c.last + 1
         RETURNING last`,
        [prefix, year, stem],
      );
      last = r.rows[0].last as number;
    }
    return `${stem}${String(last).padStart(4, "0")}`;
  }
}

export class PgAudit {
  constructor(private readonly ctx: RepoContext) {}
  async append(entry: AuditRecord): Promise<void> {
    await this.ctx.db.query("INSERT INTO audit (doc) VALUES ($1)", [entry]);
  }
  async find(filter: AuditFilter, page: PageRequest): Promise<Page<AuditRecord>> {
    const { limit, offset } = checkPage(page);
    const p = new Params();
    const sql = `SELECT doc FROM audit ${auditWhere(filter, p)} ORDER BY at, seq LIMIT ${p.add(limit)} OFFSET ${p.add(offset)}`;
    const [rows, total] = await Promise.all([this.ctx.db.query(sql, p.values), this.count(filter)]);
    return { items: docs(rows), total };
  }
  async count(filter: AuditFilter = {}): Promise<number> {
    const p = new Params();
    const r = await this.ctx.db.query(`SELECT count(*) AS n FROM audit ${auditWhere(filter, p)}`, p.values);
    return num(r.rows[0].n);
  }
}

export class PgDeadlines extends KeyedDocs<DeadlineRecord, string> {
  constructor(ctx: RepoContext) {
    super(ctx, "deadlines", "id", (d) => d.id);
  }
  async list(): Promise<DeadlineRecord[]> {
    return docs(await this.ctx.db.query("SELECT doc FROM deadlines ORDER BY date, id"));
  }
}

export class PgBroadcasts extends KeyedDocs<BroadcastRecord, string> {
  constructor(ctx: RepoContext) {
    super(ctx, "broadcasts", "id", (b) => b.id);
  }
  async unfinished(): Promise<BroadcastRecord[]> {
    return docs(await this.ctx.db.query("SELECT doc FROM broadcasts WHERE open ORDER BY created_at, id"));
  }
  async list(page: PageRequest): Promise<Page<BroadcastRecord>> {
    const { limit, offset } = checkPage(page);
    const r = await this.ctx.db.query("SELECT doc, count(*) OVER () AS total FROM broadcasts ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2", [limit, offset]);
    const total = r.rows.length ? num(r.rows[0].total) : num((await this.ctx.db.query("SELECT count(*) AS n FROM broadcasts")).rows[0].n);
    return { items: docs(r), total };
  }
}
