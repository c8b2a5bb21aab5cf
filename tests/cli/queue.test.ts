import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clientEnv, runCli } from '../helpers/cli.js'
import { startRealStack, type RealStack } from '../helpers/real-claude.js'
import { createSession, history, UNTIL_CANCELLED } from '../helpers/session.js'
import { waitUntil } from '../helpers/wait.js'

// The client and the daemon's follow-up queue (issue 11), with the real claude on the mock API.
let stack: RealStack
let env: Record<string, string>
beforeAll(async () => {
  stack = await startRealStack()
  env = clientEnv(stack.d.url, stack.d.token)
})
afterAll(async () => {
  await stack?.stop()
})

const cli = (...args: string[]) => runCli(args, env)
const turnsOf = async (id: string) =>
  (await stack.d.api.get(`/sessions/${id}/turns`)).body.turns as { id: string; status: string }[]

describe('agentmux and the queue', () => {
  it(
    'send queues behind a running turn; --no-queue refuses; ls shows the queue; send --wait follows a queued turn to its end',
    { timeout: 180_000 },
    async () => {
      const s = await createSession(stack.d, { title: 'queued one' })
      // 30 s: still running through the four client runs below, also on a loaded machine.
      const first = await cli('send', s.id, '--json', 'a slow one [slow:30000]')
      expect(JSON.parse(first.stdout).turn.status).toBe('running')
      const refused = await cli('send', s.id, '--no-queue', 'not now')
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/turn/i)
      const queued = await cli('send', s.id, '--json', 'then this')
      const turn = JSON.parse(queued.stdout).turn
      expect(turn).toMatchObject({ status: 'queued', position: 1 })
      const ls = JSON.parse((await cli('ls', '--json', '--all')).stdout).sessions.find(
        (x: { id: string }) => x.id === s.id
      )
      expect(ls.queuedTurns).toBe(1)
      expect((await stack.d.api.get('/metrics')).body).toMatch(/^agentmux_queued_turns 1$/m)
      // --wait on a third prompt: it waits its turn, then streams it.
      const waited = await runCli(['send', s.id, '--wait', 'and finally this'], env, {
        ms: 120_000,
      })
      expect(waited.code, waited.stderr).toBe(0)
      expect(waited.stdout).toContain('› and finally this')
      expect(waited.stdout).toContain('ECHO: and finally this')
      expect(waited.stdout).not.toContain('then this')
      expect((await cli('wait', s.id, '--timeout', '60')).code).toBe(0)
      expect((await turnsOf(s.id)).map((t) => t.status)).toEqual([
        'completed',
        'completed',
        'completed',
      ])
    }
  )

  it('cancel --clear-queue drops the queue; wait reports 3', async () => {
    const s = await createSession(stack.d, { title: 'cleared one' })
    await cli('send', s.id, `a slow one ${UNTIL_CANCELLED}`)
    await cli('send', s.id, 'queued a')
    await cli('send', s.id, 'queued b')
    await waitUntil(
      async () => (await history(stack.d, s.id)).some((e) => e.kind === 'text.delta'),
      { timeoutMs: 30_000, label: 'a delta' }
    )
    const c = await cli('cancel', s.id, '--clear-queue')
    expect(c.code, c.stderr).toBe(0)
    const w = await cli('wait', s.id, '--timeout', '60')
    expect(w.code).toBe(3)
    expect((await turnsOf(s.id)).map((t) => t.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
    ])
  })

  it('a cancel with turns queued pauses the queue: wait says 3, resume runs them', async () => {
    const s = await createSession(stack.d, { title: 'paused one' })
    await cli('send', s.id, `a slow one ${UNTIL_CANCELLED}`)
    await cli('send', s.id, 'queued after')
    await waitUntil(
      async () => (await history(stack.d, s.id)).some((e) => e.kind === 'text.delta'),
      { timeoutMs: 30_000, label: 'a delta' }
    )
    await cli('cancel', s.id)
    const w = await cli('wait', s.id, '--timeout', '60', '--json')
    expect(w.code).toBe(3)
    const r = await cli('resume', s.id)
    expect(r.code, r.stderr).toBe(0)
    expect((await cli('wait', s.id, '--timeout', '60')).code).toBe(0)
    expect((await turnsOf(s.id)).map((t) => t.status)).toEqual(['cancelled', 'completed'])
  })
})
