import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { HttpBindings } from '@hono/node-server'
import type { RateLimiter } from '../auth/rate-limit.js'
import type { TokenSource } from '../auth/token-file.js'
import { AppError, badRequest } from '../errors.js'
import type { Logger } from '../log.js'
import { MAX_BODY_BYTES, MAX_TURN_BODY_BYTES } from './schemas.js'
import { authenticate, hostGuard, securityHeaders } from './security.js'

export interface AppDeps {
  log: Logger
  health: () => Record<string, unknown>
  isDraining: () => boolean
  isStorageFull: (err: unknown) => boolean
  security: {
    tokens: TokenSource
    limiter: RateLimiter
    /** Every Host the daemon answers to. */
    allowedHosts: ReadonlySet<string>
    /** The hosts the operator named (a proxy's public name): also accepted as an Origin. */
    explicitHosts: ReadonlySet<string>
  }
  /** Routes anyone may call: the page shell holds no data. */
  isOpen: (method: string, path: string) => boolean
  routes: Hono<{ Bindings: HttpBindings }>[]
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The Hono app: headers, Host check, auth, body limit, drain refusal, then the feature routes. */
export function createApp(deps: AppDeps) {
  const app = new Hono<{ Bindings: HttpBindings }>()

  app.onError((err, c) => {
    if (err instanceof AppError) {
      const retryAfter = (err as AppError & { retryAfter?: number }).retryAfter
      if (retryAfter !== undefined) c.header('Retry-After', String(retryAfter))
      if (err.status === 401) c.header('WWW-Authenticate', 'Bearer')
      // The unread rest of a too-large body poisons the connection: the client must not reuse it.
      if (err.status === 413) c.header('Connection', 'close')
      return c.json(err.toJSON(), err.status)
    }
    if (deps.isStorageFull(err)) {
      return c.json({ error: { code: 'storage_full', message: 'the disk is full: nothing can be saved until space is freed' } }, 507)
    }
    deps.log.error('request failed', { method: c.req.method, path: c.req.path, error: err.stack ?? err.message })
    return c.json({ error: { code: 'internal_error', message: 'internal error' } }, 500)
  })
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` } }, 404))

  app.use('*', securityHeaders())
  app.use('*', hostGuard(deps.security.allowedHosts))
  app.get('/healthz', (c) => c.json(deps.health()))
  // Auth before the body limit: bodyLimit reads (and buffers up to 1 MB of) a chunked body, and a
  // client without the token must not get the daemon to read anything it sends.
  app.use('*', authenticate({ ...deps.security, isOpen: deps.isOpen }))
  const limitOf = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new AppError(413, 'body_too_large', `request body exceeds ${maxSize} bytes`)
      },
    })
  const limit = limitOf(MAX_BODY_BYTES)
  // A prompt may carry images (base64): only that route takes the larger body.
  const turnLimit = limitOf(MAX_TURN_BODY_BYTES)
  const isTurnPost = (method: string, path: string) => method === 'POST' && /^\/sessions\/[^/]+\/turns$/.test(path)
  app.use('*', async (c, next) => {
    // bodyLimit reads a chunked body itself: a client that breaks off mid-body ("aborted") is a
    // 400 like any unreadable body, not a 500 with a stack in the log. Errors after it pass through.
    // GET and HEAD carry no body. Touching c.req.raw.body would make the adapter build a full
    // Request that an SSE stream then keeps alive for hours (~3.5 KB per idle client).
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    let reached = false
    try {
      return await (isTurnPost(c.req.method, c.req.path) ? turnLimit : limit)(c, () => {
        reached = true
        return next()
      })
    } catch (err) {
      if (reached || err instanceof AppError) throw err
      throw badRequest('unreadable_body', `could not read the request body: ${(err as Error).message}`)
    }
  })
  app.use('*', async (c, next) => {
    if (deps.isDraining() && STATE_CHANGING.has(c.req.method)) {
      throw new AppError(503, 'shutting_down', 'the daemon is shutting down; try again in a moment')
    }
    return next()
  })

  for (const r of deps.routes) app.route('/', r)
  return app
}
