import { spawn } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createApi } from '../helpers/api.js'
import { spawnDaemon } from '../helpers/process-daemon.js'
import { openSse, turnEnded } from '../helpers/sse.js'
import { withTimeout } from '../helpers/wait.js'

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
    const turn = (await api.post(`/sessions/${s.id}/turns`, { prompt: 'long one [slow:20000]' })).body.turn
    await sse.waitForEvent((e) => e.kind === 'text.delta', 'a delta')
    p.child.kill('SIGTERM')
    await sse.waitFor((c) => c.closed, 'the stream to end')
    expect(sse.frames.some((f) => f.event === 'shutdown')).toBe(true)
    const exit = await withTimeout(p.exited, 15_000, 'exit after SIGTERM')
    expect(exit).toEqual({ code: 0, signal: null })
    // The running turn was stopped with its one turn.ended before the database closed.
    const again = await spawnDaemon({ dataDir: p.dataDir })
    const history = (await createApi(again.url, TOKEN).get(`/sessions/${s.id}/history`)).body.events
    const ended = history.filter(turnEnded(turn.id))
    expect(ended).toHaveLength(1)
    expect(ended[0].status).toBe('cancelled')
    again.child.kill('SIGTERM')
    await withTimeout(again.exited, 15_000, 'second daemon exit')
  })

  it('a second signal exits at once', async () => {
    const p = await spawnDaemon()
    const api = createApi(p.url, TOKEN)
    const s = (await api.post('/sessions')).body
    // A claude that ignores everything keeps the first shutdown waiting for the SIGKILL step.
    await api.post(`/sessions/${s.id}/turns`, { prompt: 'stubborn [hang] [ignore-signals]' })
    const sse = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
    await sse.waitForEvent((e) => e.kind === 'agent.init', 'claude to start')
    p.child.kill('SIGTERM')
    await sse.waitFor((c) => c.closed, 'the stream to end')
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
