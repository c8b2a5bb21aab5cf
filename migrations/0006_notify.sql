-- Notifications come from the event log through a durable outbox. The cursor is the newest event
-- id the notifier has looked at; it moves in the same transaction that inserts the outbox rows, so
-- an event is turned into deliveries exactly once, even across kill -9. It starts at the head, so
-- upgrading does not notify about old history.
CREATE TABLE notify_cursor (
  name     TEXT PRIMARY KEY,
  event_id INTEGER NOT NULL
);
INSERT INTO notify_cursor (name, event_id) VALUES ('outbox', (SELECT coalesce(max(id), 0) FROM events));

-- The notifier finds its few events without scanning the whole log since its cursor. A partial
-- index costs an insert only for the events it holds.
CREATE INDEX events_notify ON events (id) WHERE kind IN ('turn.ended', 'permission.requested', 'permission.resolved');

-- One row per (event, target). `target` is 'webhook:<url>', 'ntfy:<url>' or 'push:<endpoint>'.
-- The message is built when the row is made: the session may be renamed or deleted before a retry.
-- Delivered rows stay for two days (delivered_at set): a request's "answered" push goes only to the
-- devices that got the request, and a pending request push is dropped instead of followed up.
CREATE TABLE outbox (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id     INTEGER NOT NULL,
  target       TEXT NOT NULL,
  message      TEXT NOT NULL,
  request_id   TEXT,
  attempts     INTEGER NOT NULL DEFAULT 0,
  -- epoch ms: when the next attempt is due
  next_at      INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  delivered_at INTEGER,
  last_error   TEXT,
  UNIQUE (event_id, target)
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE delivered_at IS NULL;
CREATE INDEX outbox_request ON outbox (request_id, target) WHERE request_id IS NOT NULL;
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- Web Push subscriptions of the owner's browsers (one per device).
CREATE TABLE push_subscriptions (
  endpoint   TEXT PRIMARY KEY,
  p256dh     TEXT NOT NULL,
  auth       TEXT NOT NULL,
  created_at TEXT NOT NULL
);
