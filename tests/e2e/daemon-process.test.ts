import { spawn } from 'node:child_process'
import { Agent, request } from 'node:http'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createApi } from '../helpers/api.js'
import { spawnDaemon } from '../helpers/process-daemon.js'
import { openSse, turnEnded } from '../helpers/sse.js'
import { waitUntil, withTimeout } from '../helpers/wait.js'

const TOKEN = 'process-token-0123456789'
const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/main.js')

function runMain(env: Record<string, string>, args: string[] = []) {
  return withTimeout(
    new Promise<{ code: number | null; stderr: string }>((done) => {
      const c = spawn(process.execPath, [MAIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      c.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
      c.once('exit', (code) => done({ code, stderr }))
    }),
    15_000,
    'main to exit'
  )
}

describe('the daemon as a process', () => {
  it('prints one line with its URL, serves /healthz, and exits 0 on SIGTERM after telling streams', async () => {
    const p = await spawnDaemon()
    expect(p.stdout()).toMatch(/^agentmux listening on http:\/\/127\.0\.0\.1:\d+ \(claude 2\.1\.330, data .+\); log in at http:\/\/127\.0\.0\.1:\d+\/#token=\S+\n$/)
    const api = createApi(p.url, TOKEN)
    expect((await api.get('/healthz')).body).toMatchObject({ ok: true, claudeVersion: '2.1.330' })
    const s = (await api.post('/sessions')).body
    const sse = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
    const turn = (await api.post(`/sessions/${s.id}/turns`, { prompt: 'long one [slow:2500]' })).body.turn
    await sse.waitForEvent((e) => e.kind === 'text.delta', 'a delta')
    p.child.kill('SIGTERM')
    await sse.waitFor((c) => c.closed, 'the stream to end')
    expect(sse.frames.some((f) => f.event === 'shutdown')).toBe(true)
    const exit = await withTimeout(p.exited, 15_000, 'exit after SIGTERM')
    expect(exit).toEqual({ code: 0, signal: null })
    // The turn was handed over, not stopped: the next daemon adopts it and it completes.
    const again = await spawnDaemon({ dataDir: p.dataDir })
    const resumed = await openSse(`${again.url}/sessions/${s.id}/events`, { token: TOKEN, lastEventId: sse.lastEventId! })
    const ended = await resumed.waitForEvent(turnEnded(turn.id), 'turn.ended from the next daemon')
    expect(ended.status).toBe('completed')
    resumed.close()
    const history = (await createApi(again.url, TOKEN).get(`/sessions/${s.id}/history`)).body.events
    expect(history.filter(turnEnded(turn.id))).toHaveLength(1)
    expect(history.map((e: { id: number }) => e.id)).toEqual([...sse.events, ...resumed.events].map((e) => e.id))
    again.child.kill('SIGTERM')
    await withTimeout(again.exited, 15_000, 'second daemon exit')
  })

  it('with --cancel-on-exit, SIGTERM cancels running turns before exiting', async () => {
    const p = await spawnDaemon({ args: ['--cancel-on-exit'] })
    const api = createApi(p.url, TOKEN)
    const s = (await api.post('/sessions')).body
    const turn = (await api.post(`/sessions/${s.id}/turns`, { prompt: 'long one [slow:20000]' })).body.turn
    const sse = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
    await sse.waitForEvent((e) => e.kind === 'text.delta', 'a delta')
    p.child.kill('SIGTERM')
    const ended = await sse.waitForEvent(turnEnded(turn.id), 'turn.ended before the stream ends')
    expect(ended.status).toBe('cancelled')
    expect(await withTimeout(p.exited, 15_000, 'exit')).toEqual({ code: 0, signal: null })
  })

  it('a second signal exits at once', async () => {
    // A claude that ignores everything, with long grace periods, keeps the first shutdown waiting.
    const p = await spawnDaemon({ args: ['--cancel-on-exit'], env: { AGENTMUX_CANCEL_GRACE_MS: '20000' } })
    const api = createApi(p.url, TOKEN)
    const s = (await api.post('/sessions')).body
    await api.post(`/sessions/${s.id}/turns`, { prompt: 'stubborn [hang] [ignore-signals]' })
    const sse = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
    await sse.waitForEvent((e) => e.kind === 'agent.init', 'claude to start')
    // A keep-alive connection opened before the signal stays usable while the daemon drains.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    expect((await rawRequest(agent, p.url, 'GET', '/sessions')).status).toBe(200)
    p.child.kill('SIGTERM')
    await waitUntil(() => p.stderr().includes('shutting down'), { label: 'the first shutdown to begin' })
    const refused = await rawRequest(agent, p.url, 'POST', '/sessions', '{}')
    expect(refused.status).toBe(503)
    expect(JSON.parse(refused.body).error.code).toBe('shutting_down')
    agent.destroy()
    p.child.kill('SIGTERM')
    const exit = await withTimeout(p.exited, 5000, 'exit after the second signal')
    expect(exit.code).toBe(1)
  })

  it('refuses to start on a bad configuration, with a clear message', async () => {
    const bad = await runMain({ AGENTMUX_PORT: 'eighty', AGENTMUX_DATA_DIR: '/tmp/agentmux-never' })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('bad configuration')
    expect(bad.stderr).toContain('port')
    const shortToken = await runMain({ AGENTMUX_TOKEN: 'short', AGENTMUX_DATA_DIR: '/tmp/agentmux-never' })
    expect(shortToken.code).toBe(1)
    expect(shortToken.stderr).toContain('at least 16 characters')
    const flag = await runMain({}, ['serve', '--no-such-flag'])
    expect(flag.code).toBe(1)
    expect(flag.stderr).toContain('no-such-flag')
  })

  it("never passes the daemon's own settings and token to claude or its tools", async () => {
    const p = await spawnDaemon({ env: { AGENTMUX_SOMETHING: 'x', VISIBLE_TO_CLAUDE: 'yes' } })
    const api = createApi(p.url, TOKEN)
    const s = (await api.post('/sessions')).body
    const turn = (await api.post(`/sessions/${s.id}/turns`, { prompt: '[tool:env]' })).body.turn
    const sse = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
    await sse.waitForEvent(turnEnded(turn.id), 'turn.ended')
    sse.close()
    const envDump = sse.events.find((e) => e.kind === 'tool.result')!.text as string
    expect(envDump).toContain('VISIBLE_TO_CLAUDE=yes')
    expect(envDump).not.toContain('AGENTMUX_')
    expect(envDump).not.toContain(TOKEN)
    p.child.kill('SIGTERM')
    await withTimeout(p.exited, 15_000, 'exit')
  })
})

function rawRequest(agent: Agent, base: string, method: string, path: string, body?: string) {
  return withTimeout(
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${base}${path}`,
        { agent, method, headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' } },
        (res) => {
          let text = ''
          res.setEncoding('utf8').on('data', (c: string) => (text += c))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
        }
      )
      req.on('error', reject)
      req.end(body)
    }),
    10_000,
    `${method} ${path}`
  )
}
