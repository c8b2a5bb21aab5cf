import { createSupersedeScan, probeOf } from './catchup.js'
import type { CommittedEvent } from './types.js'

const SCAN_PAGE = 2048

export interface CatchupPlan {
  /** Where the stream starts: the client's cursor, or later when only the newest turns are wanted. */
  start: number
  /** Ids in (start, head] that the client can do without. */
  skip: ReadonlySet<number>
  /** The events and JSON bytes the catch-up will send, for deciding whether to compress. */
  events: number
  bytes: number
}

export interface CatchupSource {
  read(afterId: number, limit: number): CommittedEvent[]
  /** The id of the n-th newest `turn.started` below beforeId, or null when there are fewer. */
  turnStartBefore(beforeId: number, n: number): number | null
}

/**
 * Plans a catch-up of (cursor, head]: with `turns`, it starts no earlier than just before the
 * `turns`-th newest turn (older turns are paged from /history when a person scrolls up); then it
 * scans the range once for superseded events. The scan reads pages with `.all()`, never holding a
 * cursor open (shared/streams.md §3.4).
 */
export function planCatchup(
  src: CatchupSource,
  cursor: number,
  head: number,
  turns: number | null
): CatchupPlan {
  let start = cursor
  if (turns !== null) {
    const first = src.turnStartBefore(head + 1, turns)
    if (first !== null) start = Math.max(cursor, first - 1)
  }
  const scan = createSupersedeScan()
  const sizes: { id: number; bytes: number }[] = []
  for (let after = start; after < head;) {
    const page = src.read(after, SCAN_PAGE)
    if (page.length === 0) break
    for (const e of page) {
      if (e.id > head) break
      scan.add(probeOf(e.json))
      sizes.push({ id: e.id, bytes: e.json.length })
    }
    after = page[page.length - 1]!.id
  }
  const skip = scan.superseded
  let events = 0
  let bytes = 0
  for (const s of sizes) {
    if (skip.has(s.id)) continue
    events++
    bytes += s.bytes
  }
  return { start, skip, events, bytes }
}
