import { catchup, probeOf } from '../events/catchup.js'
import type { CommittedEvent } from '../events/types.js'
import type { Store } from '../storage/store.js'
import { badRequest } from '../errors.js'

const DEFAULT_HISTORY_LIMIT = 500
const DEFAULT_OLDER_TURNS = 3

export interface HistoryParams {
  after?: number
  before?: number
  mode?: 'exact' | 'catchup'
  turns?: number
  limit?: number
}

/**
 * The JSON body of GET /sessions/:id/history. Two shapes of page:
 * - forward (`after`, `limit`): the events after a cursor, as before; `mode=catchup` leaves out the
 *   deltas whose final text is on the same page;
 * - backward (`before`, `turns`): the whole turns just below `before`, for a page that shows the
 *   newest turns and loads older ones on scroll; `firstEventId` is the cursor below them.
 * Stored JSON goes out as it is: no parse and re-serialise per event.
 */
export function historyBody(
  store: Store,
  sessionId: string,
  head: number,
  q: HistoryParams
): string {
  if (q.before !== undefined) {
    if (q.after !== undefined)
      throw badRequest('invalid_request', 'invalid query: give after or before, not both')
    return olderTurns(
      store,
      sessionId,
      q.before,
      q.turns ?? DEFAULT_OLDER_TURNS,
      q.mode === 'catchup'
    )
  }
  const limit = q.limit ?? DEFAULT_HISTORY_LIMIT
  const after = q.after ?? 0
  // One more than asked tells whether there is more, without a count query.
  const page = store.readEvents(sessionId, after, limit + 1)
  const hasMore = page.length > limit
  const events = hasMore ? page.slice(0, limit) : page
  const lastEventId = events.length > 0 ? events[events.length - 1]!.id : Math.min(after, head)
  const sent = q.mode === 'catchup' ? compact(events) : events
  return `{"events":[${sent.map((e) => e.json).join(',')}],"lastEventId":${lastEventId},"hasMore":${hasMore}}`
}

function olderTurns(
  store: Store,
  sessionId: string,
  before: number,
  turns: number,
  compactIt: boolean
): string {
  const end = before - 1
  const first = store.turnStartBefore(sessionId, before, turns)
  const start = first === null ? 0 : first - 1
  const range = readRange(store, sessionId, start, end)
  const events = compactIt ? compact(range) : range
  const oldest = store.readEvents(sessionId, 0, 1)[0]
  const hasMore = oldest !== undefined && oldest.id <= start
  const lastEventId = Math.max(start, Math.min(end, events.at(-1)?.id ?? start))
  return `{"events":[${events.map((e) => e.json).join(',')}],"firstEventId":${start},"lastEventId":${lastEventId},"hasMore":${hasMore}}`
}

function readRange(store: Store, sessionId: string, start: number, end: number): CommittedEvent[] {
  const out: CommittedEvent[] = []
  for (let after = start; after < end;) {
    const page = store.readEvents(sessionId, after, 1000)
    if (page.length === 0) break
    for (const e of page) if (e.id <= end) out.push(e)
    after = page[page.length - 1]!.id
  }
  return out
}

function compact(events: CommittedEvent[]): CommittedEvent[] {
  const probes = events.map((e) => ({ ...probeOf(e.json), id: e.id }))
  const kept = new Set(catchup(probes).map((p) => p.id))
  return events.filter((e) => kept.has(e.id))
}
