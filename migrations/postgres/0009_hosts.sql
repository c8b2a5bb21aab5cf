-- Hosts (issue 14): see migrations/0009_hosts.sql for the SQLite twin and what each table is for.
ALTER TABLE sessions ADD COLUMN host TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_host ON sessions (host);

CREATE TABLE hosts (
  id         TEXT PRIMARY KEY,
  url        TEXT NOT NULL,
  started_at TEXT NOT NULL,
  last_seen  TEXT NOT NULL
);

CREATE TABLE commands (
  id         BIGSERIAL PRIMARY KEY,
  host       TEXT NOT NULL,
  request    TEXT NOT NULL,
  status     TEXT NOT NULL DEFAULT 'pending',
  response   TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  done_at    TEXT
);
CREATE INDEX commands_pending ON commands (host, id) WHERE status = 'pending';

ALTER TABLE outbox ADD COLUMN host TEXT NOT NULL DEFAULT '';

-- Wake-ups for the daemons (the rows stay the truth; each listener also polls). A new command
-- names its host; a session's change names the session and its host, so the other daemons wake
-- that session's readers and refresh their lists (an event append touches its session's row).
CREATE FUNCTION commands_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM pg_notify('agentmux_commands', NEW.host);
  ELSE
    PERFORM pg_notify('agentmux_command_done', NEW.id::text);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER commands_notify AFTER INSERT OR UPDATE OF status ON commands
  FOR EACH ROW EXECUTE FUNCTION commands_notify();

CREATE FUNCTION sessions_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('agentmux_sessions', 'DELETE ' || OLD.host || ' ' || OLD.id);
  ELSE
    PERFORM pg_notify('agentmux_sessions', TG_OP || ' ' || NEW.host || ' ' || NEW.id);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER sessions_notify AFTER INSERT OR UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION sessions_notify();

-- Values every daemon of the database must agree on (the Web Push key pair: a browser's
-- subscription is bound to one public key, whichever daemon ends up sending to it). The first
-- daemon's value wins; the others take it.
CREATE TABLE cluster_settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
