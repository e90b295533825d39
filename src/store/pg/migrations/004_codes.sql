-- One-time codes (desk login, /link, pending /broadcast confirmations) and attempt limits, shared by
-- every instance (src/store/pg/codes.ts).
-- A user holds one code per purpose; the digest (never the code) is unique per purpose.
CREATE TABLE one_time_codes (
  purpose text NOT NULL,
  user_id bigint NOT NULL,
  digest text NOT NULL,
  expires_at timestamptz NOT NULL,
  data jsonb,
  PRIMARY KEY (purpose, user_id)
);
CREATE UNIQUE INDEX one_time_codes_digest ON one_time_codes (purpose, digest);

-- A fixed window per key: when it started and how many attempts it has seen.
CREATE TABLE code_attempts (
  key text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  count integer NOT NULL
);
