import { mkdirSync, readFileSync, statfsSync } from 'node:fs'
import { removeAddress, writeAddress } from './address-file.js'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createPermissionBroker } from './approvals/broker.js'
import { createRateLimiter } from './auth/rate-limit.js'
import { createTokenSource, ensurePrivateDir } from './auth/token-file.js'
import { claudeVersion, resolveClaudeBin } from './claude/binary.js'
import type { Config } from './settings.js'
import { createEventLog } from './events/event-log.js'
import { createHub } from './events/hub.js'
import { createApp } from './http/app.js'
import { eventRoutes } from './http/routes/events.js'
import { forwardingOf } from './http/forward.js'
import { hostRoutes } from './http/routes/hosts.js'
import { fsRoutes } from './http/routes/fs.js'
import { permissionRoutes } from './http/routes/permissions.js'
import { pushRoutes } from './http/routes/push.js'
import { exportRoutes } from './http/routes/export.js'
import { metaRoutes } from './http/routes/meta.js'
import { API_ROUTES } from './http/api-routes.js'
import { startMetricsServer } from './http/metrics-server.js'
import { sessionRoutes } from './http/routes/sessions.js'
import { staticRoutes } from './http/routes/static.js'
import { hostnameOf } from './http/security.js'
import { createConnectionGuard, createHttpServer } from './http/server.js'
import { createSseRegistry } from './http/sse.js'
import { newRuleId, newSessionId, newTurnId } from './ids.js'
import type { Logger } from './log.js'
import { createMaintenance } from './maintenance.js'
import { NOTIFY_KINDS } from './notify/messages.js'
import { createNotifier } from './notify/notifier.js'
import { createPresence } from './notify/presence.js'
import { createPushSender } from './notify/senders.js'
import { loadOrCreateVapidKeys, type VapidKeys } from './notify/vapid.js'
import { createMetrics } from './metrics/metrics.js'
import { observeHub } from './metrics/observe.js'
import { packageRoot } from './paths.js'
import { createSessionFeed } from './sessions/feed.js'
import { createSessionService } from './sessions/service.js'
import { openStorage } from './storage/open.js'
import { isStorageFull } from './storage/errors.js'
import { createRetention } from './storage/retention.js'
import { createOutbox } from './storage/outbox.js'
import { createStore } from './storage/store.js'
import { createDiskWatch } from './turns/disk-watch.js'
import { createSupervisor } from './turns/supervisor.js'
import { createCluster } from './hosts/cluster.js'

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

/** Wires every module together and starts listening. The only place that sees all of them. */
export async function startDaemon(config: Config, opts: DaemonOptions): Promise<Daemon> {
  const { log } = opts
  const root = packageRoot()
  const version = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
  ).version
  // The token is created (0600, in a 0700 data dir) before anything else can be reached.
  ensurePrivateDir(config.dataDir)
  const tokens = createTokenSource({ dataDir: config.dataDir, envToken: config.token })
  const spoolDir = join(config.dataDir, 'spool')
  // Outside the data dir, so that no relative path from a default workspace reaches the token.
  const workspacesDir = config.workspacesDir
  mkdirSync(spoolDir, { recursive: true, mode: 0o700 })
  mkdirSync(workspacesDir, { recursive: true, mode: 0o700 })

  const claudeBin = resolveClaudeBin(config.claudeBin, opts.env.PATH)
  if (!claudeBin)
    throw new Error(
      'no claude binary: install @anthropic-ai/claude-code or set AGENTMUX_CLAUDE_BIN'
    )
  // Runs while the database opens; awaited before listening.
  const claudeChecked = claudeVersion(claudeBin)
  claudeChecked.catch(() => {})

  const { db, migrations } = openStorage({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    migrationsDir: join(root, 'migrations'),
    maxMb: config.dbMaxMb,
  })
  if (migrations.applied.length > 0)
    log.info('applied migrations', { names: migrations.applied.join(',') })
  const store = createStore(db, { host: config.hostId, hostAliveMs: config.heartbeatMs * 3 })
  // A large ring keeps a client that follows a fast burst in memory instead of in SQLite reads.
  const hub = createHub({ ringEvents: 16_384, ringBytes: 8 * 1024 * 1024 })
  const feed = createSessionFeed({ getSession: store.getSession, log })
  // Read at scrape time only, when everything below exists.
  const metrics = createMetrics({
    attachedClients: () => registry.size,
    databaseBytes: () => db.sizeBytes(),
    sessions: () => service.list(),
  })
  // Before anything reads whose sessions are whose (on SQLite it claims every session).
  const cluster = createCluster({
    db,
    databaseUrl: config.databaseUrl,
    hostId: config.hostId,
    heartbeatMs: config.heartbeatMs,
    commandTimeoutMs: config.commandTimeoutMs,
    log,
    changed: (id) => {
      hub.wake(id)
      feed.changed(id)
    },
    deleted: (id) => {
      hub.closeSession(id)
      feed.deleted(id)
    },
  })
  const outbox = createOutbox(db, NOTIFY_KINDS, config.hostId)
  const presence = createPresence()
  // Every daemon of a shared database signs pushes with one key pair: a browser subscribed through
  // one daemon gets pushes from whichever host runs the session.
  const vapid = JSON.parse(
    cluster.agreed('vapid', JSON.stringify(loadOrCreateVapidKeys(config.dataDir)))
  ) as VapidKeys
  let baseUrl = config.publicUrl ?? ''
  const notifier = createNotifier({
    outbox,
    log,
    presence,
    webhookUrls: config.notifyUrls,
    webhookSecret: config.notifySecret,
    ntfyUrl: config.ntfyUrl,
    push: createPushSender({ keys: vapid, subject: config.vapidSubject }),
    baseUrl: () => baseUrl,
    retryMs: config.notifyRetryMs,
    giveUpMs: config.notifyGiveUpMs,
    onAttempt: (result) => metrics.notification(result),
  })
  const eventLog = createEventLog({
    store,
    hub: observeHub(hub, metrics.observe),
    onSessionChanged: (id) => {
      feed.changed(id)
      notifier.wake()
    },
  })
  const broker = createPermissionBroker({
    store,
    eventLog,
    log,
    timeoutMs: config.approvalTimeoutMs,
    newRuleId,
  })
  const supervisor = createSupervisor({
    store,
    eventLog,
    log,
    newTurnId,
    cwd: { allowedRoots: config.allowedRoots, dataDir: config.dataDir },
    broker,
    runner: {
      claudeBin,
      childEnv: childEnvironment(opts.env),
      spoolDir,
      turnTimeoutMs: config.turnTimeoutMs,
      stallTimeoutMs: config.stallTimeoutMs,
      interruptGraceMs: config.cancelGraceMs,
      signalGraceMs: config.cancelGraceMs,
      exitGraceMs: Math.max(5000, config.cancelGraceMs),
      pollMs: 500,
      approvalTimeoutMs: config.approvalTimeoutMs,
    },
  })
  const adopted = supervisor.adoptRunning()
  if (adopted > 0) log.info('adopted turns from an earlier daemon', { count: adopted })
  // Tool approvals left open by an earlier daemon time out on their stored schedule.
  broker.restore()
  await supervisor.sweepSpool()
  // After adoption, so a session whose turn is still running keeps its queue waiting behind it.
  const resumed = supervisor.resumeQueues()
  if (resumed > 0) log.info('started queued turns left by an earlier daemon', { count: resumed })

  const service = createSessionService({
    store,
    supervisor,
    eventLog,
    hub,
    feed,
    newSessionId,
    workspacesDir,
    allowedRoots: config.allowedRoots,
    dataDir: config.dataDir,
    hostId: config.hostId,
  })
  const maintenance = createMaintenance({
    store,
    retention: createRetention(db, config.hostId),
    service,
    log,
    lastWriteAt: eventLog.lastWriteAt,
    config: { retentionDays: config.retentionDays, retentionSessions: config.retentionSessions },
  })
  const disk = createDiskWatch({
    freeBytes: () => {
      const fs = statfsSync(spoolDir)
      return fs.bavail * fs.bsize
    },
    stopTurns: () => supervisor.cancelAll('storage'),
    log,
  })
  const claude = await claudeChecked
  const registry = createSseRegistry({ tokens })
  let draining = false
  const isDraining = () => draining
  const limiter = createRateLimiter(opts.rateLimit)
  const connections = createConnectionGuard()
  const explicitHosts = new Set(config.allowedHosts.map(hostnameOf))
  const allowedHosts = new Set([
    hostnameOf(config.host),
    'localhost',
    '127.0.0.1',
    '::1',
    ...explicitHosts,
  ])
  const app = createApp({
    log,
    isDraining,
    isStorageFull,
    onStorageFull: () => disk.check(),
    health: () => ({ ok: true, version, claudeVersion: claude, draining }),
    security: { tokens, limiter, allowedHosts, explicitHosts },
    openRoutes: [staticRoutes(join(root, 'web', 'dist'))],
    onAuthenticated: (c) => {
      if (c.env?.incoming?.socket) connections.authenticated(c.env.incoming.socket)
    },
    beforeRoutes: forwardingOf(cluster, config.hostId),
    routes: [
      hostRoutes(cluster.heartbeat),
      sessionRoutes(service),
      eventRoutes({ store, eventLog, feed, registry, service, isDraining, presence }),
      permissionRoutes({ broker, store, feed }),
      fsRoutes({ allowedRoots: config.allowedRoots }),
      pushRoutes({ outbox, publicKey: vapid.publicKey }),
      exportRoutes({ store, service }),
      metaRoutes({ routes: API_ROUTES, version, metrics }),
    ],
  })

  const server = createHttpServer(app.fetch, connections)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const metricsServer =
    config.metricsPort === null
      ? null
      : await startMetricsServer(metrics, config.host, config.metricsPort)
  // After listening: the first retention pass must not hold up the daemon's first answer.
  maintenance.start()
  disk.start()
  const port = (server.address() as AddressInfo).port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `http://${host}:${port}`
  baseUrl ||= url
  // After listening, so notices link to a URL that answers; it also sends what a killed daemon left.
  notifier.start()
  cluster.start(url, app, () => tokens.current())
  // How `agentmux ls` and friends find this daemon without --url.
  writeAddress(config.dataDir, url)

  let stopping: Promise<void> | null = null
  async function stop(): Promise<void> {
    // Still listening while draining: writes get a clear 503, streams a shutdown frame.
    draining = true
    if (config.cancelOnExit) {
      const stopped = await supervisor.stopAll('shutdown', SHUTDOWN_TURN_WAIT_MS)
      if (!stopped) log.warn('some turns did not stop in time')
      // Let attached streams send the turns' last events before the shutdown frame.
      await new Promise((resolve) => setImmediate(resolve))
    } else {
      // Running turns keep running; the next daemon adopts them from their spool files.
      await supervisor.detachAll()
    }
    // Every stream gets `event: shutdown` and ends, so clients reconnect to the next daemon.
    await registry.shutdown()
    server.close()
    server.closeAllConnections()
    registry.close()
    metricsServer?.close()
    maintenance.stop()
    disk.stop()
    await cluster.stop()
    broker.stop()
    await notifier.stop()
    feed.close()
    store.checkpoint()
    store.close()
    removeAddress(config.dataDir, url)
  }

  return {
    url,
    port,
    claudeVersion: claude,
    loginUrl: () => `${url}/#token=${tokens.current()}`,
    stats: () => ({ sseClients: registry.size, notify: notifier.state() }),
    routes: () =>
      app.routes.filter((r) => r.method !== 'ALL').map((r) => ({ method: r.method, path: r.path })),
    metricsPort: metricsServer?.port ?? null,
    runRetention: maintenance.runRetention,
    stop: () => (stopping ??= stop()),
  }
}
