import type { Hub, Subscriber } from './hub.js'
import type { CommittedEvent, NewEvent } from './types.js'
import type { Progress, Store } from '../storage/store.js'

export type EventLog = ReturnType<typeof createEventLog>

/** The one way events enter the log: commit first, then wake readers, then tell the session list. */
export function createEventLog(deps: {
  store: Store
  hub: Hub
  onSessionChanged: (sessionId: string) => void
}) {
  const { store, hub, onSessionChanged } = deps
  let lastWriteAt = 0
  return {
    /** When the log was last written, for checkpointing an idle WAL. */
    lastWriteAt: () => lastWriteAt,

    append(
      sessionId: string,
      turnId: string | null,
      events: NewEvent[],
      progress?: Progress
    ): CommittedEvent[] {
      const committed = store.append(sessionId, turnId, events, progress)
      lastWriteAt = Date.now()
      if (committed.length > 0) {
        hub.publish(sessionId, committed)
        onSessionChanged(sessionId)
      }
      return committed
    },

    /** For events committed inside a larger store transaction (a turn's start). */
    published(sessionId: string, committed: CommittedEvent[]): void {
      if (committed.length === 0) return
      lastWriteAt = Date.now()
      hub.publish(sessionId, committed)
      onSessionChanged(sessionId)
    },

    /** Wakes a reader when the session has new events (it then reads them), ends it when the session goes. */
    subscribe(sessionId: string, subscriber: Subscriber): () => void {
      return hub.subscribe(sessionId, subscriber)
    },

    read(sessionId: string, afterId: number, limit: number): CommittedEvent[] {
      return hub.read(sessionId, afterId, limit) ?? store.readEvents(sessionId, afterId, limit)
    },
  }
}
