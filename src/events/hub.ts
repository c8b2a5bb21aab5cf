import type { CommittedEvent } from './types.js'

/**
 * In-process fan-out of committed events. Subscribers get a payload-free wake-up and pull what they
 * need; the hub keeps a bounded ring of the newest events of watched sessions so clients at the
 * head are served from memory. A client behind the ring reads from SQLite: lag lives on disk.
 */
export interface Hub {
  publish(sessionId: string, events: CommittedEvent[]): void
  /** Events after `afterId` from memory, or null when memory does not cover that cursor. */
  read(sessionId: string, afterId: number, limit: number): CommittedEvent[] | null
  subscribe(sessionId: string, subscriber: Subscriber): () => void
  /** Wakes a session's readers without an event: another daemon wrote it, they read the database. */
  wake(sessionId: string): void
  /** Ends every subscriber of a session (it was deleted). */
  closeSession(sessionId: string): void
}

export interface Subscriber {
  wake(): void
  end(): void
}

interface Channel {
  ring: CommittedEvent[]
  /** Every event of the session with id > coversAfter is in the ring. */
  coversAfter: number
  ringBytes: number
  subscribers: Set<Subscriber>
}

export function createHub(opts: { ringEvents?: number; ringBytes?: number } = {}): Hub {
  const maxEvents = opts.ringEvents ?? 4096
  const maxBytes = opts.ringBytes ?? 2 * 1024 * 1024
  const channels = new Map<string, Channel>()

  return {
    publish(sessionId, events) {
      const ch = channels.get(sessionId)
      if (!ch || events.length === 0) return
      if (ch.coversAfter < 0) ch.coversAfter = events[0]!.id - 1
      for (const e of events) {
        ch.ring.push(e)
        ch.ringBytes += e.json.length
      }
      let drop = 0
      while (
        ch.ring.length - drop > maxEvents ||
        (ch.ringBytes > maxBytes && ch.ring.length - drop > 1)
      ) {
        ch.ringBytes -= ch.ring[drop]!.json.length
        drop++
      }
      if (drop > 0) {
        ch.coversAfter = ch.ring[drop - 1]!.id
        ch.ring.splice(0, drop)
      }
      for (const s of ch.subscribers) s.wake()
    },

    read(sessionId, afterId, limit) {
      const ch = channels.get(sessionId)
      if (!ch || ch.coversAfter < 0 || afterId < ch.coversAfter) return null
      const ring = ch.ring
      // Binary search for the first event after the cursor.
      let lo = 0
      let hi = ring.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (ring[mid]!.id <= afterId) lo = mid + 1
        else hi = mid
      }
      return ring.slice(lo, lo + limit)
    },

    subscribe(sessionId, subscriber) {
      let ch = channels.get(sessionId)
      if (!ch) {
        // coversAfter -1: nothing known yet; the first publish fixes it.
        ch = { ring: [], coversAfter: -1, ringBytes: 0, subscribers: new Set() }
        channels.set(sessionId, ch)
      }
      ch.subscribers.add(subscriber)
      const channel = ch
      return () => {
        channel.subscribers.delete(subscriber)
        if (channel.subscribers.size === 0 && channels.get(sessionId) === channel)
          channels.delete(sessionId)
      }
    },

    wake(sessionId) {
      for (const s of channels.get(sessionId)?.subscribers ?? []) s.wake()
    },

    closeSession(sessionId) {
      const ch = channels.get(sessionId)
      if (!ch) return
      channels.delete(sessionId)
      for (const s of [...ch.subscribers]) s.end()
    },
  }
}
