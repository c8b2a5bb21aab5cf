import { existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../helpers/api.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { attach, createSession, runTurn } from '../helpers/session.js'
import { turnEnded } from '../helpers/sse.js'

let d: TestDaemon
beforeAll(async () => {
  d = await startTestDaemon()
})
afterAll(async () => {
  await d?.stop()
})

function expectError(r: { status: number; body: any }, status: number, code?: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status)
  expect(r.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } })
  if (code) expect(r.body.error.code).toBe(code)
}

describe('sessions API', () => {
  it('/healthz answers without a token with the versions', async () => {
    const r = await createApi(d.url).get('/healthz')
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({ ok: true, version: '0.1.0', claudeVersion: '2.1.330' })
  })

  it('requires the bearer token everywhere else', async () => {
    const anon = createApi(d.url)
    const wrong = createApi(d.url, 'x'.repeat(26))
    for (const api of [anon, wrong]) {
      expectError(await api.get('/sessions'), 401, 'unauthorized')
      expectError(await api.post('/sessions', {}), 401, 'unauthorized')
      expectError(await api.get('/events'), 401, 'unauthorized')
    }
  })

  it('creates a session with defaults: a fresh directory under the data dir, a claude session id', async () => {
    const r = await d.api.post('/sessions')
    expect(r.status).toBe(201)
    const s = r.body
    expect(s.id).toMatch(/^ses_[0-9A-Za-z]{16}$/)
    expect(s.claudeSessionId).toMatch(/^[0-9a-f-]{36}$/)
    expect(s.cwd.startsWith(join(d.dataDir, 'workspaces'))).toBe(true)
    expect(statSync(s.cwd).isDirectory()).toBe(true)
    expect(s).toMatchObject({
      title: '',
      status: 'idle',
      activeTurnId: null,
      model: null,
      permissionMode: null,
      allowedTools: [],
      turnCount: 0,
      costUsd: 0,
      lastEventId: 0,
    })
    expect((await d.api.get(`/sessions/${s.id}`)).body).toEqual(s)
  })

  it(
    'shows when the running turn started, and turn.started carries the clientTurnId',
    { timeout: 120_000 },
    async () => {
      const s = await createSession(d)
      // 20 s: still running when the session is read below, also on a loaded machine.
      const turn = (
        await d.api.post(`/sessions/${s.id}/turns`, {
          prompt: 'slow [slow:20000]',
          clientTurnId: 'cid-1',
        })
      ).body.turn
      const running = (await d.api.get(`/sessions/${s.id}`)).body
      expect(running).toMatchObject({
        status: 'running',
        activeTurnId: turn.id,
        activeTurnStartedAt: turn.startedAt,
      })
      const sse = await attach(d, s.id)
      await sse.waitForEvent(turnEnded(turn.id), 'turn.ended', 60_000)
      sse.close()
      expect(sse.events[0]).toMatchObject({
        kind: 'turn.started',
        prompt: 'slow [slow:20000]',
        clientTurnId: 'cid-1',
        model: null,
      })
      expect((await d.api.get(`/sessions/${s.id}`)).body).toMatchObject({
        status: 'idle',
        activeTurnStartedAt: null,
      })
    }
  )

  it('serves no favicon, without asking for a token', async () => {
    const r = await createApi(d.url).get('/favicon.ico')
    expect(r.status).toBe(404)
  })

  it('takes an untitled session title from the first prompt', async () => {
    const s = await createSession(d)
    await runTurn(d, s.id, 'fix the flaky login test\nand more details')
    expect((await d.api.get(`/sessions/${s.id}`)).body.title).toBe('fix the flaky login test')
  })

  it('accepts every option, and a cwd inside an allowed root', async () => {
    const dir = join(d.dataDir, 'projects', 'app')
    mkdirSync(dir, { recursive: true })
    const s = await createSession(d, {
      title: 'app',
      cwd: dir,
      model: 'sonnet',
      permissionMode: 'acceptEdits',
      allowedTools: ['Bash(git *)', 'Edit'],
      appendSystemPrompt: 'Be brief.',
    })
    expect(s).toMatchObject({
      title: 'app',
      cwd: dir,
      model: 'sonnet',
      permissionMode: 'acceptEdits',
    })
    const { events } = await runTurn(d, s.id, 'hi')
    const init = events.find((e) => e.kind === 'agent.init')!
    expect(init).toMatchObject({
      cwd: dir,
      model: 'claude-sonnet-5-5',
      permissionMode: 'acceptEdits',
    })
  })

  it('lists sessions most recently active first', async () => {
    const a = await createSession(d, { title: 'a' })
    const b = await createSession(d, { title: 'b' })
    await runTurn(d, a.id, 'touch a')
    const list = (await d.api.get('/sessions')).body.sessions as { id: string }[]
    expect(list.findIndex((s) => s.id === a.id)).toBeLessThan(list.findIndex((s) => s.id === b.id))
  })

  it('patches title, model, permission mode and allowed tools', async () => {
    const s = await createSession(d)
    const r = await d.api.patch(`/sessions/${s.id}`, {
      title: 'renamed',
      model: 'opus',
      permissionMode: 'plan',
      allowedTools: ['Read'],
    })
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({
      title: 'renamed',
      model: 'opus',
      permissionMode: 'plan',
      allowedTools: ['Read'],
    })
    const cleared = await d.api.patch(`/sessions/${s.id}`, { model: null, permissionMode: null })
    expect(cleared.body).toMatchObject({ model: null, permissionMode: null, title: 'renamed' })
  })

  it('deletes a session: 204, then 404', async () => {
    const s = await createSession(d)
    expect((await d.api.del(`/sessions/${s.id}`)).status).toBe(204)
    expectError(await d.api.get(`/sessions/${s.id}`), 404, 'session_not_found')
    expectError(await d.api.del(`/sessions/${s.id}`), 404, 'session_not_found')
  })
})

describe('bad input gets a clear 4xx JSON error and changes nothing', () => {
  it('rejects malformed bodies', async () => {
    const s = await createSession(d)
    const turns = `/sessions/${s.id}/turns`
    expectError(
      await d.api.call('POST', turns, '{"prompt":', { 'Content-Type': 'application/json' }),
      400,
      'invalid_json'
    )
    expectError(
      await d.api.call('POST', turns, 'prompt=hi', {
        'Content-Type': 'application/x-www-form-urlencoded',
      }),
      415
    )
    expectError(
      await d.api.call('POST', turns, JSON.stringify({ prompt: 'hi' }), {
        'Content-Type': 'text/plain',
      }),
      415
    )
    expectError(await d.api.post(turns, { prompt: 42 }), 400, 'invalid_request')
    expectError(await d.api.post(turns, { prompt: '   ' }), 400, 'invalid_request')
    expectError(await d.api.post(turns, { prompt: 'hi', extra: 1 }), 400, 'invalid_request')
    expectError(await d.api.post(turns, [1, 2]), 400, 'invalid_request')
    expectError(
      await d.api.post(turns, { prompt: 'x'.repeat(200 * 1024 + 1) }),
      400,
      'invalid_request'
    )
    // This route takes bodies up to ~15 MB (images ride in it): a 1 MB prompt is a 400, 16 MB a 413.
    expectError(
      await d.api.post(turns, { prompt: 'x'.repeat(1024 * 1024 + 10) }),
      400,
      'invalid_request'
    )
    expectError(
      await d.api.post(turns, { prompt: 'x'.repeat(16 * 1024 * 1024) }),
      413,
      'body_too_large'
    )
    expectError(await d.api.post(turns, { prompt: 'hi', clientTurnId: 'has space' }), 400)
    expectError(
      await d.api.post(turns, { prompt: 'hi', model: '--dangerously-skip-permissions' }),
      400
    )
    expectError(await d.api.post('/sessions', { permissionMode: 'yolo' }), 400)
    expectError(await d.api.post('/sessions', { title: 'a\u0000b' }), 400)
    expectError(await d.api.post('/sessions', { title: 'x'.repeat(201) }), 400)
    expectError(await d.api.post('/sessions', { allowedTools: ['-rf'] }), 400)
    expectError(await d.api.post('/sessions', { allowedTools: Array(65).fill('Read') }), 400)
    expectError(await d.api.patch(`/sessions/${s.id}`, { cwd: '/tmp' }), 400)
    expect((await d.api.get(`/sessions/${s.id}/turns`)).body.turns).toEqual([])
  })

  it('rejects a cwd that is relative, missing, a file, outside the roots, a symlink out, or has NUL', async () => {
    const file = join(d.dataDir, 'a-file')
    writeFileSync(file, 'x')
    const link = join(d.dataDir, 'link-out')
    if (!existsSync(link)) symlinkSync('/usr', link)
    const before = (await d.api.get('/sessions')).body.sessions.length
    for (const cwd of [
      'relative/dir',
      join(d.dataDir, 'missing'),
      file,
      '/usr',
      link,
      `${d.dataDir}/../..`,
      `${d.dataDir}\u0000x`,
    ]) {
      const r = await d.api.post('/sessions', { cwd })
      expectError(r, 400)
      expect(['invalid_cwd', 'cwd_not_allowed']).toContain(r.body.error.code)
    }
    expect((await d.api.get('/sessions')).body.sessions.length).toBe(before)
  })

  it('checks ids before any lookup, and unknown routes are JSON 404s', async () => {
    expectError(await d.api.get('/sessions/../../etc/passwd'), 404)
    expectError(await d.api.get('/sessions/ses_short'), 400, 'invalid_id')
    expectError(
      await d.api.get(`/sessions/${encodeURIComponent("ses_' OR 1=1 --")}`),
      400,
      'invalid_id'
    )
    expectError(
      await d.api.post('/sessions/ses_0000000000000000/turns', { prompt: 'hi' }),
      404,
      'session_not_found'
    )
    expectError(await d.api.post('/sessions/ses_0000000000000000/cancel'), 404, 'session_not_found')
    expectError(await d.api.get('/nope'), 404, 'not_found')
  })
})
