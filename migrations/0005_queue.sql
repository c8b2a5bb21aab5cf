-- The follow-up queue lives in the turns table: a queued turn is a row with status 'queued', run in
-- rowid order (rowids only grow while a queued row exists, so rowid order is arrival order).
-- started_at holds the time it was queued until it starts, then the time it started.
ALTER TABLE turns ADD COLUMN queued_at TEXT;
CREATE INDEX turns_queued ON turns (session_id) WHERE status = 'queued';
-- 1 after a turn ended failed or cancelled with turns still queued: nothing starts until a resume
-- or a new prompt.
ALTER TABLE sessions ADD COLUMN queue_paused INTEGER NOT NULL DEFAULT 0;
