import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ResponseSchemas } from '../../src/http/api-shapes.js'
import { clientEnv, runCli } from '../helpers/cli.js'
import { startRealStack, type RealStack } from '../helpers/real-claude.js'
import { createSession, history } from '../helpers/session.js'
import { createTmux } from '../helpers/tmux.js'
import { waitUntil } from '../helpers/wait.js'

// Approvals and questions from the shell and from the attach screen (issue 9's API), with the real
// claude asking over its control protocol, against the mock Messages API.
const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/main.js')
let stack: RealStack
let env: Record<string, string>
const tmux = createTmux()
beforeAll(async () => {
  stack = await startRealStack()
  env = clientEnv(stack.d.url, stack.d.token)
})
afterAll(async () => {
  tmux.kill()
  await stack?.stop()
})

const cli = (...args: string[]) => runCli(args, env)
const resolved = async (id: string) =>
  (await history(stack.d, id)).filter((e) => e.kind === 'permission.resolved')

describe('approvals from the shell', () => {
  it('wait exits 2 while a tool waits; pending lists it; approve allows it and the turn completes', async () => {
    const s = await createSession(stack.d, { title: 'approve me' })
    await cli('send', s.id, 'run it [tool:bash touch approved.txt]')
    const w = await cli('wait', s.id, '--timeout', '60', '--json')
    expect(w.code, w.stderr).toBe(2)
    expect(JSON.parse(w.stdout).result).toBe('needs_you')
    const p = await cli('pending', s.id, '--json')
    const [req] = JSON.parse(p.stdout).permissions
    // The documented shape (GET /openapi.json) is what the daemon really answers.
    ResponseSchemas.Permission.parse(req)
    expect(req).toMatchObject({ kind: 'tool', toolName: 'Bash', summary: 'touch approved.txt' })
    // The metrics see it too (from the sessions' pendingPermissions).
    const metrics = (await stack.d.api.get('/metrics')).body as string
    expect(metrics).toMatch(/^agentmux_pending_approvals 1$/m)
    const ok = await cli('approve', s.id)
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toContain('allowed Bash')
    expect((await cli('wait', s.id, '--timeout', '60')).code).toBe(0)
    expect(await resolved(s.id)).toMatchObject([
      { requestId: req.requestId, decision: 'allow', by: 'user', scope: 'once' },
    ])
    // The command really ran.
    expect(existsSync(join(s.cwd, 'approved.txt'))).toBe(true)
  })

  it('approve --session keeps a rule; deny --message tells claude; nothing pending is an error', async () => {
    const s = await createSession(stack.d, { title: 'deny me' })
    await cli('send', s.id, 'first [tool:bash touch one.txt]')
    expect((await cli('wait', s.id, '--timeout', '60')).code).toBe(2)
    expect((await cli('approve', s.id, '--session')).code).toBe(0)
    expect((await cli('wait', s.id, '--timeout', '60')).code).toBe(0)
    expect((await stack.d.api.get(`/sessions/${s.id}/rules`)).body.rules.length).toBeGreaterThan(0)

    await cli('send', s.id, 'second [tool:write notes.txt hello]')
    expect((await cli('wait', s.id, '--timeout', '60')).code).toBe(2)
    const pend = JSON.parse((await cli('pending', s.id, '--json')).stdout).permissions
    const d = await cli('deny', s.id, pend[0].requestId, '--message', 'not in this directory')
    expect(d.code, d.stderr).toBe(0)
    expect((await cli('wait', s.id, '--timeout', '60')).code).toBe(0)
    const last = (await resolved(s.id)).pop()!
    expect(last).toMatchObject({ decision: 'deny', by: 'user', message: 'not in this directory' })
    expect(existsSync(join(s.cwd, 'notes.txt'))).toBe(false)
    const none = await cli('approve', s.id)
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('nothing is pending')
  })

  it('answer picks an option of a question by number', async () => {
    const s = await createSession(stack.d, { title: 'ask me' })
    await cli('send', s.id, 'choose [tool:ask Which colour?|red|blue]')
    expect((await cli('wait', s.id, '--timeout', '60')).code).toBe(2)
    const [req] = JSON.parse((await cli('pending', s.id, '--json')).stdout).permissions
    expect(req.kind).toBe('question')
    const a = await cli('answer', s.id, req.requestId, '2')
    expect(a.code, a.stderr).toBe(0)
    expect((await cli('wait', s.id, '--timeout', '60')).code).toBe(0)
    expect((await resolved(s.id)).pop()).toMatchObject({
      decision: 'allow',
      answers: { 'Which colour?': 'blue' },
    })
  })
})

describe('approvals on the attach screen (tmux)', () => {
  it('y allows, n asks for a message and denies, a digit answers a question', async () => {
    const s = await createSession(stack.d, { title: 'keys' })
    tmux.start('k', [process.execPath, MAIN, 'attach', s.id], env)
    await tmux.waitForScreen('k', (t) => t.includes('Ctrl-C detaches'), 'attach to start')

    await stack.d.api.post(`/sessions/${s.id}/turns`, {
      prompt: 'one [tool:bash touch via-keys.txt]',
    })
    await tmux.waitForScreen('k', (t) => t.includes('[y] allow once'), 'the approval prompt')
    tmux.keys('k', 'y')
    await tmux.waitForScreen(
      'k',
      (t) => t.includes('✓ allowed once') && t.includes('── completed'),
      'allowed and completed'
    )

    await stack.d.api.post(`/sessions/${s.id}/turns`, { prompt: 'two [tool:bash touch never.txt]' })
    await tmux.waitForScreen(
      'k',
      (t) => (t.match(/\[y\] allow once/g) ?? []).length === 2,
      'the second prompt'
    )
    tmux.keys('k', 'n')
    await tmux.waitForScreen('k', (t) => t.includes('message for claude'), 'the message prompt')
    tmux.keys('k', '-l', 'use echo only')
    tmux.keys('k', 'Enter')
    await tmux.waitForScreen(
      'k',
      (t) => t.includes('✗ denied') && (t.match(/── completed/g) ?? []).length === 2,
      'denied'
    )
    expect((await resolved(s.id)).pop()).toMatchObject({
      decision: 'deny',
      message: 'use echo only',
    })

    await stack.d.api.post(`/sessions/${s.id}/turns`, {
      prompt: 'three [tool:ask Pick one?|left|right]',
    })
    await tmux.waitForScreen('k', (t) => t.includes('[1] left  [2] right'), 'the question')
    tmux.keys('k', '1')
    await tmux.waitForScreen('k', (t) => (t.match(/── completed/g) ?? []).length === 3, 'answered')
    expect((await resolved(s.id)).pop()).toMatchObject({
      decision: 'allow',
      answers: { 'Pick one?': 'left' },
    })
    tmux.keys('k', 'C-c')
    await waitUntil(() => tmux.paneState('k').dead, { timeoutMs: 10_000, label: 'detach' })
  }, 240_000)
})
