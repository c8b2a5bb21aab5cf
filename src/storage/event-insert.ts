import type { Database } from './sql.js'

export interface EventRow {
  kind: string
  body: string
}

/** Inserts a batch of one session's events in order; returns their ids, in the same order. */
export type InsertEvents = (sessionId: string, turnId: string | null, rows: EventRow[]) => number[]

/**
 * SQLite: one prepared insert per event, which is its fastest path (no round trip). PostgreSQL:
 * the whole batch in one statement, since each statement costs a round trip; the rows go in
 * array order, so the insert trigger hands out increasing ids in that order.
 */
export function createEventInserter(db: Database): InsertEvents {
  if (db.kind === 'postgres') {
    // The counter row moves once for the batch and stays locked until the commit, so ids become
    // visible in increasing order (migrations/postgres/0001_init.sql).
    const many = db.prepare(`WITH c AS (UPDATE event_counter SET last = last + @n RETURNING last)
      INSERT INTO events (id, session_id, turn_id, kind, body)
      SELECT c.last - @n + e.n, @sessionId, @turnId, e.k, e.b
      FROM c, unnest(@kinds::text[], @bodies::text[]) WITH ORDINALITY AS e(k, b, n)
      RETURNING id`)
    return (sessionId, turnId, rows) =>
      (
        many.all({
          n: rows.length,
          sessionId,
          turnId,
          kinds: rows.map((r) => r.kind),
          bodies: rows.map((r) => r.body),
        }) as { id: number }[]
      )
        .map((r) => r.id)
        .sort((a, b) => a - b)
  }
  const one = db.prepare('INSERT INTO events (session_id, turn_id, kind, body) VALUES (?, ?, ?, ?)')
  return (sessionId, turnId, rows) =>
    rows.map((r) => Number(one.run(sessionId, turnId, r.kind, r.body).lastInsertRowid))
}
