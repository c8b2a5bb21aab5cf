import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createRateLimiter } from '../auth/rate-limit.js'
import type { TokenSource } from '../auth/token-file.js'
import { API_ROUTES } from '../http/api-routes.js'
import { createApp } from '../http/app.js'
import { forwardingOf } from '../http/forward.js'
import { eventRoutes } from '../http/routes/events.js'
import { exportRoutes } from '../http/routes/export.js'
import { fsRoutes } from '../http/routes/fs.js'
import { hostRoutes } from '../http/routes/hosts.js'
import { metaRoutes } from '../http/routes/meta.js'
import { permissionRoutes } from '../http/routes/permissions.js'
import { pushRoutes } from '../http/routes/push.js'
import { sessionRoutes } from '../http/routes/sessions.js'
import { staticRoutes } from '../http/routes/static.js'
import { hostnameOf } from '../http/security.js'
import { createConnectionGuard, createHttpServer } from '../http/server.js'
import type { Logger } from '../log.js'
import type { Config } from '../settings.js'
import { isStorageFull } from '../storage/errors.js'
import type { Core } from './core.js'
import type { Work } from './work.js'

export interface WebDeps {
  log: Logger
  root: string
  tokens: TokenSource
  version: string
  claudeVersion: string
  isDraining: () => boolean
  rateLimit?: { max?: number; globalMax?: number }
}

/** The HTTP face: every route behind the security checks, on a server that is not listening yet. */
export function createWeb(config: Config, core: Core, work: Work, deps: WebDeps) {
  const { store, eventLog, feed, registry, outbox, presence, cluster } = core
  const { service, broker } = work
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
    log: deps.log,
    isDraining: deps.isDraining,
    isStorageFull,
    onStorageFull: () => work.disk.check(),
    health: () => ({
      ok: true,
      version: deps.version,
      claudeVersion: deps.claudeVersion,
      draining: deps.isDraining(),
    }),
    security: {
      tokens: deps.tokens,
      limiter: createRateLimiter(deps.rateLimit),
      allowedHosts,
      explicitHosts,
    },
    openRoutes: [staticRoutes(join(deps.root, 'web', 'dist'))],
    onAuthenticated: (c) => {
      if (c.env?.incoming?.socket) connections.authenticated(c.env.incoming.socket)
    },
    beforeRoutes: forwardingOf(cluster, config.hostId),
    routes: [
      hostRoutes(cluster.heartbeat),
      sessionRoutes(service),
      eventRoutes({
        store,
        eventLog,
        feed,
        registry,
        service,
        isDraining: deps.isDraining,
        presence,
      }),
      permissionRoutes({ broker, store, feed }),
      fsRoutes({ allowedRoots: config.allowedRoots }),
      pushRoutes({ outbox, publicKey: core.vapid.publicKey }),
      exportRoutes({ store, service }),
      metaRoutes({ routes: API_ROUTES, version: deps.version, metrics: core.metrics }),
    ],
  })
  return { app, server: createHttpServer(app.fetch, connections) }
}

/** Listens on the configured address; the URL clients use, with an IPv6 host in brackets. */
export async function listen(
  server: Server,
  config: Pick<Config, 'host' | 'port'>
): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  return { port, url: `http://${host}:${port}` }
}
