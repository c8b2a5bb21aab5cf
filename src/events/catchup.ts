/**
 * Catch-up attach: which events of a replay range a returning client can do without.
 *
 * A `text.delta` is superseded once the final `text` of its block is in the range: the final text
 * replaces the streamed pieces on every client (web/src/render.ts: a `text` replaces the oldest open
 * bubble of the same turn and thread). Deltas of a block still open at the end of the range are
 * kept, so a client that catches up mid-block still sees the text streaming.
 *
 * The last event of any range is never superseded (only a later event can supersede one), so a
 * client that resumes from the last id it received after a catch-up resumes exactly.
 *
 * claude streams the blocks of one thread one after the other (deltas of a block, then its final
 * assistant block, then the next), which is what the bubble matching below relies on.
 * Tool progress lines are folded away at ingest (src/claude/translate.ts), so no stored kind is
 * "progress of a finished tool" today; `text.delta` is the only superseded kind.
 */

/** The few fields the scan needs; any stored or wire event has them. */
export interface CatchupProbe {
  id: number
  kind: string
  turnId: string | null
  parentToolUseId?: unknown
  index?: unknown
}

interface Bubble {
  thread: string
  deltaIds: number[]
}

/** Scans a range in order (in as many pieces as it comes in) and collects the superseded ids. */
export function createSupersedeScan() {
  // Open bubbles in the order they opened, by the page's bubble key (turn, thread, block index).
  const open = new Map<string, Bubble>()
  const superseded = new Set<number>()

  return {
    add(ev: CatchupProbe): void {
      if (ev.kind === 'text.delta') {
        const thread = threadOf(ev)
        const key = `${thread}|${typeof ev.index === 'number' ? ev.index : 0}`
        let b = open.get(key)
        if (!b) {
          b = { thread, deltaIds: [] }
          open.set(key, b)
        }
        b.deltaIds.push(ev.id)
      } else if (ev.kind === 'text') {
        const thread = threadOf(ev)
        for (const [key, b] of open) {
          if (b.thread !== thread) continue
          for (const id of b.deltaIds) superseded.add(id)
          open.delete(key)
          return
        }
      }
    },
    get superseded(): ReadonlySet<number> {
      return superseded
    },
  }
}

function threadOf(ev: CatchupProbe): string {
  return `${ev.turnId ?? ''}|${typeof ev.parentToolUseId === 'string' ? ev.parentToolUseId : ''}`
}

/** The events of a range a catch-up sends: every one that is not superseded, in order. */
export function catchup<E extends CatchupProbe>(events: readonly E[]): E[] {
  const scan = createSupersedeScan()
  for (const e of events) scan.add(e)
  const skip = scan.superseded
  return skip.size === 0 ? [...events] : events.filter((e) => !skip.has(e.id))
}

/** Reads the probe fields out of an event's stored JSON. */
export function probeOf(json: string): CatchupProbe {
  return JSON.parse(json) as CatchupProbe
}
