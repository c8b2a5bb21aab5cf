import type { Db } from './database.js'
import { cursorNameOf } from './outbox.js'

export interface HostRow {
  id: string
  url: string
  startedAt: string
  lastSeen: string
}

/** The daemons sharing the database, and their heartbeats. */
export function createHostQueries(db: Db) {
  const q = {
    beat: db.prepare(`INSERT INTO hosts (id, url, started_at, last_seen) VALUES (?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET url = excluded.url, last_seen = excluded.last_seen`),
    list: db.prepare(
      'SELECT id, url, started_at AS startedAt, last_seen AS lastSeen FROM hosts ORDER BY id'
    ),
    sessionsOf: db.prepare('SELECT id FROM sessions WHERE host = ?').pluck(),
    othersState: db.prepare(
      `SELECT id, updated_at || ' ' || last_event_id AS version FROM sessions WHERE host <> ?`
    ),
    ownerOf: db.prepare('SELECT host FROM sessions WHERE id = ?').pluck(),
    claimSessions: db.prepare('UPDATE sessions SET host = ? WHERE host <> ?'),
    claimOutbox: db.prepare('UPDATE outbox SET host = ? WHERE host <> ?'),
    // The furthest cursor is the one the single daemon used last; it becomes this host's.
    dropOtherCursors: db.prepare(`DELETE FROM notify_cursor WHERE name <>
      (SELECT name FROM notify_cursor ORDER BY event_id DESC, name LIMIT 1)`),
    claimCursor: db.prepare('UPDATE notify_cursor SET name = ?'),
    proposeSetting: db.prepare(
      'INSERT OR IGNORE INTO cluster_settings (name, value) VALUES (?, ?)'
    ),
    setting: db.prepare('SELECT value FROM cluster_settings WHERE name = ?').pluck(),
  }
  return {
    beat(id: string, url: string, now: string): void {
      q.beat.run(id, url, now, now)
    },
    list: (): HostRow[] => q.list.all() as HostRow[],
    sessionsOf: (id: string): string[] => q.sessionsOf.all(id) as string[],
    /** Each session of the other hosts, with a version that changes with every write to it. */
    othersState: (self: string): { id: string; version: string }[] =>
      q.othersState.all(self) as { id: string; version: string }[],
    ownerOf: (sessionId: string): string | null =>
      (q.ownerOf.get(sessionId) as string | undefined) ?? null,
    /** The database's value of a setting: `proposed` when this daemon is the first to ask. */
    agreedSetting(name: string, proposed: string): string {
      q.proposeSetting.run(name, proposed)
      return q.setting.get(name) as string
    },
    /**
     * SQLite has one daemon, so everything in it is that daemon's, even after its host id
     * changed (a renamed machine). Never called on a shared database.
     */
    claimAll: db.transaction((id: string): void => {
      q.claimSessions.run(id, id)
      q.claimOutbox.run(id, id)
      q.dropOtherCursors.run()
      q.claimCursor.run(cursorNameOf(id))
    }),
  }
}
