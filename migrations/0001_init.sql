-- Sessions own a claude conversation (claude_session_id) and a working directory.
CREATE TABLE sessions (
  id                   TEXT PRIMARY KEY,
  title                TEXT NOT NULL,
  cwd                  TEXT NOT NULL,
  cwd_is_default       INTEGER NOT NULL DEFAULT 0,
  model                TEXT,
  permission_mode      TEXT,
  allowed_tools        TEXT NOT NULL DEFAULT '[]',
  append_system_prompt TEXT,
  -- chosen by the daemon before the first turn (claude --session-id)
  claude_session_id    TEXT NOT NULL,
  -- 1 once claude printed system/init for this conversation: a transcript exists, so --resume works
  claude_started       INTEGER NOT NULL DEFAULT 0,
  active_turn_id       TEXT,
  created_at           TEXT NOT NULL,
  updated_at           TEXT NOT NULL,
  last_event_id        INTEGER NOT NULL DEFAULT 0,
  turn_count           INTEGER NOT NULL DEFAULT 0,
  cost_usd             REAL NOT NULL DEFAULT 0,
  -- claude's total_cost_usd is cumulative per conversation; a turn's cost is the difference
  claude_total_cost    REAL NOT NULL DEFAULT 0,
  input_tokens         INTEGER NOT NULL DEFAULT 0,
  output_tokens        INTEGER NOT NULL DEFAULT 0,
  context_tokens       INTEGER NOT NULL DEFAULT 0,
  preview              TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_updated ON sessions (updated_at DESC);

CREATE TABLE turns (
  id               TEXT PRIMARY KEY,
  session_id       TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  client_turn_id   TEXT,
  status           TEXT NOT NULL,
  prompt           TEXT NOT NULL,
  model            TEXT,
  started_at       TEXT NOT NULL,
  ended_at         TEXT,
  duration_ms      INTEGER,
  cost_usd         REAL,
  exit_code        INTEGER,
  signal           TEXT,
  error            TEXT,
  -- why the daemon stopped the turn: user | delete | shutdown | timeout | stall
  stop_reason      TEXT,
  -- the detached claude process and its output spool, so another daemon process can pick it up
  pid              INTEGER,
  pid_start        TEXT,
  spool_path       TEXT,
  spool_offset     INTEGER NOT NULL DEFAULT 0,
  translator_state TEXT,
  UNIQUE (session_id, client_turn_id)
);
CREATE INDEX turns_session ON turns (session_id, started_at);
CREATE INDEX turns_running ON turns (status) WHERE status = 'running';

-- The replay log. AUTOINCREMENT: ids are never reused, even after deletes, so a cursor never
-- points at a different event than the one the client saw.
CREATE TABLE events (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  turn_id    TEXT,
  kind       TEXT NOT NULL,
  -- the event as JSON without its id; the frame sent to clients is built from it without re-serialising
  body       TEXT NOT NULL
);
CREATE INDEX events_session ON events (session_id, id);
