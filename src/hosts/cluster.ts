import type { Logger } from '../log.js'
import type { Database } from '../storage/sql.js'
import { createCommandQueries } from '../storage/commands.js'
import { createHostQueries } from '../storage/hosts.js'
import { listenPostgres, type Notifications } from '../storage/pg/listen.js'
import { createCommandBus, type CommandBus, type ForwardedRequest } from './commands.js'
import { createHeartbeat, type Heartbeat } from './heartbeat.js'
import { watchRemoteSessions, type RemoteWatch } from './remote-sessions.js'

/** Marks a request that came through the command table: it is never forwarded again. */
export const FORWARDED_HEADER = 'x-agentmux-forwarded'

export interface Cluster {
  heartbeat: Heartbeat
  /** The command table's sender (PostgreSQL only: on SQLite every session is this daemon's). */
  bus: CommandBus | null
  ownerOf(sessionId: string): string | null
  /**
   * A value all daemons of a shared database use (the first one's), e.g. the Web Push key pair.
   * On SQLite, `proposed` itself: a single daemon keeps its own (its file may be replaced).
   */
  agreed(name: string, proposed: string): string
  /** After listening: heartbeats, and (PostgreSQL) the command claimer and the remote watch. */
  start(
    url: string,
    app: { fetch(r: Request): Response | Promise<Response> },
    token: () => string
  ): void
  stop(): Promise<void>
}

/**
 * The daemons sharing one database. On SQLite there is one: it claims every session at start and
 * only keeps a heartbeat (GET /hosts lists it). On PostgreSQL, writes for another host's sessions
 * travel through the command table and other hosts' changes wake this daemon's readers.
 */
export function createCluster(deps: {
  db: Database
  databaseUrl: string | null
  hostId: string
  heartbeatMs: number
  commandTimeoutMs: number
  log: Logger
  /** A session changed (here or elsewhere): its readers and the lists should look again. */
  changed(sessionId: string): void
  deleted(sessionId: string): void
}): Cluster {
  const { db, hostId, log } = deps
  const hosts = createHostQueries(db)
  if (db.kind === 'sqlite') hosts.claimAll(hostId)
  const heartbeat = createHeartbeat({
    hostId,
    hosts,
    everyMs: deps.heartbeatMs,
    aliveMs: deps.heartbeatMs * 3,
    log,
    onSessionChanged: deps.changed,
  })
  let app: { fetch(r: Request): Response | Promise<Response> } | null = null
  let token = () => ''
  const shared = deps.databaseUrl ? sharedParts(deps.databaseUrl) : null

  function sharedParts(url: string) {
    const notifications: Notifications = listenPostgres(url, (err) =>
      log.warn('database notifications', { error: err.message })
    )
    const bus: CommandBus = createCommandBus({
      hostId,
      queries: createCommandQueries(db),
      notifications,
      execute: (r) => executeHere(r),
      timeoutMs: deps.commandTimeoutMs,
      pollMs: 1000,
      log,
    })
    const watch: RemoteWatch = watchRemoteSessions({
      hostId,
      notifications,
      othersState: () => hosts.othersState(hostId),
      pollMs: 2000,
      changed: deps.changed,
      deleted: deps.deleted,
    })
    return { notifications, bus, watch }
  }

  /** A forwarded request, through this daemon's own app, as if it had come in here. */
  async function executeHere(r: ForwardedRequest) {
    if (!app) throw new Error('the daemon is not listening yet')
    const headers: Record<string, string> = {
      // A Request built here has no Host of its own; the host guard wants one it knows.
      host: 'localhost',
      authorization: `Bearer ${token()}`,
      [FORWARDED_HEADER]: '1',
    }
    if (r.contentType) headers['content-type'] = r.contentType
    const res = await app.fetch(
      new Request(`http://localhost${r.path}`, { method: r.method, headers, body: r.body })
    )
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      body: await res.text(),
    }
  }

  return {
    heartbeat,
    bus: shared?.bus ?? null,
    ownerOf: hosts.ownerOf,
    agreed: (name, proposed) => (shared ? hosts.agreedSetting(name, proposed) : proposed),
    start(url, a, t) {
      app = a
      token = t
      heartbeat.start(url)
      shared?.bus.start()
      shared?.watch.start()
    },
    async stop() {
      heartbeat.stop()
      shared?.watch.stop()
      await shared?.bus.stop()
      await shared?.notifications.close()
    },
  }
}
