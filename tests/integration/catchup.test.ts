import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { finalState } from '../helpers/final-state.js'
import { createSession, history, postTurn, runTurn } from '../helpers/session.js'
import { openSse, turnEnded, type SseClient } from '../helpers/sse.js'

let d: TestDaemon
beforeAll(async () => {
  d = await startTestDaemon()
})
afterAll(async () => {
  await d?.stop()
})

function open(
  sid: string,
  query: string,
  opts: { lastEventId?: string; gzip?: boolean } = {}
): Promise<SseClient> {
  return openSse(`${d.url}/sessions/${sid}/events${query}`, {
    token: d.token,
    ...(opts.lastEventId !== undefined ? { lastEventId: opts.lastEventId } : {}),
    headers: opts.gzip ? { 'Accept-Encoding': 'gzip, deflate, br' } : {},
  })
}
const caughtUp = (c: SseClient) => c.frames.some((f) => f.event === 'caught-up')

describe('catch-up attach', () => {
  it(
    'skips finished deltas, keeps an open block streaming, then the exact live tail; the cursor resumes exactly',
    { timeout: 120_000 },
    async () => {
      const s = await createSession(d)
      await runTurn(d, s.id, '[burst:300] [tool:echo hi]')
      await runTurn(d, s.id, '[think] [slow:200]')
      // A turn whose reply is still streaming when the client attaches.
      // 30 s of streaming: the catch-up below must find its block still open, also on a loaded machine.
      const live = await postTurn(d, s.id, '[burst:600] [burst-rate:20]')
      const watcher = await open(s.id, '')
      await watcher.waitFor(
        (c) => c.events.filter((e) => e.kind === 'text.delta' && e.turnId === live.id).length >= 20,
        'live deltas'
      )

      const cu = await open(s.id, '?mode=catchup')
      await cu.waitFor(caughtUp, 'caught-up')
      const atCaughtUp = [...cu.events]
      // Deltas of finished blocks are gone; those of the block still open are there.
      const done = await history(d, s.id)
      const finishedTurnIds = new Set(
        done.filter((e) => e.kind === 'turn.ended').map((e) => e.turnId)
      )
      expect(atCaughtUp.some((e) => e.kind === 'text.delta' && finishedTurnIds.has(e.turnId))).toBe(
        false
      )
      expect(atCaughtUp.some((e) => e.kind === 'text.delta' && e.turnId === live.id)).toBe(true)
      expect(atCaughtUp.length).toBeLessThan(
        done.filter((e) => e.id <= atCaughtUp.at(-1)!.id).length
      )
      // The last event sent carries the head the catch-up started from.
      const cuIndex = cu.frames.findIndex((f) => f.event === 'caught-up')
      const cuFrame = JSON.parse(cu.frames[cuIndex]!.data) as { lastEventId: number }
      expect(cu.frames.slice(0, cuIndex).findLast((f) => f.id !== null)!.id).toBe(
        String(cuFrame.lastEventId)
      )
      expect(atCaughtUp.at(-1)!.id).toBe(cuFrame.lastEventId)

      // Disconnect mid-turn, resume exactly from the cursor held: no gap, no duplicate.
      await cu.waitFor((c) => c.events.length > atCaughtUp.length + 5, 'live tail')
      cu.close()
      const cursor = cu.lastEventId!
      const resumed = await open(s.id, '', { lastEventId: cursor })
      await resumed.waitForEvent(turnEnded(live.id), 'turn.ended', 60_000)
      await watcher.waitForEvent(turnEnded(live.id), 'watcher turn.ended', 60_000)
      const log = await history(d, s.id)
      expect(resumed.events.map((e) => e.id)).toEqual(
        log.filter((e) => e.id > Number(cursor)).map((e) => e.id)
      )
      const ids = [...cu.events, ...resumed.events].map((e) => e.id)
      expect(new Set(ids).size).toBe(ids.length)
      expect(finalState([...cu.events, ...resumed.events])).toEqual(finalState(log))
      resumed.close()
      watcher.close()
    }
  )

  it('with turns=N starts at the N-th newest turn (event: window), and /history pages the older turns', async () => {
    const s = await createSession(d)
    const turns: string[] = []
    for (let i = 0; i < 5; i++) turns.push((await runTurn(d, s.id, `[burst:50] turn ${i}`)).turnId)
    const cu = await open(s.id, '?mode=catchup&turns=2')
    await cu.waitFor(caughtUp, 'caught-up')
    const window = cu.frames.find((f) => f.event === 'window')
    expect(window).toBeDefined()
    const after = (JSON.parse(window!.data) as { after: number }).after
    expect([...new Set(cu.events.map((e) => e.turnId))]).toEqual(turns.slice(3))
    expect(cu.events[0]!.kind).toBe('turn.started')
    expect(cu.events[0]!.id).toBeGreaterThan(after)
    cu.close()

    // Older turns, newest first, two at a time, until there are no more.
    let before = after + 1
    const pages: string[][] = []
    for (;;) {
      const r = await d.api.get(`/sessions/${s.id}/history?mode=catchup&before=${before}&turns=2`)
      expect(r.status).toBe(200)
      const events = r.body.events as { id: number; kind: string; turnId: string }[]
      expect(events.every((e) => e.id < before && e.kind !== 'text.delta')).toBe(true)
      pages.push([...new Set(events.map((e) => e.turnId))])
      before = (r.body.firstEventId as number) + 1
      if (!r.body.hasMore) break
    }
    expect(pages).toEqual([turns.slice(1, 3), turns.slice(0, 1)])

    // A client already at the head reconnecting with turns=2 gets no window frame and nothing old.
    const head = (await history(d, s.id)).at(-1)!.id
    const again = await open(s.id, `?mode=catchup&turns=2&after=${head}`)
    await again.waitFor(caughtUp, 'caught-up')
    expect(again.frames.some((f) => f.event === 'window')).toBe(false)
    expect(again.events).toEqual([])
    again.close()
  })

  it(
    'compresses a large replay when asked, and never a small one; live frames still arrive at once',
    { timeout: 120_000 },
    async () => {
      const s = await createSession(d)
      await runTurn(d, s.id, '[big:64]')
      const plain = await open(s.id, '?mode=catchup')
      const gz = await open(s.id, '?mode=catchup', { gzip: true })
      await plain.waitFor(caughtUp, 'plain caught-up')
      await gz.waitFor(caughtUp, 'gzip caught-up')
      expect(plain.headers['content-encoding']).toBeUndefined()
      expect(gz.headers['content-encoding']).toBe('gzip')
      expect(gz.events).toEqual(plain.events)
      // A live turn reaches the compressed stream frame by frame (flushed per write).
      // 20 s: the first delta arrives long before the end, also on a loaded machine.
      const t = await postTurn(d, s.id, '[slow:20000]')
      await gz.waitFor(
        (c) => c.events.some((e) => e.kind === 'text.delta' && e.turnId === t.id),
        'a live delta, before the turn ends'
      )
      expect(gz.events.some((e) => e.kind === 'turn.ended' && e.turnId === t.id)).toBe(false)
      await gz.waitForEvent(turnEnded(t.id), 'turn.ended', 60_000)
      await plain.waitForEvent(turnEnded(t.id), 'turn.ended', 60_000)
      expect(gz.events).toEqual(plain.events)
      plain.close()
      gz.close()

      // At the head there is little to send: no compressor for this stream.
      const head = (await history(d, s.id)).at(-1)!.id
      const small = await open(s.id, `?mode=catchup&after=${head}`, { gzip: true })
      await small.waitFor(caughtUp, 'caught-up')
      expect(small.headers['content-encoding']).toBeUndefined()
      small.close()

      // /history is compressed when asked.
      const r = await fetch(`${d.url}/sessions/${s.id}/history?limit=1000`, {
        headers: { Authorization: `Bearer ${d.token}`, 'Accept-Encoding': 'gzip' },
      })
      expect(r.headers.get('content-encoding')).toBe('gzip')
      const body = (await r.json()) as { events: unknown[] }
      expect(body.events.length).toBe((await history(d, s.id)).length)
    }
  )

  it('rejects a bad mode or turns with a 400', async () => {
    const s = await createSession(d)
    for (const q of ['?mode=fast', '?mode=catchup&turns=0', '?turns=x']) {
      const r = await d.api.get(`/sessions/${s.id}/events${q}`)
      expect(r.status, q).toBe(400)
      expect(r.body.error.code).toBe('invalid_request')
    }
    const h = await d.api.get(`/sessions/${s.id}/history?after=1&before=5`)
    expect(h.status).toBe(400)
  })
})
