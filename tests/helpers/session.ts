import { expect } from 'vitest'
import type { Api } from './api.js'
import type { TestDaemon } from './daemon.js'
import { openSse, turnEnded, type LogEvent, type SseClient } from './sse.js'

export async function createSession(d: TestDaemon, body: Record<string, unknown> = {}) {
  const r = await d.api.post('/sessions', body)
  expect(r.status, JSON.stringify(r.body)).toBe(201)
  return r.body as { id: string; claudeSessionId: string; cwd: string; title: string }
}

/**
 * A directive for a turn that streams until it is cancelled (10 minutes of deltas, far beyond any
 * test). A test that cancels a running turn, or acts while it streams, must not race the turn's
 * natural end: on a loaded machine a 20 s turn can end before the test's steps get to it.
 */
export const UNTIL_CANCELLED = '[slow:600000]'

export async function postTurn(
  d: TestDaemon,
  sessionId: string,
  prompt: string,
  extra: Record<string, unknown> = {}
) {
  const r = await d.api.post(`/sessions/${sessionId}/turns`, { prompt, ...extra })
  expect(r.status, JSON.stringify(r.body)).toBe(202)
  return r.body.turn as { id: string; status: string; clientTurnId: string | null }
}

export function attach(
  d: TestDaemon,
  sessionId: string,
  opts: { after?: number; lastEventId?: string } = {}
): Promise<SseClient> {
  const q = opts.after !== undefined ? `?after=${opts.after}` : ''
  return openSse(`${d.url}/sessions/${sessionId}/events${q}`, {
    token: d.token,
    ...(opts.lastEventId !== undefined ? { lastEventId: opts.lastEventId } : {}),
  })
}

/** Runs a turn to its end and returns that turn's events as an attached client saw them. */
export async function runTurn(
  d: TestDaemon,
  sessionId: string,
  prompt: string,
  extra: Record<string, unknown> = {}
) {
  const turn = await postTurn(d, sessionId, prompt, extra)
  const sse = await attach(d, sessionId)
  const ended = await sse.waitForEvent(turnEnded(turn.id), `turn.ended of ${turn.id}`, 45_000)
  sse.close()
  return { turnId: turn.id, events: sse.events.filter((e) => e.turnId === turn.id), ended }
}

/** The session's whole log, page by page, through any daemon's API (an in-process or a process one). */
export async function history(d: { api: Api }, sessionId: string): Promise<LogEvent[]> {
  const out: LogEvent[] = []
  let after = 0
  for (;;) {
    const r = await d.api.get(`/sessions/${sessionId}/history?after=${after}&limit=1000`)
    expect(r.status).toBe(200)
    out.push(...(r.body.events as LogEvent[]))
    after = r.body.lastEventId
    if (!r.body.hasMore) return out
  }
}

export const kinds = (events: LogEvent[]) => events.map((e) => e.kind)
