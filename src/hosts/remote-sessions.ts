import type { Notifications } from '../storage/pg/listen.js'

export interface RemoteWatch {
  start(): void
  stop(): void
}

/**
 * Sessions of other daemons change in the shared database, not here: their readers and the lists
 * must hear of it. PostgreSQL notifies every change of a session row (an event append touches
 * it); a poll of the other hosts' sessions catches whatever a lost notification missed.
 */
export function watchRemoteSessions(deps: {
  hostId: string
  notifications: Notifications
  /** Id, and what changes with every write, of each session of another host. */
  othersState(): { id: string; version: string }[]
  pollMs: number
  changed(sessionId: string): void
  deleted(sessionId: string): void
}): RemoteWatch {
  let known = new Map<string, string>()
  let timer: NodeJS.Timeout | null = null

  function poll(): void {
    const next = new Map(deps.othersState().map((s) => [s.id, s.version]))
    for (const [id, version] of next) if (known.get(id) !== version) deps.changed(id)
    for (const id of known.keys()) if (!next.has(id)) deps.deleted(id)
    known = next
  }

  return {
    start() {
      known = new Map(deps.othersState().map((s) => [s.id, s.version]))
      deps.notifications.on('agentmux_sessions', (payload) => {
        const [op, host, id] = payload.split(' ')
        if (!id || host === deps.hostId) return
        if (op !== 'DELETE') return deps.changed(id)
        known.delete(id)
        deps.deleted(id)
      })
      timer = setInterval(poll, deps.pollMs)
      timer.unref()
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = null
    },
  }
}
