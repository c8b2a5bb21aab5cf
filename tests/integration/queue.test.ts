import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { attach, createSession, history, postTurn } from '../helpers/session.js'
import { turnEnded, type LogEvent } from '../helpers/sse.js'

let d: TestDaemon
beforeAll(async () => {
  d = await startTestDaemon()
})
afterAll(async () => {
  await d?.stop()
})

type TurnBody = {
  id: string
  status: string
  position: number | null
  prompt: string
  clientTurnId: string | null
}

const turnsOf = async (sessionId: string): Promise<TurnBody[]> =>
  (await d.api.get(`/sessions/${sessionId}/turns`)).body.turns
const sessionOf = async (sessionId: string) => (await d.api.get(`/sessions/${sessionId}`)).body

/** Every turn of the log has exactly one turn.ended; the started ones exactly one turn.started. */
function expectEachEndsOnce(log: LogEvent[], turnIds: string[]): void {
  for (const id of turnIds) {
    expect(
      log.filter((e) => e.kind === 'turn.ended' && e.turnId === id),
      `turn.ended of ${id}`
    ).toHaveLength(1)
    expect(
      log.filter((e) => e.kind === 'turn.started' && e.turnId === id).length,
      `turn.started of ${id}`
    ).toBeLessThanOrEqual(1)
  }
}

/** The turn ids in the order their turn.started appear; and that no two turns overlap. */
function runOrder(log: LogEvent[]): string[] {
  const order: string[] = []
  let running: string | null = null
  for (const e of log) {
    if (e.kind === 'turn.started') {
      expect(running, `turn ${e.turnId} started while ${running} ran`).toBeNull()
      running = e.turnId
      order.push(e.turnId!)
    }
    if (e.kind === 'turn.ended' && e.turnId === running) running = null
  }
  return order
}

describe('the follow-up queue', () => {
  it(
    'queues prompts sent while a turn runs and runs them one by one in order, never merged',
    { timeout: 120_000 },
    async () => {
      const s = await createSession(d)
      // 20 s: still running after the posts and reads below, also on a loaded machine.
      const a = await postTurn(d, s.id, 'first [slow:20000]')
      expect(a).toMatchObject({ status: 'running', position: null })
      const queued: TurnBody[] = []
      for (const p of ['second', 'third', 'fourth [history]'])
        queued.push((await postTurn(d, s.id, p)) as TurnBody)
      expect(queued.map((t) => [t.status, t.position])).toEqual([
        ['queued', 1],
        ['queued', 2],
        ['queued', 3],
      ])
      const mid = await sessionOf(s.id)
      expect(mid).toMatchObject({
        status: 'running',
        activeTurnId: a.id,
        queuedTurns: 3,
        queuePaused: false,
      })
      expect((await turnsOf(s.id)).map((t) => t.id)).toEqual([a.id, ...queued.map((t) => t.id)])

      const sse = await attach(d, s.id, { after: 0 })
      await sse.waitForEvent(turnEnded(queued[2]!.id), 'the last queued turn to end', 60_000)
      sse.close()
      const log = await history(d, s.id)
      const ids = [a.id, ...queued.map((t) => t.id)]
      expect(runOrder(log)).toEqual(ids)
      expectEachEndsOnce(log, ids)
      const queuedEvents = log.filter((e) => e.kind === 'turn.queued')
      expect(queuedEvents.map((e) => [e.turnId, e.position, e.prompt])).toEqual([
        [queued[0]!.id, 1, 'second'],
        [queued[1]!.id, 2, 'third'],
        [queued[2]!.id, 3, 'fourth [history]'],
      ])
      // Each prompt reached claude as its own turn: the last one's history lists the others apart.
      const reply = log.find((e) => e.kind === 'text' && e.turnId === queued[2]!.id)!.text as string
      expect(reply).toMatch(/HISTORY: first \[slow:20000\]\nHISTORY: second\nHISTORY: third/)
      const turns = await turnsOf(s.id)
      expect(turns.map((t) => [t.status, t.position])).toEqual(Array(4).fill(['completed', null]))
      expect(await sessionOf(s.id)).toMatchObject({
        status: 'idle',
        queuedTurns: 0,
        queuePaused: false,
        turnCount: 4,
      })
    }
  )

  it('edits and removes queued turns; 409 once a turn runs or ended, 404 for an unknown one', async () => {
    const s = await createSession(d)
    const a = await postTurn(d, s.id, 'hold [hang]')
    const b = (await postTurn(d, s.id, 'b')) as TurnBody
    const c = (await postTurn(d, s.id, 'c')) as TurnBody

    const edited = await d.api.patch(`/sessions/${s.id}/turns/${c.id}`, {
      prompt: 'c, edited [history]',
    })
    expect(edited.status, JSON.stringify(edited.body)).toBe(200)
    expect(edited.body.turn).toMatchObject({
      id: c.id,
      status: 'queued',
      position: 2,
      prompt: 'c, edited [history]',
    })

    const removed = await d.api.del(`/sessions/${s.id}/turns/${b.id}`)
    expect(removed.status, JSON.stringify(removed.body)).toBe(200)
    expect(removed.body.turn).toMatchObject({ id: b.id, status: 'cancelled', position: null })
    expect((await turnsOf(s.id)).find((t) => t.id === c.id)).toMatchObject({
      status: 'queued',
      position: 1,
    })
    expect(await sessionOf(s.id)).toMatchObject({ queuedTurns: 1 })

    const again = await d.api.del(`/sessions/${s.id}/turns/${b.id}`)
    expect(again.status).toBe(409)
    expect(again.body.error.code).toBe('turn_not_queued')
    expect(again.body.error.message).toContain('already ended (cancelled)')
    const running = await d.api.del(`/sessions/${s.id}/turns/${a.id}`)
    expect(running.status).toBe(409)
    expect(running.body.error.message).toContain(`POST /sessions/${s.id}/cancel`)
    expect(
      (await d.api.patch(`/sessions/${s.id}/turns/${a.id}`, { prompt: 'too late' })).status
    ).toBe(409)
    expect((await d.api.del(`/sessions/${s.id}/turns/trn_0000000000000000`)).status).toBe(404)
    expect((await d.api.del(`/sessions/ses_0000000000000000/turns/${c.id}`)).status).toBe(404)
    expect((await d.api.del(`/sessions/${s.id}/turns/not-a-turn`)).status).toBe(400)
    expect((await d.api.patch(`/sessions/${s.id}/turns/${c.id}`, { prompt: '   ' })).status).toBe(
      400
    )
    expect(
      (await d.api.patch(`/sessions/${s.id}/turns/${c.id}`, { prompt: 'x', extra: 1 })).status
    ).toBe(400)

    // Cancelling the running turn pauses the queue: c waits.
    const cancel = await d.api.post(`/sessions/${s.id}/cancel`)
    expect(cancel.body).toMatchObject({ cancelled: true, removedTurnIds: [] })
    const sse = await attach(d, s.id, { after: 0 })
    const paused = await sse.waitForEvent((e) => e.kind === 'queue.paused', 'queue.paused')
    expect(paused).toMatchObject({ reason: 'cancelled', turnId: a.id })
    expect(sse.events.find(turnEnded(a.id))).toMatchObject({ status: 'cancelled' })
    expect(await sessionOf(s.id)).toMatchObject({
      status: 'idle',
      queuedTurns: 1,
      queuePaused: true,
    })
    expect((await turnsOf(s.id)).find((t) => t.id === c.id)).toMatchObject({
      status: 'queued',
      position: 1,
    })

    const resumed = await d.api.post(`/sessions/${s.id}/queue/resume`)
    expect(resumed.status).toBe(200)
    expect(resumed.body.resumed).toBe(true)
    expect(resumed.body.session).toMatchObject({
      status: 'running',
      activeTurnId: c.id,
      queuePaused: false,
    })
    await sse.waitForEvent(turnEnded(c.id), 'the edited turn to end')
    sse.close()
    const log = await history(d, s.id)
    expect(log.filter((e) => e.kind === 'turn.edited')).toMatchObject([
      { turnId: c.id, prompt: 'c, edited [history]' },
    ])
    expect(log.find((e) => e.kind === 'turn.started' && e.turnId === c.id)).toMatchObject({
      prompt: 'c, edited [history]',
    })
    expect(log.some((e) => e.kind === 'turn.started' && e.turnId === b.id)).toBe(false)
    expect(log.filter((e) => e.kind === 'queue.resumed')).toHaveLength(1)
    expectEachEndsOnce(log, [a.id, b.id, c.id])
    // The removed prompt never reached claude: its turn has only its queueing and its end.
    expect(log.filter((e) => e.turnId === b.id).map((e) => e.kind)).toEqual([
      'turn.queued',
      'turn.ended',
    ])
    expect(log.filter((e) => e.turnId === c.id && e.kind === 'agent.init')).toHaveLength(1)
    expect((await d.api.patch(`/sessions/${s.id}/turns/${c.id}`, { prompt: 'after' })).status).toBe(
      409
    )
    expect((await d.api.post(`/sessions/${s.id}/queue/resume`)).body.resumed).toBe(false)
  })

  it('{"queue": false} keeps the old 409 when busy', async () => {
    const s = await createSession(d)
    const a = await postTurn(d, s.id, 'hold [hang]', { queue: false })
    expect(a.status).toBe('running')
    const busy = await d.api.post(`/sessions/${s.id}/turns`, { prompt: 'no queue', queue: false })
    expect(busy.status).toBe(409)
    expect(busy.body.error.code).toBe('turn_in_progress')
    expect(busy.body.error.message).toContain(a.id)
    expect((await d.api.post(`/sessions/${s.id}/turns`, { prompt: 'x', queue: 'no' })).status).toBe(
      400
    )
    expect(await turnsOf(s.id)).toHaveLength(1)
    const sse = await attach(d, s.id, { after: 0 })
    await d.api.post(`/sessions/${s.id}/cancel`)
    await sse.waitForEvent(turnEnded(a.id), 'the held turn to end')
    sse.close()
    // Nothing was queued, so nothing paused.
    expect((await history(d, s.id)).some((e) => e.kind === 'queue.paused')).toBe(false)
  })

  it(
    'pauses after a failed turn; a new prompt runs first and the queue follows it',
    { timeout: 120_000 },
    async () => {
      const s = await createSession(d)
      // 20 s before it fails: b and c are still queued behind it, also on a loaded machine.
      const a = await postTurn(d, s.id, 'fails [slow:20000] [exit:3]')
      const b = (await postTurn(d, s.id, 'b')) as TurnBody
      const c = (await postTurn(d, s.id, 'c')) as TurnBody
      const sse = await attach(d, s.id, { after: 0 })
      const paused = await sse.waitForEvent(
        (e) => e.kind === 'queue.paused',
        'queue.paused',
        60_000
      )
      expect(paused).toMatchObject({ reason: 'failed', turnId: a.id })
      expect(sse.events.find(turnEnded(a.id))).toMatchObject({ status: 'failed' })
      expect(await sessionOf(s.id)).toMatchObject({
        status: 'idle',
        queuedTurns: 2,
        queuePaused: true,
      })

      const fix = await postTurn(d, s.id, 'fix it')
      expect(fix.status).toBe('running')
      await sse.waitForEvent(turnEnded(c.id), 'the queue to drain after the fix', 30_000)
      sse.close()
      const log = await history(d, s.id)
      expect(runOrder(log)).toEqual([a.id, fix.id, b.id, c.id])
      const resumedAt = log.findIndex((e) => e.kind === 'queue.resumed')
      expect(resumedAt).toBeGreaterThan(log.findIndex((e) => e.kind === 'queue.paused'))
      expect(resumedAt).toBeLessThan(
        log.findIndex((e) => e.kind === 'turn.started' && e.turnId === fix.id)
      )
      expectEachEndsOnce(log, [a.id, fix.id, b.id, c.id])
    }
  )

  it('cancel with clearQueue removes the queued turns too, and nothing pauses', async () => {
    const s = await createSession(d)
    const a = await postTurn(d, s.id, 'hold [hang]')
    const b = await postTurn(d, s.id, 'b')
    const c = await postTurn(d, s.id, 'c')
    const sse = await attach(d, s.id, { after: 0 })
    const r = await d.api.post(`/sessions/${s.id}/cancel`, { clearQueue: true })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ cancelled: true, removedTurnIds: [b.id, c.id] })
    await sse.waitForEvent(turnEnded(a.id), 'the running turn to end')
    sse.close()
    const log = await history(d, s.id)
    expect(log.some((e) => e.kind === 'queue.paused')).toBe(false)
    expect(runOrder(log)).toEqual([a.id])
    expectEachEndsOnce(log, [a.id, b.id, c.id])
    expect((await turnsOf(s.id)).map((t) => t.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
    ])
    expect(await sessionOf(s.id)).toMatchObject({
      status: 'idle',
      queuedTurns: 0,
      queuePaused: false,
    })
    expect((await d.api.post(`/sessions/${s.id}/cancel`, { clearQueue: 'yes' })).status).toBe(400)
  })

  it('the same clientTurnId on a queued turn answers with that turn, queued once', async () => {
    const s = await createSession(d)
    const a = await postTurn(d, s.id, 'hold [hang]')
    const first = (await postTurn(d, s.id, 'from the phone', {
      clientTurnId: 'phone-7',
    })) as TurnBody
    const again = await d.api.post(`/sessions/${s.id}/turns`, {
      prompt: 'from the phone',
      clientTurnId: 'phone-7',
    })
    expect(again.status).toBe(202)
    expect(again.body.turn).toMatchObject({
      id: first.id,
      status: 'queued',
      position: 1,
      clientTurnId: 'phone-7',
    })
    // Even with queue:false: the turn exists, so it is answered, not refused.
    const noQueue = await d.api.post(`/sessions/${s.id}/turns`, {
      prompt: 'from the phone',
      clientTurnId: 'phone-7',
      queue: false,
    })
    expect(noQueue.body.turn.id).toBe(first.id)
    expect(await turnsOf(s.id)).toHaveLength(2)
    const sse = await attach(d, s.id, { after: 0 })
    await d.api.post(`/sessions/${s.id}/cancel`, { clearQueue: true })
    await sse.waitForEvent(turnEnded(a.id), 'the held turn to end')
    sse.close()
    const log = await history(d, s.id)
    expect(log.filter((e) => e.kind === 'turn.queued')).toHaveLength(1)
  })

  it('answers 409 queue_full past 100 queued turns', async () => {
    const s = await createSession(d)
    const a = await postTurn(d, s.id, 'hold [hang]')
    for (let i = 0; i < 100; i++) await postTurn(d, s.id, `queued ${i}`)
    const over = await d.api.post(`/sessions/${s.id}/turns`, { prompt: 'one too many' })
    expect(over.status).toBe(409)
    expect(over.body.error.code).toBe('queue_full')
    expect(await sessionOf(s.id)).toMatchObject({ queuedTurns: 100 })
    const sse = await attach(d, s.id, { after: 0 })
    const r = await d.api.post(`/sessions/${s.id}/cancel`, { clearQueue: true })
    expect(r.body.removedTurnIds).toHaveLength(100)
    await sse.waitForEvent(turnEnded(a.id), 'the held turn to end')
    sse.close()
  })

  it('titles an untitled session from the first prompt line when the turn begins', async () => {
    const s = await createSession(d)
    const r = await d.api.post(`/sessions/${s.id}/turns`, {
      prompt: '  Fix the login bug\nand more detail',
    })
    expect(r.status).toBe(202)
    expect((await sessionOf(s.id)).title).toBe('Fix the login bug')
    const sse = await attach(d, s.id, { after: 0 })
    await sse.waitForEvent(turnEnded(r.body.turn.id), 'the turn to end')
    sse.close()
  })
})
