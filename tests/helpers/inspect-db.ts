import Database from 'better-sqlite3'
import { join } from 'node:path'

/** Opens a stopped (or killed) daemon's database directly, to check what it really holds. */
export function inspectDb(dataDir: string) {
  const db = new Database(join(dataDir, 'agentmux.db'))
  return {
    integrity: () => db.pragma('integrity_check', { simple: true }) as string,
    events: (
      sessionId: string
    ): { id: number; kind?: string; turnId?: string; [k: string]: unknown }[] =>
      (
        db
          .prepare('SELECT id, body FROM events WHERE session_id = ? ORDER BY id')
          .all(sessionId) as { id: number; body: string }[]
      ).map((r) => ({ id: r.id, ...(JSON.parse(r.body) as Record<string, unknown>) })),
    turns: () =>
      db.prepare('SELECT id, session_id AS sessionId, status FROM turns').all() as {
        id: string
        sessionId: string
        status: string
      }[],
    /** The claude pids the daemon recorded, for tests that must end a claude that outlived it. */
    turnPids: () =>
      (db.prepare('SELECT pid FROM turns WHERE pid IS NOT NULL').all() as { pid: number }[]).map(
        (r) => r.pid
      ),
    close: () => db.close(),
  }
}
