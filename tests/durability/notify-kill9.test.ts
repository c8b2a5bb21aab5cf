import { inspectDb } from '../helpers/inspect-db.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createApi } from '../helpers/api.js'
import { PROCESS_TOKEN, spawnDaemon, type DaemonProcess } from '../helpers/process-daemon.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { waitUntil, withTimeout } from '../helpers/wait.js'

// The process daemon runs with this token (AGENTMUX_TOKEN, at least 32 characters).
const TOKEN = PROCESS_TOKEN
const daemons: DaemonProcess[] = []
const receivers: Receiver[] = []
const dataDir = mkdtempSync(join(tmpdir(), 'agentmux-notify-kill9-'))

afterAll(async () => {
  for (const p of daemons)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
  for (const r of receivers) await r.close()
  rmSync(dataDir, { recursive: true, force: true })
})

/** The outbox as the killed daemon left it on disk. */
function outboxRows(): { event_id: number; attempts: number; delivered_at: number | null }[] {
  const db = inspectDb(dataDir)
  try {
    return db.all('SELECT event_id, attempts, delivered_at FROM outbox') as {
      event_id: number
      attempts: number
      delivered_at: number | null
    }[]
  } finally {
    db.close()
  }
}

describe('webhook delivery across kill -9', () => {
  it(
    'a delivery failing while the receiver is down is sent by the next daemon once both are back',
    { timeout: 60_000 },
    async () => {
      // Take a free port for the receiver, then close it: the webhook gets connection refused.
      const probe = await startReceiver()
      const port = probe.port
      await probe.close()
      const env = {
        AGENTMUX_NOTIFY_URL: `http://127.0.0.1:${port}/hook`,
        AGENTMUX_NOTIFY_RETRY_MS: '100',
      }

      const first = await spawnDaemon({ dataDir, env })
      daemons.push(first)
      const api = createApi(first.url, TOKEN)
      const s = (await api.post('/sessions', { title: 'kill9 notify' })).body as { id: string }
      const turn = (await api.post(`/sessions/${s.id}/turns`, { prompt: 'hello' })).body.turn as {
        id: string
      }
      await waitUntil(async () => (await api.get(`/sessions/${s.id}`)).body.status === 'idle', {
        timeoutMs: 20_000,
        label: 'the turn to end',
      })
      // At least one failed attempt is on disk before the kill.
      await waitUntil(() => outboxRows().some((r) => r.attempts >= 1), {
        timeoutMs: 10_000,
        label: 'a failed delivery attempt',
      })
      first.child.kill('SIGKILL')
      await withTimeout(first.exited, 10_000, 'the killed daemon to exit')
      const left = outboxRows()
      expect(left).toHaveLength(1)
      expect(left[0]!.delivered_at).toBeNull()

      const hook = await startReceiver({ port })
      receivers.push(hook)
      const second = await spawnDaemon({ dataDir, env })
      daemons.push(second)
      await waitUntil(() => hook.requests.some((r) => r.status === 200), {
        timeoutMs: 20_000,
        label: 'the delivery after restart',
      })
      const body = JSON.parse(hook.requests[0]!.body.toString('utf8'))
      expect(body).toMatchObject({
        event: 'turn.ended',
        sessionId: s.id,
        turnId: turn.id,
        status: 'completed',
      })
      // The message was built when the event was read, by the first daemon.
      expect(body.url).toBe(`${first.url}/#/s/${s.id}`)
      expect(new Set(hook.requests.map((r) => r.headers['idempotency-key']))).toEqual(
        new Set([`agentmux-event-${left[0]!.event_id}`])
      )
      await waitUntil(() => outboxRows().every((r) => r.delivered_at !== null), {
        timeoutMs: 10_000,
        label: 'the row marked delivered',
      })
      second.child.kill('SIGTERM')
      await withTimeout(second.exited, 15_000, 'the daemon to stop')
    }
  )
})
