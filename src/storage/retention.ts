import type { Db } from './database.js'

export type Retention = ReturnType<typeof createRetention>

/** The queries retention needs: which sessions to delete, and pruning old turns' events. */
/** Each daemon keeps its own sessions (`host`) bounded; the caps count per host. */
export function createRetention(db: Db, host = '') {
  const q = {
    expiredSessions:
      db.prepare(`SELECT id FROM sessions WHERE host = @host AND active_turn_id IS NULL AND (
      (CAST(@cutoff AS TEXT) IS NOT NULL AND updated_at < @cutoff) OR
      (@keep > 0 AND id NOT IN (SELECT id FROM sessions WHERE host = @host
        ORDER BY updated_at DESC, id LIMIT @keep)))`),
    prunable: db.prepare(`SELECT t.session_id AS sessionId, max(t.last_event_id) AS through
      FROM turns t JOIN sessions s ON s.id = t.session_id
      WHERE t.ended_at < ? AND t.last_event_id IS NOT NULL AND s.host = ? GROUP BY t.session_id`),
    prunedThrough: db.prepare('SELECT pruned_through FROM sessions WHERE id = ?').pluck(),
    deleteEventsBatch: db.prepare(`DELETE FROM events WHERE id IN
      (SELECT id FROM events WHERE session_id = ? AND id <= ? ORDER BY id LIMIT ?)`),
    setPrunedThrough: db.prepare(
      'UPDATE sessions SET pruned_through = max(pruned_through, ?) WHERE id = ?'
    ),
  }

  return {
    /** Idle sessions older than the cutoff, or beyond the newest `keep` (0: no cap). */
    expiredSessions(cutoff: string | null, keep: number): string[] {
      return (q.expiredSessions.all({ cutoff, keep, host }) as { id: string }[]).map((r) => r.id)
    },

    /**
     * Removes the events of turns that ended before the cutoff, whole turns only, in small
     * transactions so readers and the ingest are never held up for long.
     */
    pruneEventsBefore(cutoff: string, batch = 5000): number {
      let removed = 0
      for (const { sessionId, through } of q.prunable.all(cutoff, host) as {
        sessionId: string
        through: number
      }[]) {
        if (through <= ((q.prunedThrough.get(sessionId) as number | undefined) ?? 0)) continue
        for (;;) {
          const n = q.deleteEventsBatch.run(sessionId, through, batch).changes
          removed += n
          if (n < batch) break
        }
        q.setPrunedThrough.run(through, sessionId)
      }
      return removed
    },
  }
}
