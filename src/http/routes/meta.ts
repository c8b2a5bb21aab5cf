import { Hono } from 'hono'
import type { HttpBindings } from '@hono/node-server'
import type { Metrics } from '../../metrics/metrics.js'
import { openApiDocument, type RouteDoc } from '../openapi.js'

/** GET /openapi.json and GET /metrics: both behind the token. */
export function metaRoutes(deps: {
  routes: readonly RouteDoc[]
  version: string
  metrics: Metrics
}) {
  const app = new Hono<{ Bindings: HttpBindings }>()
  // Built once: the table does not change while the daemon runs.
  const doc = JSON.stringify(openApiDocument(deps.routes, { version: deps.version }))
  app.get('/openapi.json', (c) => c.body(doc, 200, { 'Content-Type': 'application/json' }))
  app.get('/metrics', async (c) =>
    c.body(await deps.metrics.render(), 200, { 'Content-Type': deps.metrics.contentType })
  )
  return app
}
