import { join } from 'node:path'
import type { TokenSource } from '../auth/token-file.js'
import { createEventLog } from '../events/event-log.js'
import { createHub } from '../events/hub.js'
import { createSseRegistry } from '../http/sse.js'
import { createCluster } from '../hosts/cluster.js'
import type { Logger } from '../log.js'
import { createMetrics } from '../metrics/metrics.js'
import { observeHub } from '../metrics/observe.js'
import { NOTIFY_KINDS } from '../notify/messages.js'
import { createNotifier } from '../notify/notifier.js'
import { createPresence } from '../notify/presence.js'
import { createPushSender } from '../notify/senders.js'
import { loadOrCreateVapidKeys, type VapidKeys } from '../notify/vapid.js'
import { createSessionFeed } from '../sessions/feed.js'
import type { Config } from '../settings.js'
import { openStorage } from '../storage/open.js'
import { createOutbox } from '../storage/outbox.js'
import { createStore } from '../storage/store.js'

export type Core = ReturnType<typeof openCore>

/**
 * The daemon's state and how it travels: the database and its store, the replay log with its live
 * hub, the streams attached to it, the hosts sharing the database, and the notifications fed from
 * the log. Nothing here runs a turn or answers a request.
 */
export function openCore(
  config: Config,
  deps: { log: Logger; root: string; tokens: TokenSource; baseUrl: () => string }
) {
  const { log } = deps
  const { db, migrations } = openStorage({
    dataDir: config.dataDir,
    databaseUrl: config.databaseUrl,
    migrationsDir: join(deps.root, 'migrations'),
    maxMb: config.dbMaxMb,
  })
  if (migrations.applied.length > 0)
    log.info('applied migrations', { names: migrations.applied.join(',') })
  const store = createStore(db, { host: config.hostId, hostAliveMs: config.heartbeatMs * 3 })
  // A large ring keeps a client that follows a fast burst in memory instead of in SQLite reads.
  const hub = createHub({ ringEvents: 16_384, ringBytes: 8 * 1024 * 1024 })
  const feed = createSessionFeed({ getSession: store.getSession, log })
  const registry = createSseRegistry({ tokens: deps.tokens })
  // Read at scrape time only.
  const metrics = createMetrics({
    attachedClients: () => registry.size,
    databaseBytes: () => db.sizeBytes(),
    sessions: () => store.listSessions(),
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
  const notifier = createNotifier({
    outbox,
    log,
    presence,
    webhookUrls: config.notifyUrls,
    webhookSecret: config.notifySecret,
    ntfyUrl: config.ntfyUrl,
    push: createPushSender({ keys: vapid, subject: config.vapidSubject }),
    baseUrl: deps.baseUrl,
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
  return {
    db,
    store,
    hub,
    feed,
    registry,
    metrics,
    cluster,
    outbox,
    presence,
    vapid,
    notifier,
    eventLog,
  }
}
