-- Retention prunes whole old turns from a session's log; a client whose cursor falls in the pruned
-- range gets `event: reset` on attach.
ALTER TABLE sessions ADD COLUMN pruned_through INTEGER NOT NULL DEFAULT 0;
CREATE INDEX turns_ended ON turns (ended_at) WHERE ended_at IS NOT NULL;
