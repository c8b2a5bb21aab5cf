-- Tool approvals (issue 9). One row per `can_use_tool` control request, inserted in the transaction
-- that stores its `permission.requested` event and the spool offset after its line (exactly once).
CREATE TABLE permissions (
  -- claude's request_id, echoed back in the control_response
  request_id  TEXT PRIMARY KEY,
  session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  turn_id     TEXT NOT NULL,
  kind        TEXT NOT NULL,           -- tool | question | plan
  tool_name   TEXT NOT NULL,
  tool_use_id TEXT NOT NULL,
  input       TEXT NOT NULL,           -- JSON
  summary     TEXT NOT NULL,
  suggestions TEXT NOT NULL,           -- JSON array, claude's permission_suggestions
  expires_at  TEXT,                    -- tool approvals only
  created_at  TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending',   -- pending | resolved
  decision    TEXT,                    -- allow | deny
  resolved_by TEXT,                    -- user | timeout | cancel | lost
  message     TEXT,
  scope       TEXT,                    -- once | session
  answers     TEXT,                    -- JSON object, questions only
  resolved_at TEXT,
  -- the control_response line for claude, and whether it was written to claude's stdin: a daemon
  -- that dies between the commit and the write sends it again after the restart
  response    TEXT,
  delivered   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX permissions_session ON permissions (session_id, status);
CREATE INDEX permissions_undelivered ON permissions (turn_id) WHERE status = 'resolved' AND delivered = 0;

-- "Allow for this session": rules passed as --allowedTools on every later turn of the session.
CREATE TABLE session_rules (
  id         TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  rule       TEXT NOT NULL,
  request_id TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (session_id, rule)
);
