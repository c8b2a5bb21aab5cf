import type { Db } from './database.js'

export interface CommandRow {
  id: number
  request: string
  expiresAt: string
}

export type CommandState =
  { status: 'pending' | 'running' | 'expired' } | { status: 'done'; response: string }

/**
 * The command table: writes for a session owned by another daemon wait here for that daemon.
 * PostgreSQL only (SKIP LOCKED is its syntax): with SQLite one daemon owns every session, so
 * nothing is ever forwarded, and this is never created.
 */
export function createCommandQueries(db: Db) {
  const q = {
    insert: db.prepare(`INSERT INTO commands (host, request, created_at, expires_at)
      VALUES (?, ?, ?, ?) RETURNING id`),
    state: db.prepare('SELECT status, response FROM commands WHERE id = ?'),
    // Several claimers of one host (a daemon and its restarted self) never take the same row.
    pending: db.prepare(`SELECT id, request, expires_at AS expiresAt FROM commands
      WHERE host = ? AND status = 'pending' ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED`),
    setStatus: db.prepare('UPDATE commands SET status = ? WHERE id = ?'),
    finish: db.prepare(
      `UPDATE commands SET status = 'done', response = ?, done_at = ? WHERE id = ?`
    ),
    withdraw: db.prepare(
      `UPDATE commands SET status = 'expired', done_at = ? WHERE id = ? AND status = 'pending'`
    ),
    prune: db.prepare(`DELETE FROM commands WHERE status IN ('done', 'expired') AND done_at < ?`),
  }
  return {
    insert(host: string, request: string, now: string, expiresAt: string): number {
      return (q.insert.get(host, request, now, expiresAt) as { id: number }).id
    },
    state(id: number): CommandState | null {
      const r = q.state.get(id) as { status: string; response: string | null } | undefined
      if (!r) return null
      if (r.status === 'done') return { status: 'done', response: r.response ?? '' }
      return { status: r.status as 'pending' | 'running' | 'expired' }
    },
    /** Takes this host's pending commands: running from now on, in one transaction. */
    claim: db.transaction((host: string, limit: number): CommandRow[] => {
      const rows = q.pending.all(host, limit) as CommandRow[]
      for (const r of rows) q.setStatus.run('running', r.id)
      return rows
    }),
    finish(id: number, response: string, now: string): void {
      q.finish.run(response, now, id)
    },
    expire(id: number): void {
      q.setStatus.run('expired', id)
    },
    /** True when the command was still waiting and now never will run. */
    withdraw(id: number, now: string): boolean {
      return q.withdraw.run(now, id).changes > 0
    },
    prune(before: string): number {
      return q.prune.run(before).changes
    },
  }
}

export type CommandQueries = ReturnType<typeof createCommandQueries>
