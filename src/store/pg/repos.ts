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

/** Upsert of a whole record by its key; a key that is not a whole number or a non-empty string is a programming error. */
async function putDoc(db: Db, table: string, keyCol: string, key: unknown, doc: unknown): Promise<void> {
  if (!(Number.isSafeInteger(key) || (typeof key === "string" && key !== ""))) throw new TypeError(`${table}: unusable key ${JSON.stringify(key)}`);
  await db.query(`INSERT INTO ${table} (${keyCol}, doc) VALUES ($1, $2) ON CONFLICT (${keyCol}) DO UPDATE SET doc = excluded.doc`, [key, doc]);
}

/** Options shared by the repositories of one store or transaction. */
export interface RepoContext {
  db: Db;
  /** Inside a unit of work: get() locks the row (FOR UPDATE). */
  lock: boolean;
}

const lockClause = (ctx: RepoContext) => (ctx.lock ? " FOR UPDATE" : "");

export class PgUsers {
  constructor(private readonly ctx: RepoContext) {}
  async get(id: number): Promise<UserRecord | undefined> {
    return one(await this.ctx.db.query(`SELECT doc FROM users WHERE id = $1${lockClause(this.ctx)}`, [id]));
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
  async put(user: UserRecord): Promise<void> {
    await putDoc(this.ctx.db, "users", "id", user.id, user);
  }
}

export class PgSessions {
  constructor(private readonly ctx: RepoContext) {}
  async get(userId: number): Promise<SessionRecord | undefined> {
    return one(await this.ctx.db.query(`SELECT doc FROM sessions WHERE user_id = $1${lockClause(this.ctx)}`, [userId]));
  }
  async put(session: SessionRecord): Promise<void> {
    await putDoc(this.ctx.db, "sessions", "user_id", session.userId, session);
  }
  async delete(userId: number): Promise<void> {
    await this.ctx.db.query("DELETE FROM sessions WHERE user_id = $1", [userId]);
  }
}

export class PgDrafts {
  constructor(private readonly ctx: RepoContext) {}
  async get(id: string): Promise<DraftRecord | undefined> {
    return one(await this.ctx.db.query(`SELECT doc FROM drafts WHERE id = $1${lockClause(this.ctx)}`, [id]));
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
  async put(draft: DraftRecord): Promise<void> {
    await putDoc(this.ctx.db, "drafts", "id", draft.id, draft);
  }
  async delete(id: string): Promise<void> {
    await this.ctx.db.query("DELETE FROM drafts WHERE id = $1", [id]);
  }
}

export class PgDeclarations {
  constructor(
    private readonly ctx: RepoContext,
    private readonly refPrefixes: Readonly<Record<Plan, string>>,
  ) {}
  async get(ref: string): Promise<DeclarationRecord | undefined> {
    return one(await this.ctx.db.query(`SELECT doc FROM declarations WHERE ref = $1${lockClause(this.ctx)}`, [ref]));
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
  async put(declaration: DeclarationRecord): Promise<void> {
    await putDoc(this.ctx.db, "declarations", "ref", declaration.ref, declaration);
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

export class PgDeadlines {
  constructor(private readonly ctx: RepoContext) {}
  async get(id: string): Promise<DeadlineRecord | undefined> {
    return one(await this.ctx.db.query(`SELECT doc FROM deadlines WHERE id = $1${lockClause(this.ctx)}`, [id]));
  }
  async list(): Promise<DeadlineRecord[]> {
    return docs(await this.ctx.db.query("SELECT doc FROM deadlines ORDER BY date, id"));
  }
  async put(deadline: DeadlineRecord): Promise<void> {
    await putDoc(this.ctx.db, "deadlines", "id", deadline.id, deadline);
  }
  async delete(id: string): Promise<void> {
    await this.ctx.db.query("DELETE FROM deadlines WHERE id = $1", [id]);
  }
}

export class PgBroadcasts {
  constructor(private readonly ctx: RepoContext) {}
  async get(id: string): Promise<BroadcastRecord | undefined> {
    return one(await this.ctx.db.query(`SELECT doc FROM broadcasts WHERE id = $1${lockClause(this.ctx)}`, [id]));
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
  async put(broadcast: BroadcastRecord): Promise<void> {
    await putDoc(this.ctx.db, "broadcasts", "id", broadcast.id, broadcast);
  }
}
