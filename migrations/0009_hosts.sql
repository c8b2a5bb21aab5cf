-- Hosts (issue 14). A session belongs to the daemon whose file system holds its cwd. With SQLite
-- there is only ever one daemon: at start it claims every session (a renamed host included).
ALTER TABLE sessions ADD COLUMN host TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_host ON sessions (host);

-- One row per daemon that ever opened the database, with its heartbeat.
CREATE TABLE hosts (
  id         TEXT PRIMARY KEY,
  url        TEXT NOT NULL,
  started_at TEXT NOT NULL,
  last_seen  TEXT NOT NULL
);

-- Writes for a session owned by another daemon, waiting for that daemon to claim them (PostgreSQL
-- only in practice; the table exists in both schemas so both run the same queries).
CREATE TABLE commands (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  host       TEXT NOT NULL,
  request    TEXT NOT NULL,
  status     TEXT NOT NULL DEFAULT 'pending',
  response   TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  done_at    TEXT
);
CREATE INDEX commands_pending ON commands (host, id) WHERE status = 'pending';

-- Each daemon turns its own sessions' events into notifications: a cursor per host.
ALTER TABLE outbox ADD COLUMN host TEXT NOT NULL DEFAULT '';

-- Values every daemon of the database must agree on (the Web Push key pair: a browser's
-- subscription is bound to one public key, whichever daemon ends up sending to it). The first
-- daemon's value wins; the others take it.
CREATE TABLE cluster_settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
