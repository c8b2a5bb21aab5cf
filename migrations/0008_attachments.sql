-- Images sent with a prompt (issue 12.20), kept apart from turns so a queued turn keeps them until
-- it runs, and removed with their turn.
CREATE TABLE turn_attachments (
  turn_id    TEXT NOT NULL REFERENCES turns (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  media_type TEXT NOT NULL,
  data       BLOB NOT NULL,
  PRIMARY KEY (turn_id, position)
);
