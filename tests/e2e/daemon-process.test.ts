import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { envOf, flagOf, SETTINGS, type SettingKey } from '../../src/settings.js'
import { createApi } from '../helpers/api.js'
import { inspectDb } from '../helpers/inspect-db.js'
import { leakMark } from '../helpers/leaks.js'
import { PROCESS_TOKEN, spawnDaemon } from '../helpers/process-daemon.js'
import { UNTIL_CANCELLED } from '../helpers/session.js'
import { openSse, turnEnded } from '../helpers/sse.js'
import { waitUntil, withTimeout } from '../helpers/wait.js'

const TOKEN = PROCESS_TOKEN
const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/main.js')

function runMain(env: Record<string, string>, args: string[] = []) {
  return withTimeout(
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      const c = spawn(process.execPath, [MAIN, ...args], {
        env: { ...leakMark(), PATH: process.env.PATH ?? '', HOME: '/nonexistent-home', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      c.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s))
      c.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s))
      c.once('exit', (code) => done({ code, stdout, stderr }))
    }),
    15_000,
    'main to exit'
  )
}

describe('the daemon as a process', () => {
  it(
    'prints one line with its URL, serves /healthz, and exits 0 on SIGTERM after telling streams',
    { timeout: 120_000 },
    async () => {
      const p = await spawnDaemon()
      expect(p.stdout()).toMatch(
        /^agentmux listening on http:\/\/127\.0\.0\.1:\d+ \(claude 2\.1\.330, data .+\); log in at http:\/\/127\.0\.0\.1:\d+\/#token=\S+\n$/
      )
      const api = createApi(p.url, TOKEN)
      expect((await api.get('/healthz')).body).toMatchObject({ ok: true, claudeVersion: '2.1.330' })
      const s = (await api.post('/sessions')).body
      const sse = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
      // 20 s: the SIGTERM lands mid-turn, also on a loaded machine, so there is a turn to hand over.
      const turn = (await api.post(`/sessions/${s.id}/turns`, { prompt: 'long one [slow:20000]' }))
        .body.turn
      await sse.waitForEvent((e) => e.kind === 'text.delta', 'a delta')
      p.child.kill('SIGTERM')
      await sse.waitFor((c) => c.closed, 'the stream to end')
      expect(sse.frames.some((f) => f.event === 'shutdown')).toBe(true)
      const exit = await withTimeout(p.exited, 15_000, 'exit after SIGTERM')
      expect(exit).toEqual({ code: 0, signal: null })
      // The turn was handed over, not stopped: the next daemon adopts it and it completes.
      const again = await spawnDaemon({ dataDir: p.dataDir })
      const resumed = await openSse(`${again.url}/sessions/${s.id}/events`, {
        token: TOKEN,
        lastEventId: sse.lastEventId!,
      })
      const ended = await resumed.waitForEvent(
        turnEnded(turn.id),
        'turn.ended from the next daemon',
        60_000
      )
      expect(ended.status).toBe('completed')
      resumed.close()
      const history = (
        await createApi(again.url, TOKEN).get(`/sessions/${s.id}/history?limit=1000`)
      ).body.events
      expect(history.filter(turnEnded(turn.id))).toHaveLength(1)
      expect(history.map((e: { id: number }) => e.id)).toEqual(
        [...sse.events, ...resumed.events].map((e) => e.id)
      )
      again.child.kill('SIGTERM')
      await withTimeout(again.exited, 15_000, 'second daemon exit')
    }
  )

  it('with --cancel-on-exit, SIGTERM cancels running turns before exiting', async () => {
    const p = await spawnDaemon({ args: ['--cancel-on-exit'] })
    const api = createApi(p.url, TOKEN)
    const s = (await api.post('/sessions')).body
    const turn = (
      await api.post(`/sessions/${s.id}/turns`, { prompt: `long one ${UNTIL_CANCELLED}` })
    ).body.turn
    const sse = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
    await sse.waitForEvent((e) => e.kind === 'text.delta', 'a delta')
    p.child.kill('SIGTERM')
    const ended = await sse.waitForEvent(turnEnded(turn.id), 'turn.ended before the stream ends')
    expect(ended.status).toBe('cancelled')
    expect(await withTimeout(p.exited, 15_000, 'exit')).toEqual({ code: 0, signal: null })
  })

  it('a second signal exits at once', async () => {
    // A claude that ignores everything, with long grace periods, keeps the first shutdown waiting.
    const p = await spawnDaemon({
      args: ['--cancel-on-exit'],
      env: { AGENTMUX_CANCEL_GRACE_MS: '20000' },
    })
    const api = createApi(p.url, TOKEN)
    const s = (await api.post('/sessions')).body
    await api.post(`/sessions/${s.id}/turns`, { prompt: 'stubborn [hang] [ignore-signals]' })
    const sse = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
    await sse.waitForEvent((e) => e.kind === 'agent.init', 'claude to start')
    // A keep-alive connection opened before the signal stays usable while the daemon drains.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    expect((await rawRequest(agent, p.url, 'GET', '/sessions')).status).toBe(200)
    p.child.kill('SIGTERM')
    await waitUntil(() => p.stderr().includes('shutting down'), {
      label: 'the first shutdown to begin',
    })
    const refused = await rawRequest(agent, p.url, 'POST', '/sessions', '{}')
    expect(refused.status).toBe(503)
    expect(JSON.parse(refused.body).error.code).toBe('shutting_down')
    agent.destroy()
    p.child.kill('SIGTERM')
    const exit = await withTimeout(p.exited, 5000, 'exit after the second signal')
    expect(exit.code).toBe(1)
    // That claude ignores signals and outlives the daemon by design (no SIGKILL came): end it here.
    const db = inspectDb(p.dataDir)
    const pids = db.turnPids()
    db.close()
    expect(pids).toHaveLength(1)
    process.kill(pids[0]!, 'SIGKILL')
    await waitUntil(() => !isAlive(pids[0]!), { label: 'the stubborn claude to be gone' })
  })

  it('refuses to start on a bad configuration, with a clear message', async () => {
    const bad = await runMain({ AGENTMUX_PORT: 'eighty', AGENTMUX_DATA_DIR: '/tmp/agentmux-never' })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('bad configuration')
    expect(bad.stderr).toContain('port')
    const shortToken = await runMain({
      AGENTMUX_TOKEN: 'short',
      AGENTMUX_DATA_DIR: '/tmp/agentmux-never',
    })
    expect(shortToken.code).toBe(1)
    expect(shortToken.stderr).toContain('AGENTMUX_TOKEN: must be at least 32 characters')
    // 31 characters: the weakest token refused; 32 are enough to get past the check.
    const t31 = await runMain({ AGENTMUX_TOKEN: 'x'.repeat(31), AGENTMUX_PORT: 'eighty' })
    expect(t31.stderr).toContain('at least 32 characters')
    const t32 = await runMain({ AGENTMUX_TOKEN: 'x'.repeat(32), AGENTMUX_PORT: 'eighty' })
    expect(t32.code).toBe(1)
    expect(t32.stderr).not.toContain('at least 32 characters')
    const flag = await runMain({}, ['serve', '--no-such-flag'])
    expect(flag.code).toBe(1)
    expect(flag.stderr).toContain('no-such-flag')
    const inside = await runMain({
      AGENTMUX_DATA_DIR: '/tmp/agentmux-never',
      AGENTMUX_WORKSPACES_DIR: '/tmp/agentmux-never/ws',
    })
    expect(inside.code).toBe(1)
    expect(inside.stderr).toContain('AGENTMUX_WORKSPACES_DIR')
  })

  it('has no --token flag: it points to the environment or the token file', async () => {
    const r = await runMain({}, ['serve', '--token', 'x'.repeat(40)])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('--token is gone')
    expect(r.stderr).toContain('AGENTMUX_TOKEN')
    expect(r.stderr).toContain('token file')
  })

  it('prints help and the version, exiting 0, and the help lists every flag', async () => {
    const { version } = JSON.parse(
      readFileSync(resolve(MAIN, '../../../package.json'), 'utf8')
    ) as { version: string }
    expect(await runMain({}, ['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` })
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await runMain({}, args)
      expect(r.code, args.join(' ')).toBe(0)
      expect(r.stdout).toContain('usage: agentmux')
      for (const key of Object.keys(SETTINGS) as SettingKey[]) {
        expect(r.stdout).toContain(SETTINGS[key].envOnly ? envOf(key) : `--${flagOf(key)}`)
      }
    }
    const serveHelp = await runMain({}, ['serve', '--help'])
    expect(serveHelp.code).toBe(0)
    expect(serveHelp.stdout).toContain('usage: agentmux serve')
    expect(serveHelp.stdout).toContain('--turn-timeout-ms MS')
    expect(serveHelp.stdout).toContain('AGENTMUX_TURN_TIMEOUT_MS')
    expect(serveHelp.stdout).not.toContain('--token')
    const unknown = await runMain({}, ['frobnicate'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown command "frobnicate"')
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

function rawRequest(agent: Agent, base: string, method: string, path: string, body?: string) {
  return withTimeout(
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${base}${path}`,
        {
          agent,
          method,
          headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        },
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
