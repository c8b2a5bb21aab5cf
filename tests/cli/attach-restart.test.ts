import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi } from '../helpers/api.js'
import { ndjson, startCli, type CliProcess } from '../helpers/cli.js'
import { PROCESS_TOKEN, spawnDaemon, type DaemonProcess } from '../helpers/process-daemon.js'
import { realClaudeDaemonEnv } from '../helpers/real-claude.js'
import { withTimeout } from '../helpers/wait.js'
import { startMockAnthropic, type MockAnthropic } from '../mock-anthropic/server.js'

const TOKEN = PROCESS_TOKEN
let mock: MockAnthropic
const cleanup: (() => Promise<void> | void)[] = []
beforeAll(async () => {
  mock = await startMockAnthropic()
})
afterAll(async () => {
  for (const c of cleanup.reverse()) await c()
  await mock?.close()
})

const realDaemon = (dataDir: string) =>
  spawnDaemon({
    dataDir,
    env: realClaudeDaemonEnv(mock.url),
  })

async function stopDaemon(p: DaemonProcess, signal: NodeJS.Signals) {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal)
  await withTimeout(p.exited, 20_000, 'the daemon to exit')
}

async function allEvents(url: string, sessionId: string) {
  const api = createApi(url, TOKEN)
  const r = await api.get(`/sessions/${sessionId}/history?limit=1000`)
  expect(r.body.hasMore).toBe(false)
  return r.body.events as { id: number; kind: string; turnId: string }[]
}

describe('agentmux attach across a daemon kill -9', () => {
  it(
    'reconnects through the restart (new port, found in the data dir) with no gap and no duplicate',
    { timeout: 180_000 },
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'agentmux-cli-kill9-'))
      cleanup.push(() => rmSync(dataDir, { recursive: true, force: true }))
      let daemon = await realDaemon(dataDir)
      cleanup.push(() => stopDaemon(daemon, 'SIGTERM'))
      const api = createApi(daemon.url, TOKEN)
      const s = (await api.post('/sessions', {})).body
      // A first turn, so the attach below must start at the last turn, not the first.
      await api.post(`/sessions/${s.id}/turns`, { prompt: 'the first turn' })
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: '/nonexistent',
        AGENTMUX_DATA_DIR: dataDir,
        AGENTMUX_TOKEN: TOKEN,
      }
      let waitFirst: CliProcess = startCli(['wait', s.id, '--timeout', '60'], env, '')
      expect((await withTimeout(waitFirst.exited, 70_000, 'the first turn')).code).toBe(0)

      // 20 s: the kill lands mid-turn, also on a loaded machine (a turn over before it would make
      // this test pass without a reconnect mid-turn).
      const turn = (
        await api.post(`/sessions/${s.id}/turns`, { prompt: 'a long story [slow:20000]' })
      ).body.turn
      const attach = startCli(['attach', s.id, '--json'], env)
      cleanup.push(() => attach.kill())
      await attach.waitForOutput(
        (o) => (o.match(/"text\.delta"/g) ?? []).length >= 3,
        'a few deltas before the kill',
        60_000
      )

      daemon.child.kill('SIGKILL')
      await withTimeout(daemon.exited, 10_000, 'the daemon to die')
      daemon = await realDaemon(dataDir)
      await attach.waitForOutput(
        (o) => o.includes('"turn.ended"'),
        'the turn end after the restart',
        60_000
      )

      const log = await allEvents(daemon.url, s.id)
      const lastStart = log.findIndex((e) => e.kind === 'turn.started' && e.turnId === turn.id)
      expect(lastStart).toBeGreaterThan(0)
      const seen = ndjson(attach.stdout())
      // Exactly the log from the last turn's start: nothing missed, nothing twice, nothing earlier.
      expect(seen).toEqual(log.slice(lastStart))
      expect(attach.stderr()).not.toContain('Error')

      // Still attached: the next turn arrives on the same client.
      await createApi(daemon.url, TOKEN).post(`/sessions/${s.id}/turns`, {
        prompt: 'after the restart',
      })
      await attach.waitForOutput(
        (o) => (o.match(/"turn\.ended"/g) ?? []).length === 2,
        'the next turn',
        60_000
      )
      expect(ndjson(attach.stdout())).toEqual((await allEvents(daemon.url, s.id)).slice(lastStart))
      attach.kill()
      waitFirst = startCli(['wait', s.id, '--timeout', '60'], env, '')
      expect((await withTimeout(waitFirst.exited, 70_000, 'wait')).code).toBe(0)
    }
  )
})
