-- A turn's last event id, set when it ends: retention finds what to prune from turns (indexed by
-- ended_at) instead of joining every event to its turn, which scanned the whole log.
ALTER TABLE turns ADD COLUMN last_event_id INTEGER;
UPDATE turns SET last_event_id = (SELECT max(id) FROM events WHERE events.turn_id = turns.id) WHERE ended_at IS NOT NULL;
