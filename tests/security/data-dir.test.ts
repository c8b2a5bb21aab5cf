/**
 * Issue 10.2: claude's tools must not reach the daemon's token by default. The daemon runs with the
 * default layout of a real install (data dir, workspaces and roots derived from $HOME by parseConfig),
 * and the attacks are the ones the red team used: `cwd: $HOME`, and `../../token` from a default
 * workspace.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { tokenPath } from '../../src/auth/token-file.js'
import { parseConfig } from '../../src/config.js'
import type { Config } from '../../src/settings.js'
import { isInsideRoots } from '../../src/sessions/cwd.js'
import { createApi, type Api } from '../helpers/api.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { turnEnded, openSse } from '../helpers/sse.js'

const READ_TOKEN =
  '[tool:cat ../token ../../token ../../../token ../../../../token 2>/dev/null; echo done-reading]'

let base: string
const daemons: TestDaemon[] = []
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()))
  if (base) rmSync(base, { recursive: true, force: true })
})

/** A daemon on the given layout, with a generated token file (no AGENTMUX_TOKEN), as installed. */
async function start(layout: Pick<Config, 'dataDir' | 'workspacesDir' | 'allowedRoots'>) {
  const d = await startTestDaemon({ token: null, config: layout })
  daemons.push(d)
  const token = readFileSync(tokenPath(layout.dataDir), 'utf8').trim()
  return { d, token, api: createApi(d.url, token) }
}

async function toolOutput(
  url: string,
  api: Api,
  token: string,
  sessionId: string,
  prompt: string
): Promise<string> {
  const turn = (await api.post(`/sessions/${sessionId}/turns`, { prompt })).body.turn
  const sse = await openSse(`${url}/sessions/${sessionId}/events`, { token })
  await sse.waitForEvent(turnEnded(turn.id), 'the turn to end')
  sse.close()
  return sse.events
    .filter((e) => e.kind === 'tool.result')
    .map((e) => String(e.text))
    .join('\n')
}

describe("the token is out of claude's default reach", () => {
  let home: string
  let config: Config
  let stack: Awaited<ReturnType<typeof start>>
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'agentmux-datadir-'))
    home = join(base, 'home')
    mkdirSync(join(home, 'project'), { recursive: true })
    config = parseConfig({}, [], home)
    stack = await start({
      dataDir: config.dataDir,
      workspacesDir: config.workspacesDir,
      allowedRoots: config.allowedRoots,
    })
  })

  it('by default: roots are $HOME only, and the workspaces are outside the data dir', () => {
    expect(config.dataDir).toBe(join(home, '.local', 'share', 'agentmux'))
    expect(config.workspacesDir).toBe(join(home, '.local', 'state', 'agentmux', 'workspaces'))
    expect(config.allowedRoots).toEqual([home])
    expect(isInsideRoots(config.workspacesDir, [config.dataDir])).toBe(false)
  })

  it('refuses (400) a cwd that is the data dir, one of its ancestors, or inside it', async () => {
    const { dataDir } = config
    for (const cwd of [
      home,
      join(home, '.local'),
      join(home, '.local', 'share'),
      dataDir,
      join(dataDir, 'spool'),
      `${home}/project/../.local/share/agentmux`,
    ]) {
      const r = await stack.api.post('/sessions', { cwd })
      expect(r.status, cwd).toBe(400)
      expect(r.body.error.code, cwd).toBe('cwd_not_allowed')
      expect(r.body.error.message, cwd).toMatch(/data dir/)
    }
    expect((await stack.api.post('/sessions', { cwd: join(home, 'project') })).status).toBe(201)
  })

  it('a default workspace does not reach the token by relative path', async () => {
    const s = (await stack.api.post('/sessions')).body
    expect(isInsideRoots(s.cwd, [config.workspacesDir])).toBe(true)
    const out = await toolOutput(stack.d.url, stack.api, stack.token, s.id, READ_TOKEN)
    expect(out).toContain('done-reading')
    expect(out).not.toContain(stack.token)
  })

  it('the same attack reads the token in the old layout (workspaces inside the data dir)', async () => {
    // The control: proves the attack above is a real one, so its failure to read means something.
    const dataDir = join(base, 'old', 'data')
    const old = await start({
      dataDir,
      workspacesDir: join(dataDir, 'workspaces'),
      allowedRoots: [base],
    })
    const s = (await old.api.post('/sessions')).body
    const out = await toolOutput(old.d.url, old.api, old.token, s.id, READ_TOKEN)
    expect(out).toContain(old.token)
  })
})

describe('the workspaces setting', () => {
  it('is refused inside the data dir or above it', () => {
    const env = { AGENTMUX_DATA_DIR: '/srv/agentmux/data' }
    expect(() =>
      parseConfig({ ...env, AGENTMUX_WORKSPACES_DIR: '/srv/agentmux/data/ws' }, [], '/home/u')
    ).toThrow(/outside the data dir/)
    expect(() => parseConfig({ ...env, AGENTMUX_WORKSPACES_DIR: '/srv' }, [], '/home/u')).toThrow(
      /not above it/
    )
    expect(
      parseConfig({ ...env, AGENTMUX_WORKSPACES_DIR: '/srv/agentmux/ws' }, [], '/home/u')
        .workspacesDir
    ).toBe('/srv/agentmux/ws')
    expect(parseConfig({ XDG_STATE_HOME: '/x/state' }, [], '/home/u').workspacesDir).toBe(
      '/x/state/agentmux/workspaces'
    )
  })
})
