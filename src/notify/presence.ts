/**
 * Which sessions have a visible page attached: the page opens its session stream with `visible=1`
 * while the tab is shown and reopens it (without) when hidden, so a push is not sent to a phone
 * whose owner is already looking at the session.
 */
export interface Presence {
  /** Counts one visible viewer until the returned function is called (the stream closed). */
  attach(sessionId: string): () => void
  visible(sessionId: string): boolean
}

export function createPresence(): Presence {
  const viewers = new Map<string, number>()
  return {
    attach(sessionId) {
      viewers.set(sessionId, (viewers.get(sessionId) ?? 0) + 1)
      let done = false
      return () => {
        if (done) return
        done = true
        const n = (viewers.get(sessionId) ?? 1) - 1
        if (n > 0) viewers.set(sessionId, n)
        else viewers.delete(sessionId)
      }
    },
    visible: (sessionId) => (viewers.get(sessionId) ?? 0) > 0,
  }
}
