import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import { COOKIE_NAME, verifyCookie } from '../auth/cookie.js'
import { CSRF_HEADER, verifyCsrf } from '../auth/csrf.js'
import type { RateLimiter } from '../auth/rate-limit.js'
import type { TokenSource } from '../auth/token-file.js'
import { tokensEqual } from '../auth/tokens-equal.js'
import { AppError } from '../errors.js'
import type { AppEnv } from './env.js'
import { sameOrigin } from './security.js'

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

export function clientAddress(c: Context<AppEnv>): string {
  return c.env?.incoming?.socket?.remoteAddress ?? 'unknown'
}

/**
 * An invalid credential: 429 while its client (or everyone) is over the failure budget, else
 * counted and 401. Never called for a valid one, which is always served.
 */
export function refuseInvalid(limiter: RateLimiter, address: string, refusal: AppError): never {
  const wait = limiter.blockedFor(address)
  if (wait > 0) {
    throw new AppError(
      429,
      'too_many_attempts',
      `too many failed attempts; try again in ${wait} s`,
      {
        headers: { 'Retry-After': String(wait) },
      }
    )
  }
  limiter.fail(address)
  throw refusal
}

const unauthorized = (code: string, message: string) =>
  new AppError(401, code, message, { headers: { 'WWW-Authenticate': 'Bearer' } })

/**
 * Mounted after the open routes: everything past it needs the token, as `Authorization: Bearer`
 * (scripts, the CLI) or as the login cookie (browsers). The cookie alone never changes state: a
 * cookie request that does must come from our own origin and carry the login's CSRF secret.
 */
export function authenticate(opts: {
  tokens: TokenSource
  limiter: RateLimiter
  explicitHosts: ReadonlySet<string>
  now?: () => number
}): MiddlewareHandler<AppEnv> {
  const now = opts.now ?? Date.now
  return async function auth(c, next) {
    const header = c.req.header('authorization')
    const cookie = getCookie(c, COOKIE_NAME)
    if (header === undefined && cookie === undefined) {
      throw unauthorized('unauthorized', 'log in, or send Authorization: Bearer <token>')
    }
    const token = opts.tokens.current()
    if (header !== undefined) {
      const m = /^Bearer ([^\s]+)$/i.exec(header)
      if (!m || !tokensEqual(m[1]!, token)) {
        refuseInvalid(
          opts.limiter,
          clientAddress(c),
          unauthorized('unauthorized', 'the token is not valid')
        )
      }
    } else {
      if (!verifyCookie(cookie!, token, now())) {
        const expired = 'your login has expired or the token was rotated; log in again'
        refuseInvalid(opts.limiter, clientAddress(c), unauthorized('session_expired', expired))
      }
      if (STATE_CHANGING.has(c.req.method)) checkCookieWrite(c, opts.explicitHosts, token, cookie!)
    }
    c.set('token', token)
    return next()
  }
}

function checkCookieWrite(
  c: Context<AppEnv>,
  explicitHosts: ReadonlySet<string>,
  token: string,
  cookie: string
) {
  if (!sameOrigin(c, explicitHosts)) {
    throw new AppError(403, 'cross_origin', 'this request must come from the agentmux page itself')
  }
  if (!verifyCsrf(c.req.header(CSRF_HEADER), token, cookie)) {
    throw new AppError(
      403,
      'csrf_required',
      `send the login's secret as ${CSRF_HEADER} (log in again to get one)`
    )
  }
}
