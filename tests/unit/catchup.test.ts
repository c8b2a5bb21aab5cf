import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { catchup, createSupersedeScan, type CatchupProbe } from '../../src/events/catchup.js'
import { finalState } from '../helpers/final-state.js'

interface Ev extends CatchupProbe {
  text?: string
}

/** A realistic log: turns one after another; in each, threads whose blocks stream one at a time. */
const logArb = fc
  .array(
    fc.array(
      fc.record({
        thread: fc.constantFrom(undefined, 'toolu_a', 'toolu_b'),
        kind: fc.constantFrom('block', 'open-block', 'tool.use', 'tool.result', 'agent.retry'),
        pieces: fc.array(fc.string({ maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        index: fc.nat(2),
      }),
      { maxLength: 8 }
    ),
    { minLength: 1, maxLength: 4 }
  )
  .map((turns) => {
    const out: Ev[] = []
    let id = 0
    const push = (e: Omit<Ev, 'id'>) => out.push({ ...e, id: (id += 1 + (id % 3)) })
    turns.forEach((steps, t) => {
      const turnId = `trn_${t}`
      push({ kind: 'turn.started', turnId })
      // Only the last block of a thread may be left open (a turn cut off, or still running).
      const openThreads = new Set<string | undefined>()
      for (const s of steps) {
        if (openThreads.has(s.thread)) continue
        const p = s.thread ? { parentToolUseId: s.thread } : {}
        if (s.kind === 'block' || s.kind === 'open-block') {
          for (const text of s.pieces)
            push({ kind: 'text.delta', turnId, index: s.index, text, ...p })
          if (s.kind === 'block') push({ kind: 'text', turnId, text: s.pieces.join(''), ...p })
          else openThreads.add(s.thread)
        } else push({ kind: s.kind, turnId, ...p })
      }
      if (t < turns.length - 1) push({ kind: 'turn.ended', turnId })
    })
    return out
  })

describe('catch-up filter', () => {
  it('drops the deltas of a finished block and keeps those of an open one', () => {
    const log: Ev[] = [
      { id: 1, kind: 'turn.started', turnId: 't' },
      { id: 2, kind: 'text.delta', turnId: 't', index: 0, text: 'Hel' },
      { id: 3, kind: 'text.delta', turnId: 't', index: 0, text: 'lo' },
      { id: 4, kind: 'text', turnId: 't', text: 'Hello' },
      { id: 5, kind: 'tool.use', turnId: 't' },
      { id: 6, kind: 'tool.result', turnId: 't' },
      { id: 7, kind: 'text.delta', turnId: 't', index: 0, text: 'Work' },
      { id: 8, kind: 'text.delta', turnId: 't', index: 0, text: 'ing' },
    ]
    expect(catchup(log).map((e) => e.id)).toEqual([1, 4, 5, 6, 7, 8])
  })

  it('matches a final text to its own thread, not to a subagent streaming next to it', () => {
    const log: Ev[] = [
      { id: 1, kind: 'text.delta', turnId: 't', index: 0, text: 'a', parentToolUseId: 'toolu_x' },
      { id: 2, kind: 'text.delta', turnId: 't', index: 0, text: 'b' },
      { id: 3, kind: 'text', turnId: 't', text: 'b' },
      { id: 4, kind: 'text.delta', turnId: 'u', index: 0, text: 'c' },
    ]
    expect(catchup(log).map((e) => e.id)).toEqual([1, 3, 4])
  })

  it('can scan a range in pieces', () => {
    const scan = createSupersedeScan()
    scan.add({ id: 1, kind: 'text.delta', turnId: 't', index: 0 })
    expect([...scan.superseded]).toEqual([])
    scan.add({ id: 2, kind: 'text', turnId: 't' })
    expect([...scan.superseded]).toEqual([1])
  })

  it('never drops the last event of a range, so the cursor a client holds resumes exactly', () => {
    fc.assert(
      fc.property(logArb, fc.nat(), fc.nat(), (log, a, b) => {
        const from = a % log.length
        const to = from + 1 + (b % (log.length - from))
        const range = log.slice(from, to)
        expect(catchup(range).at(-1)!.id).toBe(range.at(-1)!.id)
      })
    )
  })

  it('catch-up (even cut off and resumed, any number of times) then the exact tail shows what the exact log shows', () => {
    fc.assert(
      fc.property(
        logArb,
        fc.array(fc.record({ head: fc.nat(), got: fc.nat() }), { maxLength: 4 }),
        fc.boolean(),
        (log, sessions, compactPrefix) => {
          const exact = finalState(log)
          // The client attaches several times in catch-up mode; each time the log has grown to some
          // head, and the connection may drop after any number of the events it was sent.
          const seen: Ev[] = []
          let cursor = 0
          let head = 0
          for (const s of sessions) {
            head = Math.max(head, s.head % (log.length + 1))
            const range = log.filter((e) => e.id > cursor && e.id <= (log[head - 1]?.id ?? 0))
            if (range.length === 0) continue
            const sent = compactPrefix ? catchup(range) : range
            const received = sent.slice(0, 1 + (s.got % sent.length))
            seen.push(...received)
            cursor = received.at(-1)!.id
          }
          // Then the live tail, exactly.
          seen.push(...log.filter((e) => e.id > cursor))
          expect(finalState(seen)).toEqual(exact)
        }
      ),
      { numRuns: 2000 }
    )
  })
})
