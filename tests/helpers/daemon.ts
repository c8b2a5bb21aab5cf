import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Config } from '../../src/settings.js'
import { startDaemon, type Daemon } from '../../src/daemon.js'
import { createLogger, type Logger } from '../../src/log.js'
import { createApi, type Api } from './api.js'
import { leakMark } from './leaks.js'
import { testDatabaseUrl } from './test-database.js'

const here = dirname(fileURLToPath(import.meta.url))
export const FAKE_CLAUDE = resolve(here, '../fixtures/fake-claude.mjs')
export const REAL_CLAUDE = resolve(here, '../../node_modules/.bin/claude')

export interface TestDaemon {
  daemon: Daemon
  url: string
  dataDir: string
  api: Api
  token: string
  logs: string[]
  stop(): Promise<void>
}

/** A daemon in this process on a real socket (port 0), with its own data dir. */
export async function startTestDaemon(
  opts: {
    claudeBin?: string
    env?: Record<string, string>
    config?: Partial<Config>
    token?: string | null
    rateLimit?: { max?: number; globalMax?: number }
  } = {}
): Promise<TestDaemon> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agentmux-test-'))
  const token = opts.token === undefined ? 'test-token-0123456789abcdef-0123456789' : opts.token
  const logs: string[] = []
  const log: Logger = createLogger({ level: 'debug', write: (l) => logs.push(l) })
  const home = join(dataDir, 'home')
  mkdirSync(home, { recursive: true })
  const config: Config = {
    host: '127.0.0.1',
    port: 0,
    dataDir,
    token,
    claudeBin: opts.claudeBin ?? FAKE_CLAUDE,
    allowedRoots: [dataDir],
    // Inside the temp dir for the tests' convenience (one dir to inspect and remove). The real
    // default keeps it out of the data dir; tests/security/data-dir.test.ts checks that layout.
    workspacesDir: join(dataDir, 'workspaces'),
    allowedHosts: [],
    turnTimeoutMs: 0,
    stallTimeoutMs: 0,
    cancelGraceMs: 300,
    approvalTimeoutMs: 30 * 60 * 1000,
    cancelOnExit: true,
    dbMaxMb: 0,
    retentionDays: 0,
    retentionSessions: 0,
    logLevel: 'debug',
    notifyUrls: [],
    notifySecret: null,
    ntfyUrl: null,
    publicUrl: null,
    vapidSubject: 'mailto:agentmux@localhost',
    notifyRetryMs: 10_000,
    notifyGiveUpMs: 24 * 60 * 60 * 1000,
    metricsPort: null,
    // A restart passes the first daemon's data dir: it finds that daemon's database again.
    databaseUrl: testDatabaseUrl(opts.config?.dataDir ?? dataDir),
    hostId: 'test-host',
    heartbeatMs: 5000,
    commandTimeoutMs: 15_000,
    ...opts.config,
  }
  const env = {
    ...leakMark(),
    PATH: process.env.PATH ?? '',
    HOME: home,
    FAKE_CLAUDE_STATE_DIR: join(dataDir, 'fake-claude-state'),
    ...opts.env,
  }
  const daemon = await startDaemon(config, { log, env, rateLimit: opts.rateLimit })
  let stopped = false
  return {
    daemon,
    url: daemon.url,
    dataDir,
    token: token ?? '',
    api: createApi(daemon.url, token ?? undefined),
    logs,
    async stop() {
      if (stopped) return
      stopped = true
      await daemon.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
