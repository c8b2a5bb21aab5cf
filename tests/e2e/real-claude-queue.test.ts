import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRealStack, type RealStack } from '../helpers/real-claude.js'
import { attach, createSession, history, postTurn } from '../helpers/session.js'
import { turnEnded } from '../helpers/sse.js'

let stack: RealStack
beforeAll(async () => {
  stack = await startRealStack()
})
afterAll(async () => {
  await stack?.stop()
})

describe('the queue with the real claude 2.1.330 against the mock Messages API', () => {
  it(
    'runs queued prompts as separate turns of one conversation, in order',
    { timeout: 120_000 },
    async () => {
      const { d, mock } = stack
      const s = await createSession(d)
      mock.reset()
      // 20 s: still running when the next two are posted, also on a loaded machine.
      const alpha = 'alpha [slow:20000]'
      const first = await postTurn(d, s.id, alpha)
      const second = await postTurn(d, s.id, 'bravo')
      const third = await postTurn(d, s.id, 'charlie')
      expect([first.status, second.status, third.status]).toEqual(['running', 'queued', 'queued'])
      const sse = await attach(d, s.id, { after: 0 })
      await sse.waitForEvent(turnEnded(third.id), 'the third turn to end', 90_000)
      sse.close()

      const log = await history(d, s.id)
      const started = log.filter((e) => e.kind === 'turn.started').map((e) => e.turnId)
      expect(started).toEqual([first.id, second.id, third.id])
      for (const t of [first, second, third]) {
        expect(log.filter(turnEnded(t.id)).map((e) => e.status)).toEqual(['completed'])
      }
      // Each prompt was its own user message to the API, never merged; each later turn resumed the
      // conversation with the earlier exchanges in it.
      const prompts = mock
        .requests()
        .filter((r) => r.path.startsWith('/v1/messages') && r.stream)
        .map((r) => r.prompt)
      expect(prompts.filter((p) => p !== null && /alpha|bravo|charlie/.test(p))).toEqual([
        alpha,
        'bravo',
        'charlie',
      ])
      const last = mock.requests().find((r) => r.prompt === 'charlie')!
      expect(last.texts.filter((t) => /alpha|bravo|charlie/.test(t))).toEqual([
        alpha,
        'bravo',
        'charlie',
      ])
      expect(log.find((e) => e.kind === 'text' && e.turnId === third.id)!.text).toBe(
        'ECHO: charlie'
      )
    }
  )
})
