/**
 * One-time codes and attempt limits on PostgreSQL (CodeRepo; tables in migrations/004_codes.sql).
 * Each guarantee is one statement: consume is a DELETE … RETURNING, so a code is spent once however
 * many instances try it together; an attempt is one upsert that starts or counts the key's window.
 */
import type pg from "pg";
import type { CodePurpose, CodeRecord, CodeRepo, Instant } from "../types.js";

/** Attempt windows older than this are deleted when a code is issued (limits use ≤ 10 minutes). */
const KEEP_ATTEMPTS = "1 day";

interface Row {
  purpose: CodePurpose;
  user_id: string;
  digest: string;
  expires_at: Date;
  data: Record<string, unknown> | null;
}

const recordOf = (r: Row): CodeRecord => ({ purpose: r.purpose, digest: r.digest, userId: Number(r.user_id), expiresAt: r.expires_at.toISOString(), ...(r.data ? { data: r.data } : {}) });
const COLUMNS = "purpose, user_id, digest, expires_at, data";

export class PgCodes implements CodeRepo {
  constructor(private readonly pool: pg.Pool) {}

  async issue(code: CodeRecord, now: Instant): Promise<boolean> {
    await this.pool.query("DELETE FROM one_time_codes WHERE expires_at <= $1", [now]);
    await this.pool.query(`DELETE FROM code_attempts WHERE window_start < $1::timestamptz - interval '${KEEP_ATTEMPTS}'`, [now]);
    try {
      await this.pool.query(
        `INSERT INTO one_time_codes (${COLUMNS}) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (purpose, user_id) DO UPDATE SET digest = excluded.digest, expires_at = excluded.expires_at, data = excluded.data`,
        [code.purpose, code.userId, code.digest, code.expiresAt, code.data === undefined ? null : JSON.stringify(code.data)],
      );
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === "23505") return false; // another user's live code has this digest
      throw e;
    }
  }

  async live(purpose: CodePurpose, now: Instant): Promise<CodeRecord[]> {
    const r = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM one_time_codes WHERE purpose = $1 AND expires_at > $2`, [purpose, now]);
    return r.rows.map(recordOf);
  }

  async consume(purpose: CodePurpose, digest: string, now: Instant): Promise<CodeRecord | undefined> {
    const r = await this.pool.query<Row>(
      `DELETE FROM one_time_codes WHERE purpose = $1 AND digest = $2 AND expires_at > $3 RETURNING ${COLUMNS}`,
      [purpose, digest, now],
    );
    return r.rows[0] ? recordOf(r.rows[0]) : undefined;
  }

  async attempt(key: string, limit: number, windowMs: number, now: Instant): Promise<boolean> {
    const r = await this.pool.query<{ count: number }>(
      `INSERT INTO code_attempts AS a (key, window_start, count) VALUES ($1, $2, 1)
       ON CONFLICT (key) DO UPDATE SET
         window_start = CASE WHEN a.window_start <= $2::timestamptz - $3 * interval '1 millisecond' THEN excluded.window_start ELSE a.window_start END,
         count = CASE WHEN a.window_start <= $2::timestamptz - $3 * interval '1 millisecond' THEN 1 ELSE a.count + 1 END
       RETURNING count`,
      [key, now, windowMs],
    );
    return r.rows[0]!.count <= limit;
  }
}
