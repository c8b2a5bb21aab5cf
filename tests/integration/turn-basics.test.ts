import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openSse, turnEnded, type LogEvent } from '../helpers/sse.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'

let d: TestDaemon
beforeAll(async () => {
  d = await startTestDaemon()
})
afterAll(async () => {
  await d?.stop()
})

async function newSession(body: Record<string, unknown> = {}) {
  const r = await d.api.post('/sessions', body)
  expect(r.status).toBe(201)
  return r.body as { id: string; claudeSessionId: string; cwd: string }
}

async function runTurn(sessionId: string, prompt: string, extra: Record<string, unknown> = {}) {
  const r = await d.api.post(`/sessions/${sessionId}/turns`, { prompt, ...extra })
  expect(r.status).toBe(202)
  const turnId = r.body.turn.id as string
  const sse = await openSse(`${d.url}/sessions/${sessionId}/events`, { token: d.token })
  const ended = await sse.waitForEvent(turnEnded(turnId), `turn.ended of ${turnId}`)
  sse.close()
  return { turnId, events: sse.events.filter((e) => e.turnId === turnId), ended }
}

describe('a turn with the fake claude', () => {
  it('streams deltas, the final text and the result, and ends completed exactly once', async () => {
    const s = await newSession({ title: 'basics' })
    const { events, ended } = await runTurn(s.id, 'hello there')
    const kinds = events.map((e) => e.kind)
    expect(kinds[0]).toBe('turn.started')
    expect(kinds).toContain('agent.init')
    expect(kinds).toContain('text.delta')
    expect(kinds.filter((k) => k === 'turn.result')).toHaveLength(1)
    expect(kinds.filter((k) => k === 'turn.ended')).toHaveLength(1)
    expect(kinds[kinds.length - 1]).toBe('turn.ended')
    expect(ended.status).toBe('completed')
    expect(ended.exitCode).toBe(0)
    const text = events.find((e) => e.kind === 'text') as LogEvent & { text: string }
    expect(text.text).toContain('hello there')
    const deltas = events.filter((e) => e.kind === 'text.delta').map((e) => e.text as string)
    expect(deltas.join('')).toBe(text.text)
    // ids strictly increasing, ts with milliseconds
    for (let i = 1; i < events.length; i++) expect(events[i]!.id).toBeGreaterThan(events[i - 1]!.id)
    expect(events[0]!.ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)

    const session = (await d.api.get(`/sessions/${s.id}`)).body
    expect(session.status).toBe('idle')
    expect(session.turnCount).toBe(1)
    expect(session.costUsd).toBeGreaterThan(0)
    expect(session.lastEventId).toBe(events[events.length - 1]!.id)
    const turns = (await d.api.get(`/sessions/${s.id}/turns`)).body.turns
    expect(turns).toHaveLength(1)
    expect(turns[0].status).toBe('completed')
    expect(turns[0].costUsd).toBeGreaterThan(0)
  })
})
