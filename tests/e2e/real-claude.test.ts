import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  dieOnceWrapper,
  processesWith,
  startRealStack,
  type RealStack,
} from '../helpers/real-claude.js'
import {
  attach,
  createSession,
  history,
  kinds,
  postTurn,
  runTurn,
  UNTIL_CANCELLED,
} from '../helpers/session.js'
import { turnEnded, type LogEvent } from '../helpers/sse.js'
import { waitUntil } from '../helpers/wait.js'

let stack: RealStack
beforeAll(async () => {
  stack = await startRealStack()
})
afterAll(async () => {
  await stack?.stop()
})

const ids = (events: LogEvent[]) => events.map((e) => e.id)

describe('the real claude 2.1.330 against the mock Messages API', () => {
  it('runs a plain turn: init, streamed text, result, completed', async () => {
    const { d } = stack
    const s = await createSession(d)
    const { events, ended } = await runTurn(d, s.id, 'hello mock')
    expect(ended).toMatchObject({ status: 'completed', exitCode: 0, signal: null })
    const init = events.find((e) => e.kind === 'agent.init')!
    expect(init).toMatchObject({
      claudeSessionId: s.claudeSessionId,
      cwd: s.cwd,
      version: '2.1.330',
    })
    expect(events.find((e) => e.kind === 'text')!.text).toBe('ECHO: hello mock')
    expect(
      events
        .filter((e) => e.kind === 'text.delta')
        .map((e) => e.text)
        .join('')
    ).toBe('ECHO: hello mock')
    const result = events.find((e) => e.kind === 'turn.result')!
    expect(result).toMatchObject({ isError: false, subtype: 'success', text: 'ECHO: hello mock' })
    expect(result.costUsd as number).toBeGreaterThan(0)
    expect(kinds(events).filter((k) => k === 'turn.ended')).toHaveLength(1)
  })

  it('resumes: the second turn sends the first exchange to the API', async () => {
    const { d, mock } = stack
    const s = await createSession(d)
    await runTurn(d, s.id, 'the secret is kumquat')
    mock.reset()
    const second = await runTurn(d, s.id, 'what was it? [history]')
    expect(second.ended.status).toBe('completed')
    const req = mock.requests().find((r) => r.prompt?.includes('what was it?'))!
    expect(req.texts.join('\n')).toContain('the secret is kumquat')
    expect(second.events.find((e) => e.kind === 'text')!.text).toContain(
      'ECHO: the secret is kumquat'
    )
    const turns = (await d.api.get(`/sessions/${s.id}/turns`)).body.turns
    expect(turns.map((t: { status: string }) => t.status)).toEqual(['completed', 'completed'])
  })

  it('runs a Bash tool turn and shows the call and its output', async () => {
    const { d } = stack
    const s = await createSession(d, { allowedTools: ['Bash'] })
    const { events, ended } = await runTurn(d, s.id, 'run it [tool:bash echo hello-from-bash]')
    expect(ended.status).toBe('completed')
    const use = events.find((e) => e.kind === 'tool.use')!
    expect(use).toMatchObject({ name: 'Bash', summary: 'echo hello-from-bash' })
    const result = events.find((e) => e.kind === 'tool.result')!
    expect(result).toMatchObject({ toolUseId: use.toolUseId, isError: false })
    expect(result.text).toContain('hello-from-bash')
    expect(events.filter((e) => e.kind === 'text').pop()!.text).toContain(
      'TOOL RESULT: hello-from-bash'
    )
  })

  it('cancels mid-reply: cancelled, partial text, no error event, and the next turn resumes', async () => {
    const { d, mock } = stack
    const s = await createSession(d)
    const turn = await postTurn(d, s.id, `a slow story ${UNTIL_CANCELLED}`)
    const sse = await attach(d, s.id)
    await sse.waitForEvent((e) => e.kind === 'text.delta', 'the first delta', 30_000)
    const c = await d.api.post(`/sessions/${s.id}/cancel`)
    expect(c.body.cancelled).toBe(true)
    const ended = await sse.waitForEvent(turnEnded(turn.id), 'turn.ended', 30_000)
    sse.close()
    expect(ended.status).toBe('cancelled')
    const own = sse.events.filter((e) => e.turnId === turn.id)
    expect(own.filter((e) => e.kind === 'error')).toHaveLength(0)
    expect(own.filter((e) => e.kind === 'turn.ended')).toHaveLength(1)
    mock.reset()
    const next = await runTurn(d, s.id, 'still there? [history]')
    expect(next.ended.status).toBe('completed')
    const req = mock.requests().find((r) => r.prompt?.includes('still there?'))!
    expect(req.texts.join('\n')).toContain('a slow story')
  })

  it('cancels mid-tool and leaves no process of the tool behind', async () => {
    const { d } = stack
    const marker = `setTimeout(()=>{},${29_000 + Math.floor(Math.random() * 900)})`
    const s = await createSession(d, { allowedTools: ['Bash'] })
    const turn = await postTurn(d, s.id, `wait [tool:bash node -e "${marker}"]`)
    const sse = await attach(d, s.id)
    await sse.waitForEvent((e) => e.kind === 'tool.use', 'the tool call', 30_000)
    await waitUntil(() => processesWith(marker).length > 0, {
      label: 'the tool process to start',
      timeoutMs: 15_000,
    })
    expect((await d.api.post(`/sessions/${s.id}/cancel`)).body.cancelled).toBe(true)
    const ended = await sse.waitForEvent(turnEnded(turn.id), 'turn.ended', 30_000)
    sse.close()
    expect(ended.status).toBe('cancelled')
    await waitUntil(() => processesWith(marker).length === 0, {
      label: 'no tool process left',
      timeoutMs: 15_000,
    })
    const next = await runTurn(d, s.id, 'and after that?')
    expect(next.ended.status).toBe('completed')
  })

  it('cancels right after the POST, then runs a working turn', async () => {
    const { d } = stack
    const s = await createSession(d)
    const turn = await postTurn(d, s.id, `never mind ${UNTIL_CANCELLED}`)
    expect((await d.api.post(`/sessions/${s.id}/cancel`)).body.cancelled).toBe(true)
    const sse = await attach(d, s.id)
    const ended = await sse.waitForEvent(turnEnded(turn.id), 'turn.ended', 30_000)
    sse.close()
    expect(ended.status).toBe('cancelled')
    const next = await runTurn(d, s.id, 'hello again')
    expect(next.ended.status).toBe('completed')
    expect(next.events.find((e) => e.kind === 'text')!.text).toBe('ECHO: hello again')
  })

  it(
    're-attaching with Last-Event-ID after a drop mid-turn yields exactly the log',
    { timeout: 120_000 },
    async () => {
      const { d } = stack
      const s = await createSession(d)
      // 20 s: the client drops and re-attaches mid-turn, also on a loaded machine.
      const turn = await postTurn(d, s.id, 'stream it [slow:20000]')
      const first = await attach(d, s.id)
      await first.waitFor(
        (c) => c.events.filter((e) => e.kind === 'text.delta').length >= 5,
        'five deltas',
        30_000
      )
      first.close()
      const second = await attach(d, s.id, { lastEventId: first.lastEventId! })
      await second.waitForEvent(turnEnded(turn.id), 'turn.ended', 60_000)
      second.close()
      const log = await history(d, s.id)
      expect(ids([...first.events, ...second.events])).toEqual(ids(log))
      expect(new Set(ids(log)).size).toBe(log.length)
    }
  )

  it('two clients attached at once see identical streams', async () => {
    const { d } = stack
    const s = await createSession(d, { allowedTools: ['Bash'] })
    const a = await attach(d, s.id)
    const b = await attach(d, s.id)
    const turn = await postTurn(d, s.id, 'both of you [tool:bash echo twins]')
    await a.waitForEvent(turnEnded(turn.id), 'a: turn.ended', 30_000)
    await b.waitForEvent(turnEnded(turn.id), 'b: turn.ended', 30_000)
    expect(a.frames).toEqual(b.frames)
    expect(ids(a.events)).toEqual(ids(await history(d, s.id)))
    a.close()
    b.close()
  })

  it(
    '409 for a second concurrent turn with {"queue": false}; the same clientTurnId never runs twice',
    { timeout: 120_000 },
    async () => {
      const { d, mock } = stack
      const s = await createSession(d)
      mock.reset()
      // 20 s: still running at the 409 below, also on a loaded machine; it then ends on its own.
      const prompt = 'only once [slow:20000]'
      const first = await postTurn(d, s.id, prompt, {
        clientTurnId: 'retry-after-blip',
      })
      const busy = await d.api.post(`/sessions/${s.id}/turns`, { prompt: 'another', queue: false })
      expect(busy.status).toBe(409)
      expect(busy.body.error.code).toBe('turn_in_progress')
      const dup = await d.api.post(`/sessions/${s.id}/turns`, {
        prompt,
        clientTurnId: 'retry-after-blip',
      })
      expect(dup.status).toBe(202)
      expect(dup.body.turn.id).toBe(first.id)
      const sse = await attach(d, s.id)
      await sse.waitForEvent(turnEnded(first.id), 'turn.ended', 60_000)
      sse.close()
      expect(mock.requests().filter((r) => r.prompt?.includes('only once')).length).toBe(1)
      expect((await d.api.get(`/sessions/${s.id}/turns`)).body.turns).toHaveLength(1)
    }
  )

  it('reports an API error from claude as a failed turn with the message', async () => {
    const { d } = stack
    const s = await createSession(d)
    const { events, ended } = await runTurn(d, s.id, 'hi [error:400]')
    expect(ended).toMatchObject({ status: 'failed', exitCode: 1 })
    const errors = events.filter((e) => e.kind === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toContain('400')
  })
})

describe('a claude that dies before printing anything, then the real one', () => {
  it('fails that turn, and the next turn starts the conversation with --session-id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentmux-die-once-'))
    const { bin, flag } = dieOnceWrapper(dir)
    const local = await startRealStack({ claudeBin: bin })
    try {
      const s = await createSession(local.d)
      writeFileSync(flag, '')
      const dead = await runTurn(local.d, s.id, 'first try')
      expect(dead.ended).toMatchObject({ status: 'failed', signal: 'SIGKILL' })
      expect(kinds(dead.events)).not.toContain('agent.init')
      const next = await runTurn(local.d, s.id, 'second try')
      expect(next.ended.status).toBe('completed')
      expect(next.events.find((e) => e.kind === 'agent.init')!.claudeSessionId).toBe(
        s.claudeSessionId
      )
      expect(next.events.find((e) => e.kind === 'text')!.text).toBe('ECHO: second try')
    } finally {
      await local.stop()
    }
  })
})
