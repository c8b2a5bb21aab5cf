import type { Hub } from '../events/hub.js'
import type { CommittedEvent } from '../events/types.js'

/**
 * The hub with a tap on publish: every committed batch (the event log publishes each one, watched
 * or not) is also handed to `observe`. Metrics follow the log this way without touching the runner.
 */
export function observeHub(
  hub: Hub,
  observe: (sessionId: string, events: CommittedEvent[]) => void
): Hub {
  return {
    ...hub,
    publish(sessionId, events) {
      hub.publish(sessionId, events)
      observe(sessionId, events)
    },
  }
}
