import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { removeAddress, writeAddress } from './address-file.js'
import { createTokenSource, ensurePrivateDir } from './auth/token-file.js'
import { claudeVersion, resolveClaudeBin } from './claude/binary.js'
import { openCore } from './daemon/core.js'
import { createWeb, listen } from './daemon/web.js'
import { startWork, type Work } from './daemon/work.js'
import { startMetricsServer } from './http/metrics-server.js'
import type { Logger } from './log.js'
import { packageRoot } from './paths.js'
import type { Config } from './settings.js'

export interface DaemonOptions {
  log: Logger
  /** The environment claude runs with (the daemon's, minus its own secrets). */
  env: Record<string, string | undefined>
  /** Failed credentials allowed per minute, per client and in total (tests that count 401s raise them). */
  rateLimit?: { max?: number; globalMax?: number }
}

export interface Daemon {
  readonly url: string
  readonly port: number
  readonly claudeVersion: string
  /** The URL that logs a browser in: the token rides in the fragment, which is never sent. */
  loginUrl(): string
  /** Live counts, for tests and benchmarks. */
  stats(): { sseClients: number; notify: { cursor: number; pending: number } }
  /** The routes the app serves (method and Hono path), for the OpenAPI check. */
  routes(): { method: string; path: string }[]
  /** The separate metrics port (AGENTMUX_METRICS_PORT), or null. */
  readonly metricsPort: number | null
  /** Runs retention now (it also runs at start and every hour). */
  runRetention(): Promise<{ sessions: number; events: number }>
  stop(): Promise<void>
}

const SHUTDOWN_TURN_WAIT_MS = 8000

/** Keys claude must never see: the daemon's own secrets and settings. */
export function childEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && !k.startsWith('AGENTMUX_')) out[k] = v
  }
  return out
}

/**
 * Wires every module together and starts listening, in phases: the data dir and token, the core
 * (storage, log, hosts, notifications), the work (turns, approvals, what an earlier daemon left),
 * then the HTTP face. With src/daemon/, the only place that sees all of them.
 */
export async function startDaemon(config: Config, opts: DaemonOptions): Promise<Daemon> {
  const { log } = opts
  const root = packageRoot()
  const version = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
  ).version
  const { tokens, spoolDir } = prepareDataDir(config)
  const claudeBin = resolveClaudeBin(config.claudeBin, opts.env.PATH)
  if (!claudeBin)
    throw new Error(
      'no claude binary: install @anthropic-ai/claude-code or set AGENTMUX_CLAUDE_BIN'
    )
  // Runs while the database opens; awaited before listening.
  const claudeChecked = claudeVersion(claudeBin)
  claudeChecked.catch(() => {})

  const links = { baseUrl: config.publicUrl ?? '', draining: false }
  const core = openCore(config, { log, root, tokens, baseUrl: () => links.baseUrl })
  const work = await startWork(config, core, {
    log,
    claudeBin,
    childEnv: childEnvironment(opts.env),
    spoolDir,
  })
  const isDraining = () => links.draining
  const claude = await claudeChecked
  const { app, server } = createWeb(config, core, work, {
    log,
    root,
    tokens,
    version,
    claudeVersion: claude,
    isDraining,
    rateLimit: opts.rateLimit,
  })
  const { port, url } = await listen(server, config)
  const metricsServer =
    config.metricsPort === null
      ? null
      : await startMetricsServer(core.metrics, config.host, config.metricsPort)
  // After listening: the first retention pass must not hold up the daemon's first answer.
  work.maintenance.start()
  work.disk.start()
  links.baseUrl ||= url
  // After listening, so notices link to a URL that answers; it also sends what a killed daemon left.
  core.notifier.start()
  core.cluster.start(url, app, () => tokens.current())
  // How `agentmux ls` and friends find this daemon without --url.
  writeAddress(config.dataDir, url)

  async function stop(): Promise<void> {
    // Still listening while draining: writes get a clear 503, streams a shutdown frame.
    links.draining = true
    await stopTurns(config, work, log)
    // Every stream gets `event: shutdown` and ends, so clients reconnect to the next daemon.
    await core.registry.shutdown()
    server.close()
    server.closeAllConnections()
    core.registry.close()
    metricsServer?.close()
    work.maintenance.stop()
    work.disk.stop()
    await core.cluster.stop()
    work.broker.stop()
    await core.notifier.stop()
    core.feed.close()
    core.store.checkpoint()
    core.store.close()
    removeAddress(config.dataDir, url)
  }

  let stopping: Promise<void> | null = null
  return {
    url,
    port,
    claudeVersion: claude,
    loginUrl: () => `${url}/#token=${tokens.current()}`,
    stats: () => ({ sseClients: core.registry.size, notify: core.notifier.state() }),
    routes: () =>
      app.routes.filter((r) => r.method !== 'ALL').map((r) => ({ method: r.method, path: r.path })),
    metricsPort: metricsServer?.port ?? null,
    runRetention: work.maintenance.runRetention,
    stop: () => (stopping ??= stop()),
  }
}

/** The data dir (0700) and its token (0600) before anything else can be reached; the spool and workspaces. */
function prepareDataDir(config: Config) {
  ensurePrivateDir(config.dataDir)
  const tokens = createTokenSource({ dataDir: config.dataDir, envToken: config.token })
  const spoolDir = join(config.dataDir, 'spool')
  mkdirSync(spoolDir, { recursive: true, mode: 0o700 })
  // Outside the data dir, so that no relative path from a default workspace reaches the token.
  mkdirSync(config.workspacesDir, { recursive: true, mode: 0o700 })
  return { tokens, spoolDir }
}

/** Running turns end (AGENTMUX_CANCEL_ON_EXIT) or are left to the next daemon, which adopts them. */
async function stopTurns(config: Config, work: Work, log: Logger): Promise<void> {
  if (!config.cancelOnExit) {
    await work.supervisor.detachAll()
    return
  }
  const stopped = await work.supervisor.stopAll('shutdown', SHUTDOWN_TURN_WAIT_MS)
  if (!stopped) log.warn('some turns did not stop in time')
  // Let attached streams send the turns' last events before the shutdown frame.
  await new Promise((resolve) => setImmediate(resolve))
}
