-- The store contract (src/store/types.ts) in PostgreSQL.
--
-- Each table keeps the record exactly as put, in `doc` (jsonb), so a read returns what was written;
-- the columns the queries filter, sort and group on are GENERATED from doc, so the mapping from
-- record to column has one home (here) and can never drift from the record.
-- Instants are ISO-8601 strings in the records and compare as strings in the contract: their columns
-- are text COLLATE "C" (byte order = the embedded store's code-unit order), whatever the database locale.

CREATE TABLE users (
  id          bigint PRIMARY KEY,
  doc         jsonb NOT NULL,
  chat_id     bigint GENERATED ALWAYS AS ((doc->>'chatId')::bigint) STORED,
  reachable   boolean GENERATED ALWAYS AS (coalesce((doc->>'reachable')::boolean, false)) STORED,
  subscribed  boolean GENERATED ALWAYS AS (coalesce((doc->>'subscribed')::boolean, false)) STORED,
  -- unsubscribedAt set (and not empty): opted out of default reminders
  opted_out   boolean GENERATED ALWAYS AS (coalesce(doc->>'unsubscribedAt', '') <> '') STORED
);
CREATE INDEX users_chat_id ON users (chat_id);
CREATE INDEX users_roles ON users USING gin ((doc->'roles'));
-- broadcast audiences walk reachable users by id
CREATE INDEX users_reachable_id ON users (id) WHERE reachable;

CREATE TABLE sessions (
  user_id bigint PRIMARY KEY,
  doc     jsonb NOT NULL
);

CREATE TABLE drafts (
  id          text COLLATE "C" PRIMARY KEY,
  doc         jsonb NOT NULL,
  owner_id    bigint GENERATED ALWAYS AS ((doc->>'ownerId')::bigint) STORED,
  created_at  text COLLATE "C" GENERATED ALWAYS AS (doc->>'createdAt') STORED,
  updated_at  text COLLATE "C" GENERATED ALWAYS AS (doc->>'updatedAt') STORED,
  revises     text COLLATE "C" GENERATED ALWAYS AS (doc->>'revises') STORED,
  -- answers.subProject / answers.plan only when they are strings (DraftScope's rule)
  sub_project text COLLATE "C" GENERATED ALWAYS AS
    (CASE WHEN jsonb_typeof(doc->'answers'->'subProject') = 'string' THEN doc->'answers'->>'subProject' END) STORED,
  plan_answer text COLLATE "C" GENERATED ALWAYS AS
    (CASE WHEN jsonb_typeof(doc->'answers'->'plan') = 'string' THEN doc->'answers'->>'plan' END) STORED
);
CREATE INDEX drafts_owner ON drafts (owner_id, created_at, id);
CREATE INDEX drafts_updated ON drafts (updated_at, id);
CREATE INDEX drafts_sub_project ON drafts (sub_project);
CREATE INDEX drafts_revises ON drafts (revises) WHERE revises IS NOT NULL;

CREATE TABLE declarations (
  ref            text COLLATE "C" PRIMARY KEY,
  doc            jsonb NOT NULL,
  owner_id       bigint GENERATED ALWAYS AS ((doc->>'ownerId')::bigint) STORED,
  plan           text COLLATE "C" GENERATED ALWAYS AS (doc->>'plan') STORED,
  sub_project_id text COLLATE "C" GENERATED ALWAYS AS (doc->>'subProjectId') STORED,
  status         text COLLATE "C" GENERATED ALWAYS AS (doc->>'status') STORED,
  institution    text COLLATE "C" GENERATED ALWAYS AS
    (CASE WHEN jsonb_typeof(doc->'answers'->'institution') = 'string' THEN doc->'answers'->>'institution' END) STORED,
  submitted_at   text COLLATE "C" GENERATED ALWAYS AS (doc->>'submittedAt') STORED,
  updated_at     text COLLATE "C" GENERATED ALWAYS AS (doc->>'updatedAt') STORED,
  from_draft     text COLLATE "C" GENERATED ALWAYS AS (doc->>'fromDraft') STORED,
  -- planned trainees: answers.people where it is a number
  people         numeric GENERATED ALWAYS AS
    (CASE WHEN jsonb_typeof(doc->'answers'->'people') = 'number' THEN (doc->'answers'->>'people')::numeric END) STORED
);
-- every sortable list pages by (key, ref); the filters the desk and /review use most lead an index each
CREATE INDEX declarations_submitted ON declarations (submitted_at, ref);
CREATE INDEX declarations_updated ON declarations (updated_at, ref);
CREATE INDEX declarations_owner ON declarations (owner_id, submitted_at, ref);
CREATE INDEX declarations_status ON declarations (status, submitted_at, ref);
CREATE INDEX declarations_sub_project ON declarations (sub_project_id, status);
CREATE INDEX declarations_plan ON declarations (plan, status);
CREATE INDEX declarations_institution ON declarations (institution);
CREATE INDEX declarations_from_draft ON declarations (from_draft) WHERE from_draft IS NOT NULL;

-- Reference numbers: one counter row per prefix and year, taken with an upsert inside the
-- submitting transaction (the row lock orders concurrent submissions; a rollback leaves no gap).
CREATE TABLE ref_counters (
  prefix text COLLATE "C" NOT NULL,
  year   integer NOT NULL,
  last   integer NOT NULL,
  PRIMARY KEY (prefix, year)
);

CREATE TABLE audit (
  seq    bigserial PRIMARY KEY,
  doc    jsonb NOT NULL,
  at     text COLLATE "C" GENERATED ALWAYS AS (doc->>'at') STORED,
  actor  bigint GENERATED ALWAYS AS ((doc->>'actor')::bigint) STORED,
  action text COLLATE "C" GENERATED ALWAYS AS (doc->>'action') STORED,
  target text COLLATE "C" GENERATED ALWAYS AS (doc->>'target') STORED
);
CREATE INDEX audit_at ON audit (at, seq);
CREATE INDEX audit_target ON audit (target, at, seq);
CREATE INDEX audit_actor ON audit (actor, at, seq);

CREATE TABLE deadlines (
  id   text COLLATE "C" PRIMARY KEY,
  doc  jsonb NOT NULL,
  date text COLLATE "C" GENERATED ALWAYS AS (doc->>'date') STORED
);

CREATE TABLE broadcasts (
  id         text COLLATE "C" PRIMARY KEY,
  doc        jsonb NOT NULL,
  created_at text COLLATE "C" GENERATED ALWAYS AS (doc->>'createdAt') STORED,
  open       boolean GENERATED ALWAYS AS (doc->>'finishedAt' IS NULL AND doc->>'cancelledAt' IS NULL) STORED
);
CREATE INDEX broadcasts_created ON broadcasts (created_at, id);
CREATE INDEX broadcasts_open ON broadcasts (created_at, id) WHERE open;

-- The delivery ledger: a row per (delivery, chat). reached_at set = sent or given up (never sent
-- again); otherwise the row is a claim by `owner` until lease_until (database clock), so exactly
-- one instance sends to a chat, and a claim left by a killed instance expires.
CREATE TABLE ledger (
  delivery    text COLLATE "C" NOT NULL,
  chat_id     bigint NOT NULL,
  reached_at  timestamptz,
  owner       text,
  lease_until timestamptz,
  PRIMARY KEY (delivery, chat_id)
);
CREATE INDEX ledger_reached ON ledger (delivery) WHERE reached_at IS NOT NULL;

-- The inbox: updates stored by update_id before they are acknowledged (webhook 200 / getUpdates offset).
CREATE TABLE inbox (
  update_id   bigint PRIMARY KEY,
  chat_id     bigint,
  "update"    jsonb NOT NULL,
  received_at text COLLATE "C" NOT NULL,
  done_at     text COLLATE "C",
  claimed_by  text,
  lease_until text COLLATE "C",
  attempts    integer NOT NULL DEFAULT 0
);
-- claim(): the oldest pending update of each chat
CREATE INDEX inbox_pending ON inbox (update_id) WHERE done_at IS NULL;
CREATE INDEX inbox_pending_chat ON inbox (chat_id, update_id) WHERE done_at IS NULL;
CREATE INDEX inbox_done ON inbox (done_at) WHERE done_at IS NOT NULL;
