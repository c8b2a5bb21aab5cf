import type { Logger } from '../log.js'
import type { FeedMessage, Session } from './types.js'

export interface SessionFeed {
  changed(sessionId: string): void
  deleted(sessionId: string): void
  subscribe(listener: (m: FeedMessage) => void): () => void
  close(): void
}

/**
 * Changes for the session-list stream. A streaming turn changes its session on every event;
 * changes are coalesced per session and sent at most once per `flushMs`.
 */
export function createSessionFeed(deps: {
  getSession: (id: string) => Session | null
  log: Logger
  flushMs?: number
}): SessionFeed {
  const flushMs = deps.flushMs ?? 100
  const listeners = new Set<(m: FeedMessage) => void>()
  const dirty = new Set<string>()
  let timer: NodeJS.Timeout | null = null
  let closed = false

  const send = (m: FeedMessage) => {
    for (const l of listeners) l(m)
  }
  const flush = () => {
    timer = null
    for (const id of dirty) {
      // A timer's throw would end the daemon; a lost list update costs only a stale row.
      try {
        const session = deps.getSession(id)
        if (session) send({ kind: 'session.updated', session })
      } catch (err) {
        deps.log.warn('session list update failed', { session: id, error: (err as Error).message })
      }
    }
    dirty.clear()
  }

  return {
    changed(sessionId) {
      // A detached turn may still report after shutdown, when the store is closed.
      if (closed) return
      dirty.add(sessionId)
      timer ??= setTimeout(flush, flushMs)
    },
    deleted(id) {
      dirty.delete(id)
      send({ kind: 'session.deleted', id })
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    close() {
      closed = true
      if (timer) clearTimeout(timer)
      timer = null
      listeners.clear()
    },
  }
}
