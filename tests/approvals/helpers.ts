import { expect } from 'vitest'
import type { TestDaemon } from '../helpers/daemon.js'
import { attach, postTurn } from '../helpers/session.js'
import type { LogEvent, SseClient } from '../helpers/sse.js'

/** Starts a turn, attaches, and waits for its first permission request. */
export async function turnUntilRequest(d: TestDaemon, sessionId: string, prompt: string) {
  const turn = await postTurn(d, sessionId, prompt)
  const sse = await attach(d, sessionId)
  const requested = await sse.waitForEvent(
    (e) => e.kind === 'permission.requested' && e.turnId === turn.id,
    'permission.requested',
    60_000
  )
  return {
    turn,
    sse,
    requested: requested as LogEvent & { requestId: string; input: Record<string, unknown> },
  }
}

export async function answer(
  d: TestDaemon,
  sessionId: string,
  requestId: string,
  body: Record<string, unknown>
) {
  return d.api.post(`/sessions/${sessionId}/permissions/${requestId}`, body)
}

export async function ended(sse: SseClient, turnId: string, ms = 60_000): Promise<LogEvent> {
  const e = await sse.waitForEvent(
    (x) => x.kind === 'turn.ended' && x.turnId === turnId,
    'turn.ended',
    ms
  )
  return e
}

export async function pendingCount(d: TestDaemon, sessionId: string): Promise<number> {
  const r = await d.api.get(`/sessions/${sessionId}`)
  expect(r.status).toBe(200)
  return r.body.pendingPermissions as number
}
