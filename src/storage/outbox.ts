import type { Db } from './database.js'

/** An event the notifier may turn into deliveries, with what a message needs about its session. */
export interface NotifiableEvent {
  id: number
  sessionId: string
  turnId: string | null
  kind: string
  /** The stored event JSON (without its id). */
  body: string
  title: string
  /** The session's last assistant text (or prompt), as the list shows it. */
  preview: string
}

export interface OutboxRow {
  id: number
  eventId: number
  target: string
  message: string
  attempts: number
  createdAt: number
}

export interface PushSubscriptionRow {
  endpoint: string
  p256dh: string
  auth: string
}

export type Outbox = ReturnType<typeof createOutbox>

/** The notifier's tables: its cursor over the event log, the outbox, and push subscriptions. */
/** The notify cursor's row: one per host, which turns only its own sessions' events into deliveries. */
export const cursorNameOf = (host: string) => (host === '' ? 'outbox' : `outbox:${host}`)

export function createOutbox(db: Db, kinds: readonly string[], host = '') {
  const cursorName = cursorNameOf(host)
  const kindList = kinds.map((k) => `'${k.replace(/'/g, "''")}'`).join(', ')
  const q = {
    // One cursor per host, each starting at the head: a new host is not told about old history.
    addCursor: db.prepare(`INSERT OR IGNORE INTO notify_cursor (name, event_id)
      SELECT ?, coalesce(max(id), 0) FROM events`),
    cursor: db.prepare(`SELECT event_id FROM notify_cursor WHERE name = ?`).pluck(),
    setCursor: db.prepare(`UPDATE notify_cursor SET event_id = ? WHERE name = ? AND event_id < ?`),
    head: db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck(),
    // A range scan on the primary key from the cursor: no index on kind, which would slow ingest.
    scan: db.prepare(`SELECT e.id, e.session_id AS sessionId, e.turn_id AS turnId, e.kind, e.body,
      coalesce(s.title, '') AS title, coalesce(s.preview, '') AS preview
      FROM events e JOIN sessions s ON s.id = e.session_id
      WHERE e.id > ? AND e.id <= ? AND e.kind IN (${kindList}) AND s.host = ? ORDER BY e.id LIMIT ?`),
    insert:
      db.prepare(`INSERT OR IGNORE INTO outbox (event_id, target, message, request_id, next_at, created_at, host)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    due: db.prepare(`SELECT id, event_id AS eventId, target, message, attempts, created_at AS createdAt
      FROM outbox WHERE delivered_at IS NULL AND next_at <= ? AND host = ? ORDER BY next_at, id LIMIT ?`),
    attempt: db.prepare('UPDATE outbox SET attempts = attempts + 1 WHERE id = ?'),
    delivered: db.prepare('UPDATE outbox SET delivered_at = ?, last_error = NULL WHERE id = ?'),
    remove: db.prepare('DELETE FROM outbox WHERE id = ?'),
    retry: db.prepare('UPDATE outbox SET next_at = ?, last_error = ? WHERE id = ?'),
    dropTarget: db.prepare('DELETE FROM outbox WHERE target = ?'),
    requestState: db.prepare(`SELECT id, delivered_at AS deliveredAt FROM outbox
      WHERE request_id = ? AND target = ? ORDER BY id DESC LIMIT 1`),
    prune: db.prepare('DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?'),
    pending: db
      .prepare('SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND host = ?')
      .pluck(),
    nextDue: db
      .prepare('SELECT min(next_at) FROM outbox WHERE delivered_at IS NULL AND host = ?')
      .pluck(),
    addSub:
      db.prepare(`INSERT INTO push_subscriptions (endpoint, p256dh, auth, created_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (endpoint) DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth`),
    removeSub: db.prepare('DELETE FROM push_subscriptions WHERE endpoint = ?'),
    listSubs: db.prepare(
      'SELECT endpoint, p256dh, auth FROM push_subscriptions ORDER BY created_at'
    ),
  }

  q.addCursor.run(cursorName)

  return {
    cursor: (): number => q.cursor.get(cursorName) as number,

    /** Notifiable events after the cursor, and the cursor to store once they are handled. */
    scan(limit: number): { events: NotifiableEvent[]; through: number } {
      const after = q.cursor.get(cursorName) as number
      const head = q.head.get() as number
      const events = q.scan.all(after, head, host, limit) as NotifiableEvent[]
      // A full page may stop short of the head; otherwise everything up to the head was seen.
      const through = events.length === limit ? events[events.length - 1]!.id : head
      return { events, through }
    },

    /**
     * Runs `plan` (which reads and inserts through this object) and advances the cursor, in one
     * transaction: an event is turned into deliveries exactly once, even across kill -9.
     */
    atomically<T>(through: number, plan: () => T): T {
      return db.transaction(() => {
        const out = plan()
        q.setCursor.run(through, cursorName, through)
        return out
      })()
    },

    insert(
      r: { eventId: number; target: string; message: string; requestId: string | null },
      now: number
    ): boolean {
      return q.insert.run(r.eventId, r.target, r.message, r.requestId, now, now, host).changes > 0
    },

    /** What became of the newest delivery of a request to a target. */
    requestDelivery(requestId: string, target: string): { id: number; delivered: boolean } | null {
      const r = q.requestState.get(requestId, target) as
        { id: number; deliveredAt: number | null } | undefined
      return r ? { id: r.id, delivered: r.deliveredAt !== null } : null
    },

    /**
     * Due rows, their attempt counted before the send. They stay due: one worker sends them and
     * settles each before it claims more, and after a crash the next daemon sends them at once.
     */
    claimDue: db.transaction((now: number, limit: number): OutboxRow[] => {
      const rows = q.due.all(now, host, limit) as OutboxRow[]
      for (const r of rows) {
        q.attempt.run(r.id)
        r.attempts += 1
      }
      return rows
    }),

    delivered(id: number, now: number): void {
      q.delivered.run(now, id)
    },

    /** A delivery given up on, or no longer worth sending. */
    remove(id: number): void {
      q.remove.run(id)
    },

    /** Forgets deliveries older than `before` (they only served to answer requestDelivery). */
    prune(before: number): number {
      return q.prune.run(before).changes
    },

    retryAt(id: number, at: number, error: string): void {
      q.retry.run(at, error.slice(0, 500), id)
    },

    pending: (): number => q.pending.get(host) as number,
    nextDueAt: (): number | null => (q.nextDue.get(host) as number | null) ?? null,

    addSubscription(s: PushSubscriptionRow, now: string): void {
      q.addSub.run(s.endpoint, s.p256dh, s.auth, now)
    },

    /** Removes a subscription and whatever was still queued for it. */
    removeSubscription: db.transaction((endpoint: string): boolean => {
      q.dropTarget.run(`push:${endpoint}`)
      return q.removeSub.run(endpoint).changes > 0
    }),

    subscriptions: (): PushSubscriptionRow[] => q.listSubs.all() as PushSubscriptionRow[],
  }
}
