import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { RateLimiter } from '../auth/rate-limit.js'
import type { TokenSource } from '../auth/token-file.js'
import { AppError, badRequest, errorBody, tooLarge } from '../errors.js'
import type { Logger } from '../log.js'
import { authenticate } from './authenticate.js'
import type { AppEnv } from './env.js'
import { authRoutes } from './routes/auth.js'
import { MAX_BODY_BYTES, MAX_TURN_BODY_BYTES } from './schemas.js'
import { hostGuard, securityHeaders } from './security.js'

// Sub-apps typed with AppEnv or with the narrower { Bindings } both mount; Hono's generics are
// invariant, so the list takes any env.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Routes = Hono<any>

export interface AppDeps {
  log: Logger
  health: () => Record<string, unknown>
  isDraining: () => boolean
  isStorageFull: (err: unknown) => boolean
  /** A request failed for want of space (the running turns may be losing output too). */
  onStorageFull?: () => void
  security: {
    tokens: TokenSource
    limiter: RateLimiter
    /** Every Host the daemon answers to. */
    allowedHosts: ReadonlySet<string>
    /** The hosts the operator named (a proxy's public name): also accepted as an Origin. */
    explicitHosts: ReadonlySet<string>
  }
  /** Routes anyone may call (the page shell holds no data), mounted before authentication. */
  openRoutes: Routes[]
  /** Everything else: only reached with a valid token or cookie. */
  routes: Routes[]
  /** Run before those routes (after authentication, the body limit and the drain refusal). */
  beforeRoutes?: MiddlewareHandler<AppEnv>[]
  /** A request on this connection showed a valid credential. */
  onAuthenticated?: (c: Context<AppEnv>) => void
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * The Hono app. Order is the security model: headers and the Host check for all; then the open
 * routes (/healthz, the page, /auth/*), which answer and stop; then authentication, the body limit
 * and the drain refusal, which every later route is behind.
 */
export function createApp(deps: AppDeps) {
  const app = new Hono<AppEnv>()

  app.onError((err, c) => {
    if (err instanceof AppError) return c.json(err.toJSON(), err.status, err.headers)
    if (deps.isStorageFull(err)) {
      deps.onStorageFull?.()
      return c.json(
        errorBody('storage_full', 'the disk is full: nothing can be saved until space is freed'),
        507
      )
    }
    deps.log.error('request failed', {
      method: c.req.method,
      path: c.req.path,
      error: err.stack ?? err.message,
    })
    return c.json(errorBody('internal_error', 'internal error'), 500)
  })
  app.notFound((c) =>
    c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404)
  )

  app.use('*', securityHeaders())
  app.use('*', hostGuard(deps.security.allowedHosts))
  app.get('/healthz', (c) => c.json(deps.health()))
  for (const r of deps.openRoutes) app.route('/', r)
  app.route('/', authRoutes(deps.security))

  // Authentication before the body limit: bodyLimit reads (and buffers up to 1 MB of) a chunked
  // body, and a client without the token must not get the daemon to read anything it sends.
  app.use('*', authenticate(deps.security))
  if (deps.onAuthenticated) {
    const seen = deps.onAuthenticated
    app.use('*', async (c, next) => {
      seen(c)
      return next()
    })
  }
  app.use('*', readableBody())
  app.use('*', async (c, next) => {
    if (deps.isDraining() && STATE_CHANGING.has(c.req.method)) {
      throw new AppError(503, 'shutting_down', 'the daemon is shutting down; try again in a moment')
    }
    return next()
  })

  for (const m of deps.beforeRoutes ?? []) app.use('*', m)
  for (const r of deps.routes) app.route('/', r)
  return app
}

const limitOf = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw tooLarge(maxSize)
    },
  })

/** Only a new turn takes the larger body: its prompt may carry images (base64). */
const isTurnPost = (method: string, path: string) =>
  method === 'POST' && /^\/sessions\/[^/]+\/turns$/.test(path)

function readableBody() {
  const limit = limitOf(MAX_BODY_BYTES)
  const turnLimit = limitOf(MAX_TURN_BODY_BYTES)
  return async function body(c: Context<AppEnv>, next: () => Promise<void>) {
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
      throw badRequest(
        'unreadable_body',
        `could not read the request body: ${(err as Error).message}`
      )
    }
  }
}
