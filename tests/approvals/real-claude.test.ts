import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { processesWith, startRealStack, type RealStack } from '../helpers/real-claude.js'
import { attach, createSession, postTurn } from '../helpers/session.js'
import { answer, ended, pendingCount, turnUntilRequest } from './helpers.js'

let stack: RealStack
beforeAll(async () => {
  stack = await startRealStack()
})
afterAll(async () => {
  await stack?.stop()
})

describe(
  'approvals with the real claude 2.1.330 (default permission mode)',
  { timeout: 180_000 },
  () => {
    it('allow once: the request is an event, listed, counted; the answer runs the tool and the turn completes', async () => {
      const { d } = stack
      const s = await createSession(d)
      const { turn, sse, requested } = await turnUntilRequest(
        d,
        s.id,
        'go [tool:bash touch approved-by-phone.txt]'
      )
      expect(requested).toMatchObject({
        toolName: 'Bash',
        requestKind: 'tool',
        summary: 'touch approved-by-phone.txt',
        turnId: turn.id,
        input: { command: 'touch approved-by-phone.txt' },
      })
      expect(Date.parse(requested.expiresAt as string)).toBeGreaterThan(Date.now())
      expect((requested.suggestions as unknown[]).length).toBeGreaterThan(0)
      const list = await d.api.get(`/sessions/${s.id}/permissions`)
      expect(list.body.permissions.map((p: { requestId: string }) => p.requestId)).toEqual([
        requested.requestId,
      ])
      expect(await pendingCount(d, s.id)).toBe(1)

      const r = await answer(d, s.id, requested.requestId, { decision: 'allow' })
      expect(r.status).toBe(200)
      expect(r.body).toMatchObject({
        requestId: requested.requestId,
        status: 'resolved',
        decision: 'allow',
        by: 'user',
        scope: 'once',
      })
      const end = await ended(sse, turn.id)
      sse.close()
      expect(end.status).toBe('completed')
      expect(existsSync(join(s.cwd, 'approved-by-phone.txt'))).toBe(true)
      const resolved = sse.events.find((e) => e.kind === 'permission.resolved')!
      expect(resolved).toMatchObject({
        requestId: requested.requestId,
        decision: 'allow',
        by: 'user',
        scope: 'once',
      })
      expect(sse.events.find((e) => e.kind === 'tool.result')!.isError).toBe(false)
      expect(await pendingCount(d, s.id)).toBe(0)
      expect((await d.api.get(`/sessions/${s.id}/permissions`)).body.permissions).toEqual([])
    })

    it('deny with a message: the model sees the message, the turn goes on and completes', async () => {
      const { d, mock } = stack
      const s = await createSession(d)
      const { turn, sse, requested } = await turnUntilRequest(
        d,
        s.id,
        'go [tool:bash touch denied.txt]'
      )
      const r = await answer(d, s.id, requested.requestId, {
        decision: 'deny',
        message: 'not now, from the phone',
      })
      expect(r.status).toBe(200)
      const end = await ended(sse, turn.id)
      sse.close()
      expect(end.status).toBe('completed')
      expect(existsSync(join(s.cwd, 'denied.txt'))).toBe(false)
      const result = sse.events.find((e) => e.kind === 'tool.result')!
      expect(result).toMatchObject({ isError: true })
      expect(result.text).toContain('not now, from the phone')
      const seen = mock
        .requests()
        .flatMap((q) => q.toolResults)
        .find((t) => t.text.includes('not now, from the phone'))
      expect(seen?.isError).toBe(true)
    })

    it('a deny without a message carries the default one', async () => {
      const { d } = stack
      const s = await createSession(d)
      const { turn, sse, requested } = await turnUntilRequest(
        d,
        s.id,
        'go [tool:bash touch nope.txt]'
      )
      expect((await answer(d, s.id, requested.requestId, { decision: 'deny' })).status).toBe(200)
      const end = await ended(sse, turn.id)
      sse.close()
      expect(end.status).toBe('completed')
      expect(sse.events.find((e) => e.kind === 'permission.resolved')!.message).toBe(
        'The user denied this tool call.'
      )
      expect(sse.events.find((e) => e.kind === 'tool.result')!.text).toContain(
        'The user denied this tool call.'
      )
    })

    it('AskUserQuestion: a question card, answered with a label; claude reads the answer', async () => {
      const { d, mock } = stack
      const s = await createSession(d)
      const { turn, sse, requested } = await turnUntilRequest(
        d,
        s.id,
        'pick one [tool:ask Which color?|red|blue]'
      )
      expect(requested).toMatchObject({
        toolName: 'AskUserQuestion',
        requestKind: 'question',
        summary: 'Which color?',
        expiresAt: null,
      })
      const bad = await answer(d, s.id, requested.requestId, { decision: 'allow' })
      expect(bad.status).toBe(400)
      expect(bad.body.error.code).toBe('answers_required')
      const r = await answer(d, s.id, requested.requestId, {
        decision: 'allow',
        answers: { 'Which color?': ['blue', 'a bit of red'] },
      })
      expect(r.status).toBe(200)
      expect(r.body.answers).toEqual({ 'Which color?': 'blue, a bit of red' })
      const end = await ended(sse, turn.id)
      sse.close()
      expect(end.status).toBe('completed')
      expect(sse.events.find((e) => e.kind === 'permission.resolved')).toMatchObject({
        answers: { 'Which color?': 'blue, a bit of red' },
      })
      const seen = mock
        .requests()
        .flatMap((q) => q.toolResults)
        .map((t) => t.text)
      expect(seen.some((t) => t.includes('"Which color?"="blue, a bit of red"'))).toBe(true)
    })

    it('ExitPlanMode in plan mode: a plan card with the plan, allowed', async () => {
      const { d } = stack
      const s = await createSession(d, { permissionMode: 'plan' })
      const { turn, sse, requested } = await turnUntilRequest(
        d,
        s.id,
        'plan it [tool:plan 1. write tests 2. ship]'
      )
      expect(requested).toMatchObject({
        toolName: 'ExitPlanMode',
        requestKind: 'plan',
        expiresAt: null,
        summary: '1. write tests 2. ship',
      })
      expect(requested.input.plan).toBe('1. write tests 2. ship')
      expect((await answer(d, s.id, requested.requestId, { decision: 'allow' })).status).toBe(200)
      const end = await ended(sse, turn.id)
      sse.close()
      expect(end.status).toBe('completed')
    })

    it('two answers at once: exactly one 200, the other 409 with the recorded outcome; bad ids and bodies', async () => {
      const { d } = stack
      const s = await createSession(d)
      const other = await createSession(d)
      const { turn, sse, requested } = await turnUntilRequest(
        d,
        s.id,
        'go [tool:bash touch raced.txt]'
      )
      expect((await answer(d, other.id, requested.requestId, { decision: 'allow' })).status).toBe(
        404
      )
      expect((await answer(d, s.id, 'no-such-request', { decision: 'allow' })).status).toBe(404)
      expect((await answer(d, s.id, requested.requestId, { decision: 'maybe' })).status).toBe(400)
      expect(
        (await answer(d, s.id, requested.requestId, { decision: 'allow', answers: { q: 'a' } }))
          .status
      ).toBe(400)
      const [a, b] = await Promise.all([
        answer(d, s.id, requested.requestId, { decision: 'allow' }),
        answer(d, s.id, requested.requestId, { decision: 'deny', message: 'second phone' }),
      ])
      const statuses = [a.status, b.status].sort()
      expect(statuses).toEqual([200, 409])
      const winner = a.status === 200 ? a : b
      const loser = a.status === 409 ? a : b
      expect(loser.body.error.code).toBe('already_resolved')
      expect(loser.body.permission).toMatchObject({
        status: 'resolved',
        decision: winner.body.decision,
        by: 'user',
      })
      await ended(sse, turn.id)
      sse.close()
      expect(sse.events.filter((e) => e.kind === 'permission.resolved')).toHaveLength(1)
      const late = await answer(d, s.id, requested.requestId, { decision: 'allow' })
      expect(late.status).toBe(409)
    })

    it('cancel while a request is open: resolved by "cancel", the turn ends cancelled', async () => {
      const { d } = stack
      const s = await createSession(d)
      const { turn, sse, requested } = await turnUntilRequest(
        d,
        s.id,
        'go [tool:bash touch cancelled.txt]'
      )
      const c = await d.api.post(`/sessions/${s.id}/cancel`)
      expect(c.body.cancelled).toBe(true)
      const end = await ended(sse, turn.id)
      sse.close()
      expect(end.status).toBe('cancelled')
      expect(sse.events.find((e) => e.kind === 'permission.resolved')).toMatchObject({
        requestId: requested.requestId,
        decision: 'deny',
        by: 'cancel',
      })
      expect(existsSync(join(s.cwd, 'cancelled.txt'))).toBe(false)
      expect(await pendingCount(d, s.id)).toBe(0)
      expect((await answer(d, s.id, requested.requestId, { decision: 'allow' })).status).toBe(409)
    })

    it('allow for this session: a rule kept on the session; the next turn runs the tool without asking; rules can be removed', async () => {
      const { d } = stack
      const s = await createSession(d)
      const first = await turnUntilRequest(d, s.id, 'go [tool:bash touch scoped-ok.txt]')
      const r = await answer(d, s.id, first.requested.requestId, {
        decision: 'allow',
        scope: 'session',
      })
      expect(r.status).toBe(200)
      expect(r.body.scope).toBe('session')
      expect((await ended(first.sse, first.turn.id)).status).toBe('completed')
      first.sse.close()
      const rules = (await d.api.get(`/sessions/${s.id}/rules`)).body.rules as {
        id: string
        rule: string
      }[]
      expect(rules.map((x) => x.rule)).toEqual(['Bash(touch scoped-ok.txt)'])

      const second = await turnUntilRequest(
        d,
        s.id,
        'again [tool:bash touch scoped-ok.txt] [tool:bash touch not-covered.txt]'
      )
      // The covered call ran without a request; only the uncovered one asks.
      expect(second.requested.summary).toBe('touch not-covered.txt')
      await answer(d, s.id, second.requested.requestId, { decision: 'deny' })
      expect((await ended(second.sse, second.turn.id)).status).toBe('completed')
      second.sse.close()
      const own = second.sse.events.filter((e) => e.turnId === second.turn.id)
      expect(own.filter((e) => e.kind === 'permission.requested')).toHaveLength(1)
      const uses = own.filter((e) => e.kind === 'tool.use')
      const covered = uses.find((e) => e.summary === 'touch scoped-ok.txt')!
      expect(
        own.find((e) => e.kind === 'tool.result' && e.toolUseId === covered.toolUseId)!.isError
      ).toBe(false)

      expect((await d.api.del(`/sessions/${s.id}/rules/${rules[0]!.id}`)).status).toBe(204)
      expect((await d.api.get(`/sessions/${s.id}/rules`)).body.rules).toEqual([])
      expect((await d.api.del(`/sessions/${s.id}/rules/${rules[0]!.id}`)).status).toBe(404)
    })
  }
)

describe('control requests on the FIFO stdin', { timeout: 180_000 }, () => {
  it('PATCH permissionMode while a turn runs reaches the running claude (set_permission_mode)', async () => {
    const { d } = stack
    const s = await createSession(d)
    const target = join(s.cwd, 'mode-switched.txt')
    // The tool call comes at the end of a slow reply: time to switch the mode before claude asks,
    // also on a loaded machine. The mock streams both rounds (tool call, then answer) over 20 s.
    const turn = await postTurn(d, s.id, `write it [slow:20000] [tool:write ${target} hello]`)
    const sse = await attach(d, s.id)
    await sse.waitForEvent(
      (e) => e.kind === 'text.delta' && e.turnId === turn.id,
      'the first delta',
      60_000
    )
    const r = await d.api.patch(`/sessions/${s.id}`, { permissionMode: 'acceptEdits' })
    expect(r.status).toBe(200)
    const end = await ended(sse, turn.id, 120_000)
    sse.close()
    expect(end.status).toBe('completed')
    const own = sse.events.filter((e) => e.turnId === turn.id)
    expect(own.filter((e) => e.kind === 'permission.requested')).toHaveLength(0)
    expect(readFileSync(target, 'utf8')).toBe('hello')
  })

  it('without the switch the same Write asks (the control for the test above)', async () => {
    const { d } = stack
    const s = await createSession(d)
    const target = join(s.cwd, 'asked.txt')
    const { turn, sse, requested } = await turnUntilRequest(
      d,
      s.id,
      `write it [tool:write ${target} hello]`
    )
    expect(requested).toMatchObject({ toolName: 'Write', summary: target, requestKind: 'tool' })
    await answer(d, s.id, requested.requestId, { decision: 'deny' })
    expect((await ended(sse, turn.id)).status).toBe('completed')
    sse.close()
    expect(existsSync(target)).toBe(false)
  })

  it("appendSystemPrompt reaches the model through initialize, never claude's argv", async () => {
    const { d, mock } = stack
    const marker = `APPEND-MARKER-${Date.now()}`
    const s = await createSession(d, { appendSystemPrompt: `Be brief. ${marker}` })
    const { turn, sse, requested } = await turnUntilRequest(
      d,
      s.id,
      'go [tool:bash touch appended.txt]'
    )
    // claude is running (it waits for the answer): its command line has no trace of the prompt.
    expect(processesWith(s.claudeSessionId).length).toBeGreaterThan(0)
    expect(processesWith(marker)).toEqual([])
    await answer(d, s.id, requested.requestId, { decision: 'allow' })
    expect((await ended(sse, turn.id)).status).toBe('completed')
    sse.close()
    const main = mock.requests().filter((q) => q.prompt?.includes('touch appended.txt'))
    expect(main.length).toBeGreaterThan(0)
    expect(main.every((q) => q.system.includes(marker))).toBe(true)
  })
})
