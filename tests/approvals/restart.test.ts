import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startMockAnthropic, type MockAnthropic } from '../mock-anthropic/server.js'
import { createApi } from '../helpers/api.js'
import { REAL_CLAUDE, startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { PROCESS_TOKEN, spawnDaemon, type DaemonProcess } from '../helpers/process-daemon.js'
import { offlineClaudeEnv, processesWith, realClaudeDaemonEnv } from '../helpers/real-claude.js'
import { createSession } from '../helpers/session.js'
import { openSse, turnEnded } from '../helpers/sse.js'
import { waitUntil, withTimeout } from '../helpers/wait.js'
import { answer, ended, turnUntilRequest } from './helpers.js'

// The process daemon runs with this token (AGENTMUX_TOKEN, at least 32 characters).
const TOKEN = PROCESS_TOKEN
let mock: MockAnthropic
beforeAll(async () => {
  mock = await startMockAnthropic()
})
afterAll(async () => {
  await mock?.close()
})

describe('a pending approval survives kill -9 of the daemon', { timeout: 180_000 }, () => {
  it('stays pending with no daemon, is listed after the restart, is answered then, and the turn completes', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'agentmux-approval-kill9-'))
    const start = () =>
      spawnDaemon({
        dataDir,
        env: realClaudeDaemonEnv(mock.url),
      })
    let p: DaemonProcess | null = await start()
    try {
      let api = createApi(p.url, TOKEN)
      const s = (await api.post('/sessions')).body
      const turn = (
        await api.post(`/sessions/${s.id}/turns`, {
          prompt: 'go [tool:bash touch after-restart.txt]',
        })
      ).body.turn
      const sse = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
      const requested = await sse.waitForEvent(
        (e) => e.kind === 'permission.requested',
        'permission.requested',
        60_000
      )
      sse.close()
      p.child.kill('SIGKILL')
      await withTimeout(p.exited, 10_000, 'the daemon to die')
      // No daemon: claude holds its stdin FIFO itself, so it sees no EOF and keeps waiting.
      expect(processesWith(s.claudeSessionId).length).toBeGreaterThan(0)

      p = await start()
      api = createApi(p.url, TOKEN)
      const listed = (await api.get(`/sessions/${s.id}/permissions`)).body.permissions
      expect(listed.map((x: { requestId: string }) => x.requestId)).toEqual([requested.requestId])
      expect((await api.get(`/sessions/${s.id}`)).body.pendingPermissions).toBe(1)
      const again = await openSse(`${p.url}/sessions/${s.id}/events`, {
        token: TOKEN,
        lastEventId: String(requested.id),
      })
      const r = await api.post(`/sessions/${s.id}/permissions/${requested.requestId}`, {
        decision: 'allow',
      })
      expect(r.status).toBe(200)
      const end = await again.waitForEvent(turnEnded(turn.id), 'the adopted turn to end', 60_000)
      again.close()
      expect(end).toMatchObject({ status: 'completed', exitCode: null })
      expect(again.events.filter((e) => e.kind === 'permission.resolved')).toHaveLength(1)
      expect(existsSync(join(s.cwd, 'after-restart.txt'))).toBe(true)
      // The adopted claude was ended after its result through the re-opened FIFO.
      await waitUntil(() => processesWith(s.claudeSessionId).length === 0, {
        label: 'claude to exit',
        timeoutMs: 30_000,
      })
    } finally {
      if (p) {
        p.child.kill('SIGTERM')
        await withTimeout(p.exited, 15_000, 'exit').catch(() => p?.child.kill('SIGKILL'))
      }
      for (const pid of processesWith(dataDir)) process.kill(pid, 'SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    }
  })
})

describe('the approval timeout', { timeout: 120_000 }, () => {
  let d: TestDaemon
  beforeAll(async () => {
    d = await startTestDaemon({
      claudeBin: REAL_CLAUDE,
      config: { cancelGraceMs: 2000, approvalTimeoutMs: 1500 },
      env: offlineClaudeEnv(mock.url),
    })
  })
  afterAll(async () => {
    await d?.stop()
  })

  it('denies a tool approval nobody answers, with interrupt; the turn fails and says why', async () => {
    const s = await createSession(d)
    const { turn, sse, requested } = await turnUntilRequest(
      d,
      s.id,
      'go [tool:bash touch too-late.txt]'
    )
    const resolved = await sse.waitForEvent(
      (e) => e.kind === 'permission.resolved',
      'permission.resolved',
      30_000
    )
    expect(resolved).toMatchObject({
      requestId: requested.requestId,
      decision: 'deny',
      by: 'timeout',
    })
    expect(resolved.message).toContain('within 2 s')
    const end = await ended(sse, turn.id)
    sse.close()
    expect(end.status).toBe('failed')
    const errors = sse.events.filter((e) => e.turnId === turn.id && e.kind === 'error')
    expect(errors.map((e) => e.message).join('\n')).toContain('denied, and the turn was stopped')
    expect(existsSync(join(s.cwd, 'too-late.txt'))).toBe(false)
    expect((await answer(d, s.id, requested.requestId, { decision: 'allow' })).status).toBe(409)
  })

  it('a question does not time out', async () => {
    const s = await createSession(d)
    const { turn, sse, requested } = await turnUntilRequest(d, s.id, 'pick [tool:ask Which?|a|b]')
    expect(requested.expiresAt).toBeNull()
    // An absence can only be checked by waiting: twice the tool timeout.
    await new Promise((r) => setTimeout(r, 3000))
    expect(sse.events.some((e) => e.kind === 'permission.resolved')).toBe(false)
    expect(
      (
        await answer(d, s.id, requested.requestId, {
          decision: 'allow',
          answers: { 'Which?': 'b' },
        })
      ).status
    ).toBe(200)
    expect((await ended(sse, turn.id)).status).toBe('completed')
    sse.close()
  })
})
