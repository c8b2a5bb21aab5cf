import type { ServerResponse } from 'node:http'
import type { EventLog } from '../events/event-log.js'
import type { CommittedEvent } from '../events/types.js'
import { frame, type SseRegistry } from './sse.js'

/** Events per write: one socket write per page, whether from the ring or from SQLite. */
const PAGE = 1024

/**
 * One client's attach to a session: replay everything after the cursor, `caught-up`, then the live
 * tail. The client pulls pages from the log whenever it is woken and its socket has room, so there
 * is no per-client queue: a gap or a duplicate cannot happen, and a slow reader lags in SQLite.
 */
export function streamSession(
  res: ServerResponse,
  deps: { registry: SseRegistry; eventLog: EventLog },
  opts: { sessionId: string; token: string; cursor: number; head: number; prunedThrough: number }
): void {
  const { registry, eventLog } = deps
  const conn = registry.open(res, opts.token)
  let cursor = opts.cursor
  if (cursor > opts.head) {
    // A cursor from another life of this id: start over from the head.
    registry.write(conn, frame('reset', { lastEventId: opts.head }))
    cursor = opts.head
  } else if (cursor > 0 && cursor < opts.prunedThrough) {
    // Retention removed events this client never saw: it rebuilds from what is kept.
    registry.write(conn, frame('reset', { lastEventId: opts.prunedThrough }))
    cursor = opts.prunedThrough
  }
  let caughtUp = false
  let scheduled = false
  let ended = false

  const pump = () => {
    scheduled = false
    if (ended) return
    for (;;) {
      if (conn.blockedSince !== null) return
      const page = eventLog.read(opts.sessionId, cursor, PAGE)
      if (page.length === 0) {
        if (!caughtUp) {
          caughtUp = true
          registry.write(conn, frame('caught-up', { lastEventId: cursor }))
        }
        return
      }
      cursor = page[page.length - 1]!.id
      if (!registry.write(conn, frames(page))) return
    }
  }
  const schedule = () => {
    if (scheduled || ended) return
    scheduled = true
    setImmediate(pump)
  }

  const unsubscribe = eventLog.subscribe(opts.sessionId, {
    wake: schedule,
    // The session is going away: send what is committed (its last turn.ended), then end.
    end: () => {
      pump()
      ended = true
      if (!res.writableEnded) res.end()
    },
  })
  res.on('drain', schedule)
  res.once('close', () => {
    ended = true
    unsubscribe()
  })
  pump()
}

/**
 * `id:` comes last in each frame. Some clients (@microsoft/fetch-event-source 2.0.1) commit the id
 * as soon as they parse its line: a frame cut after `id:` and before its blank line would make them
 * reconnect past an event they never dispatched. With the id last, a cut frame has no id yet.
 */
function frames(events: CommittedEvent[]): string {
  let out = ''
  for (const e of events) out += `data: ${e.json}\nid: ${e.id}\n\n`
  return out
}
