import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockAnthropic, type MockAnthropic } from '../mock-anthropic/server.js'
import { createApi } from '../helpers/api.js'
import { inspectDb } from '../helpers/inspect-db.js'
import { PROCESS_TOKEN, spawnDaemon, type DaemonProcess } from '../helpers/process-daemon.js'
import { processesWith, realClaudeDaemonEnv } from '../helpers/real-claude.js'
import { history, UNTIL_CANCELLED } from '../helpers/session.js'
import { openSse, turnEnded, type LogEvent } from '../helpers/sse.js'
import { waitUntil, withTimeout } from '../helpers/wait.js'

// The process daemon runs with this token (AGENTMUX_TOKEN, at least 32 characters).
const TOKEN = PROCESS_TOKEN
let mock: MockAnthropic
beforeAll(async () => {
  mock = await startMockAnthropic()
})
afterAll(async () => {
  await mock?.close()
})

const realDaemon = (dataDir: string) =>
  spawnDaemon({
    dataDir,
    env: realClaudeDaemonEnv(mock.url),
  })

async function kill9(p: DaemonProcess) {
  p.child.kill('SIGKILL')
  await withTimeout(p.exited, 10_000, 'the daemon to die')
}

describe('the real claude across daemon crashes', () => {
  it(
    'kill -9 of the daemon mid-turn (3 cycles): the next daemon adopts the turn, it completes, clients see exactly the log',
    { timeout: 240_000 },
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'agentmux-real-kill9-'))
      let p = await realDaemon(dataDir)
      let api = createApi(p.url, TOKEN)
      const s = (await api.post('/sessions')).body
      const seen: LogEvent[] = []
      for (let cycle = 0; cycle < 3; cycle++) {
        // 20 s: the kill lands mid-turn, also on a loaded machine; the next daemon sees the end.
        const turn = (
          await api.post(`/sessions/${s.id}/turns`, { prompt: `story ${cycle} [slow:20000]` })
        ).body.turn
        const sse = await openSse(`${p.url}/sessions/${s.id}/events`, {
          token: TOKEN,
          ...(seen.length ? { lastEventId: String(seen.at(-1)!.id) } : {}),
        })
        await sse.waitFor(
          (c) => c.events.filter((e) => e.kind === 'text.delta').length >= 3,
          'a few deltas',
          30_000
        )
        await kill9(p)
        seen.push(...sse.events)
        // claude keeps going without a daemon: it holds its stdin FIFO itself (no EOF) and finishes the
        // turn; the next daemon ends it after its result (end_session).
        p = await realDaemon(dataDir)
        api = createApi(p.url, TOKEN)
        const again = await openSse(`${p.url}/sessions/${s.id}/events`, {
          token: TOKEN,
          lastEventId: String(seen.at(-1)!.id),
        })
        const ended = await again.waitForEvent(
          turnEnded(turn.id),
          'the adopted turn to end',
          60_000
        )
        again.close()
        seen.push(...again.events)
        expect(ended.status).toBe('completed')
        const text = seen.filter((e) => e.turnId === turn.id && e.kind === 'text').pop()!
          .text as string
        expect(text).toContain(`ECHO: story ${cycle}`)
      }
      const log = await history({ api }, s.id)
      expect(seen.map((e) => e.id)).toEqual(log.map((e) => e.id))
      expect(log.filter((e) => e.kind === 'turn.ended').map((e) => e.status)).toEqual([
        'completed',
        'completed',
        'completed',
      ])
      p.child.kill('SIGTERM')
      await withTimeout(p.exited, 15_000, 'exit')
      const db = inspectDb(dataDir)
      expect(db.integrity()).toBe('ok')
      db.close()
    }
  )

  it('kill -9 of the daemon and claude together: the turn ends interrupted, the next turn resumes the conversation', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'agentmux-real-oom-'))
    let p = await realDaemon(dataDir)
    let api = createApi(p.url, TOKEN)
    const s = (await api.post('/sessions')).body
    const first = (
      await api.post(`/sessions/${s.id}/turns`, { prompt: `remember marmalade ${UNTIL_CANCELLED}` })
    ).body.turn
    const sse = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
    await sse.waitFor(
      (c) => c.events.filter((e) => e.kind === 'text.delta').length >= 3,
      'a few deltas',
      30_000
    )
    const claudePids = processesWith(s.claudeSessionId)
    expect(claudePids.length).toBeGreaterThan(0)
    // As an OOM kill would: both at once.
    for (const pid of claudePids) process.kill(pid, 'SIGKILL')
    await kill9(p)
    sse.close()
    await waitUntil(() => processesWith(s.claudeSessionId).length === 0, {
      label: 'claude to be gone',
    })
    p = await realDaemon(dataDir)
    api = createApi(p.url, TOKEN)
    const again = await openSse(`${p.url}/sessions/${s.id}/events`, {
      token: TOKEN,
      lastEventId: sse.lastEventId!,
    })
    const ended = await again.waitForEvent(
      turnEnded(first.id),
      'the interrupted turn to be ended',
      30_000
    )
    expect(ended.status).toBe('interrupted')
    mock.reset()
    const second = (await api.post(`/sessions/${s.id}/turns`, { prompt: 'what was it? [history]' }))
      .body.turn
    const done = await again.waitForEvent(turnEnded(second.id), 'the next turn', 30_000)
    again.close()
    expect(done.status).toBe('completed')
    const req = mock.requests().find((r) => r.prompt?.includes('what was it?'))!
    expect(req.texts.join('\n')).toContain('remember marmalade')
    const log = (await api.get(`/sessions/${s.id}/history?limit=1000`)).body.events as LogEvent[]
    expect(log.filter(turnEnded(first.id))).toHaveLength(1)
    p.child.kill('SIGTERM')
    await withTimeout(p.exited, 15_000, 'exit')
  })
})
