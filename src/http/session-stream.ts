import type { ServerResponse } from 'node:http'
import type { CatchupPlan } from '../events/catchup-plan.js'
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
  opts: {
    sessionId: string
    token: string
    cursor: number
    head: number
    prunedThrough: number
    /** Catch-up mode: plans which events of (cursor, head] to send (src/events/catchup-plan.ts). */
    catchup?: (cursor: number) => CatchupPlan
    /** Whether the client takes gzip; used when the replay is worth compressing. */
    gzip?: (plan: CatchupPlan | null, cursor: number) => boolean
  }
): void {
  const { registry, eventLog } = deps
  let cursor = resetCursor(opts)
  const plan = opts.catchup ? opts.catchup(cursor) : null
  const conn = registry.open(res, opts.token, { gzip: opts.gzip?.(plan, cursor) ?? false })
  if (cursor !== opts.cursor) registry.write(conn, frame('reset', { lastEventId: cursor }))
  // The newest turns only: older events are the client's to page from /history.
  if (plan && plan.start > cursor) {
    registry.write(conn, frame('window', { after: plan.start }))
    cursor = plan.start
  }
  let skip = plan?.skip ?? null
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
          skip = null
          registry.write(conn, frame('caught-up', { lastEventId: cursor }))
        }
        return
      }
      cursor = page[page.length - 1]!.id
      // Superseded events of the catch-up range are left out; the range's last event never is.
      const send = skip ? page.filter((e) => !skip!.has(e.id)) : page
      if (send.length > 0 && !registry.write(conn, frames(send))) return
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
      if (!conn.out.writableEnded) conn.out.end()
    },
  })
  conn.out.on('drain', schedule)
  res.once('close', () => {
    ended = true
    unsubscribe()
  })
  pump()
}

/** Where a cursor really starts: a cursor beyond the head or into pruned events is reset. */
function resetCursor(o: { cursor: number; head: number; prunedThrough: number }): number {
  // A cursor from another life of this id: start over from the head.
  if (o.cursor > o.head) return o.head
  // Retention removed events this client never saw: it rebuilds from what is kept.
  if (o.cursor > 0 && o.cursor < o.prunedThrough) return o.prunedThrough
  return o.cursor
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
