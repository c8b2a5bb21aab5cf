-- PostgreSQL's schema, the same tables as SQLite's migrations 0001 to 0008 (read those for what
-- each column means). Differences: event ids come from a counter row locked until commit (below),
-- tables ordered by arrival get an explicit rowid, and BLOB is bytea.
CREATE TABLE sessions (
  id                   TEXT PRIMARY KEY,
  title                TEXT NOT NULL,
  cwd                  TEXT NOT NULL,
  cwd_is_default       INTEGER NOT NULL DEFAULT 0,
  model                TEXT,
  permission_mode      TEXT,
  allowed_tools        TEXT NOT NULL DEFAULT '[]',
  append_system_prompt TEXT,
  claude_session_id    TEXT NOT NULL,
  claude_started       INTEGER NOT NULL DEFAULT 0,
  active_turn_id       TEXT,
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL,
  last_event_id        BIGINT NOT NULL DEFAULT 0,
  turn_count           INTEGER NOT NULL DEFAULT 0,
  cost_usd             DOUBLE PRECISION NOT NULL DEFAULT 0,
  claude_total_cost    DOUBLE PRECISION NOT NULL DEFAULT 0,
  input_tokens         BIGINT NOT NULL DEFAULT 0,
  output_tokens        BIGINT NOT NULL DEFAULT 0,
  context_tokens       BIGINT NOT NULL DEFAULT 0,
  preview              TEXT NOT NULL DEFAULT '',
  pruned_through       BIGINT NOT NULL DEFAULT 0,
  queue_paused         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sessions_updated ON sessions (updated_at DESC);

CREATE TABLE turns (
  rowid            BIGSERIAL UNIQUE,
  id               TEXT PRIMARY KEY,
  session_id       TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  client_turn_id   TEXT,
  status           TEXT NOT NULL,
  prompt           TEXT NOT NULL,
  model            TEXT,
  started_at       TEXT NOT NULL,
  ended_at         TEXT,
  duration_ms      BIGINT,
  cost_usd         DOUBLE PRECISION,
  exit_code        INTEGER,
  signal           TEXT,
  error            TEXT,
  stop_reason      TEXT,
  pid              INTEGER,
  pid_start        TEXT,
  spool_path       TEXT,
  spool_offset     BIGINT NOT NULL DEFAULT 0,
  translator_state TEXT,
  last_event_id    BIGINT,
  queued_at        TEXT,
  UNIQUE (session_id, client_turn_id)
);
CREATE INDEX turns_session ON turns (session_id, started_at);
CREATE INDEX turns_running ON turns (status) WHERE status = 'running';
CREATE INDEX turns_ended ON turns (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX turns_queued ON turns (session_id) WHERE status = 'queued';

-- The replay log. Several daemons write it, and a reader that saw id 102 commit before 101 would
-- skip 101 forever. So ids are not a sequence (which hands out numbers in start order and commits
-- them in any order): each insert takes the next number from one counter row, whose lock it holds
-- until its transaction commits. The next writer waits for that commit, so ids become visible in
-- increasing order, for every session and across them (tests/postgres/ordered-ids.test.ts).
CREATE TABLE events (
  id         BIGINT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  turn_id    TEXT,
  kind       TEXT NOT NULL,
  body       TEXT NOT NULL
);
CREATE INDEX events_session ON events (session_id, id);
CREATE INDEX events_notify ON events (id) WHERE kind IN ('turn.ended', 'permission.requested', 'permission.resolved');

CREATE TABLE event_counter (
  one  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
  last BIGINT NOT NULL
);
INSERT INTO event_counter (last) VALUES (0);

-- A batch takes its ids in one counter update (src/storage/event-insert.ts passes them); a row
-- inserted without one takes the next here. One update per row would leave a dead row version
-- per event behind, and the counter slows down as they pile up.
CREATE FUNCTION events_next_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS NULL THEN
    UPDATE event_counter SET last = last + 1 RETURNING last INTO NEW.id;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER events_next_id BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_next_id();

CREATE TABLE permissions (
  rowid       BIGSERIAL UNIQUE,
  request_id  TEXT PRIMARY KEY,
  session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  turn_id     TEXT NOT NULL,
  kind        TEXT NOT NULL,
  tool_name   TEXT NOT NULL,
  tool_use_id TEXT NOT NULL,
  input       TEXT NOT NULL,
  summary     TEXT NOT NULL,
  suggestions TEXT NOT NULL,
  expires_at  TEXT,
  created_at  TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending',
  decision    TEXT,
  resolved_by TEXT,
  message     TEXT,
  scope       TEXT,
  answers     TEXT,
  resolved_at TEXT,
  response    TEXT,
  delivered   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX permissions_session ON permissions (session_id, status);
CREATE INDEX permissions_undelivered ON permissions (turn_id) WHERE status = 'resolved' AND delivered = 0;

CREATE TABLE session_rules (
  rowid      BIGSERIAL UNIQUE,
  id         TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  rule       TEXT NOT NULL,
  request_id TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (session_id, rule)
);

CREATE TABLE notify_cursor (
  name     TEXT PRIMARY KEY,
  event_id BIGINT NOT NULL
);
INSERT INTO notify_cursor (name, event_id) VALUES ('outbox', 0);

CREATE TABLE outbox (
  id           BIGSERIAL PRIMARY KEY,
  event_id     BIGINT NOT NULL,
  target       TEXT NOT NULL,
  message      TEXT NOT NULL,
  request_id   TEXT,
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_at      BIGINT NOT NULL,
  created_at   BIGINT NOT NULL,
  delivered_at BIGINT,
  last_error   TEXT,
  UNIQUE (event_id, target)
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE delivered_at IS NULL;
CREATE INDEX outbox_request ON outbox (request_id, target) WHERE request_id IS NOT NULL;
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;

CREATE TABLE push_subscriptions (
  endpoint   TEXT PRIMARY KEY,
  p256dh     TEXT NOT NULL,
  auth       TEXT NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE turn_attachments (
  turn_id    TEXT NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  media_type TEXT NOT NULL,
  data       BYTEA NOT NULL,
  PRIMARY KEY (turn_id, position)
);
