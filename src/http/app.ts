import { Hono } from 'hono'
import type { HttpBindings } from '@hono/node-server'
import { AppError } from '../errors.js'
import type { Logger } from '../log.js'
import { bearerAuth } from './auth.js'

export interface AppDeps {
  log: Logger
  token: () => string | null
  health: () => Record<string, unknown>
  isDraining: () => boolean
  routes: Hono<{ Bindings: HttpBindings }>[]
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The Hono app: error mapping, auth, drain refusal, then the feature routes. */
export function createApp(deps: AppDeps) {
  const app = new Hono<{ Bindings: HttpBindings }>()

  app.onError((err, c) => {
    if (err instanceof AppError) return c.json(err.toJSON(), err.status)
    deps.log.error('request failed', { method: c.req.method, path: c.req.path, error: err.stack ?? err.message })
    return c.json({ error: { code: 'internal_error', message: 'internal error' } }, 500)
  })
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404))

  app.get('/healthz', (c) => c.json(deps.health()))

  app.use('*', bearerAuth({ token: deps.token, open: (path) => path === '/healthz' }))
  app.use('*', async (c, next) => {
    if (deps.isDraining() && STATE_CHANGING.has(c.req.method)) {
      throw new AppError(503, 'shutting_down', 'the daemon is shutting down; try again in a moment')
    }
    return next()
  })

  for (const r of deps.routes) app.route('/', r)
  return app
}
