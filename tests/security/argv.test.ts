/**
 * Issue 10, finding 9: an `appendSystemPrompt` with a NUL was accepted; every later turn of the
 * session failed at spawn, and the text landed in the log (Node's error quotes the argument).
 * The attack: control characters in every field that reaches claude's argv (or its cwd), at
 * creation, on PATCH and per turn. Each is a 400 that stores nothing and logs nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { createSession, runTurn } from '../helpers/session.js'

const MARK = 'ARGV-MARK-7f3a'

describe('control characters in fields that reach argv', () => {
  let d: TestDaemon
  let sid: string
  beforeAll(async () => {
    d = await startTestDaemon()
    sid = (await createSession(d, { title: 'target' })).id
  })
  afterAll(async () => {
    await d?.stop()
  })

  const sessions = async () => (await d.api.get('/sessions')).body.sessions.length as number

  it('at creation: appendSystemPrompt, model, allowedTools (and cwd) with a NUL or an escape → 400, nothing stored', async () => {
    const before = await sessions()
    const bodies: Record<string, unknown>[] = [
      { appendSystemPrompt: `be helpful\u0000${MARK}` },
      { appendSystemPrompt: `\u001b[2J${MARK}` },
      { appendSystemPrompt: `${MARK}\u007f` },
      { appendSystemPrompt: `${MARK}\u000b` },
      { model: `sonnet\u0000${MARK}` },
      { model: `sonnet\n--dangerously-skip-permissions` },
      { allowedTools: [`Bash\u0000${MARK}`] },
      { allowedTools: ['Read', `Bash(ls)\n${MARK}`] },
      // cwd is not argv, but a NUL there fails the spawn too: the cwd rules refuse it.
      { cwd: `${d.dataDir}/\u0000${MARK}` },
    ]
    for (const body of bodies) {
      const r = await d.api.post('/sessions', body)
      expect(r.status, JSON.stringify(body)).toBe(400)
      expect(['invalid_request', 'invalid_cwd']).toContain(r.body.error.code)
      expect(JSON.stringify(r.body)).not.toContain(MARK)
    }
    expect(await sessions()).toBe(before)
  })

  it('on PATCH and per turn → 400, and the session is unchanged', async () => {
    const before = (await d.api.get(`/sessions/${sid}`)).body
    for (const body of [{ model: `x\u0000${MARK}` }, { allowedTools: [`Edit\u0007${MARK}`] }]) {
      const r = await d.api.patch(`/sessions/${sid}`, body)
      expect(r.status, JSON.stringify(body)).toBe(400)
    }
    const turn = await d.api.post(`/sessions/${sid}/turns`, {
      prompt: 'hi',
      model: `haiku\u0000${MARK}`,
    })
    expect(turn.status).toBe(400)
    expect((await d.api.get(`/sessions/${sid}`)).body).toEqual(before)
    expect((await d.api.get(`/sessions/${sid}/turns`)).body.turns).toEqual([])
  })

  it('lines and tabs in a system prompt are text: accepted, stored as sent, and the turn runs', async () => {
    const prompt = 'You are terse.\n\tAnswer in one line.\r\nNever apologise.'
    const s = await createSession(d, { appendSystemPrompt: prompt })
    expect((await d.api.get(`/sessions/${s.id}`)).body.appendSystemPrompt).toBe(prompt)
    const { ended } = await runTurn(d, s.id, 'hello')
    expect(ended.status).toBe('completed')
  })

  it('nothing of what was refused reached the log', () => {
    expect(d.logs.length).toBeGreaterThan(0)
    expect(d.logs.join('')).not.toContain(MARK)
  })
})
