import type { ServerResponse } from 'node:http'
import type { Context, MiddlewareHandler } from 'hono'
import { getCookie } from 'hono/cookie'
import type { HttpBindings } from '@hono/node-server'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { verifyCookie, COOKIE_NAME } from '../auth/cookie.js'
import type { RateLimiter } from '../auth/rate-limit.js'
import type { TokenSource } from '../auth/token-file.js'
import { AppError } from '../errors.js'
import { tokensEqual } from './auth.js'

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** Strict by default: the page loads only its own files and talks only to its own origin. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
}

export function securityHeaders(): MiddlewareHandler {
  return async function headers(c, next) {
    await next()
    // Raw streams wrote their own head; this object is the adapter's shared marker, not theirs.
    if (c.res === RESPONSE_ALREADY_SENT) return
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(k, v)
  }
}

/** "host:port" → "host"; "[::1]:7878" → "::1". */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase()
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']'))
  const colon = h.lastIndexOf(':')
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h
}

/** Against DNS rebinding: a page on evil.example resolving to 127.0.0.1 still says Host: evil.example. */
export function hostGuard(allowed: ReadonlySet<string>): MiddlewareHandler {
  return async function host(c, next) {
    const h = c.req.header('host')
    if (!h || !allowed.has(hostnameOf(h))) {
      throw new AppError(421, 'host_not_allowed', `Host ${JSON.stringify(h ?? '')} is not allowed; see AGENTMUX_ALLOWED_HOSTS`)
    }
    return next()
  }
}

export function clientAddress(c: Context<{ Bindings: HttpBindings }>): string {
  return c.env?.incoming?.socket?.remoteAddress ?? 'unknown'
}

/** Refuses an address that failed too often, before looking at what it sent. */
export function checkRateLimit(limiter: RateLimiter, address: string): void {
  const wait = limiter.blockedFor(address)
  if (wait > 0) {
    const e = new AppError(429, 'too_many_attempts', `too many failed attempts; try again in ${wait} s`)
    throw Object.assign(e, { retryAfter: wait })
  }
}

/**
 * Every route but the open ones needs the token: as `Authorization: Bearer` (scripts) or as the
 * login cookie (browsers). A cookie request that changes state must come from our own origin.
 */
export function authenticate(opts: {
  tokens: TokenSource
  limiter: RateLimiter
  explicitHosts: ReadonlySet<string>
  isOpen: (method: string, path: string) => boolean
  now?: () => number
}): MiddlewareHandler<{ Bindings: HttpBindings }> {
  const now = opts.now ?? Date.now
  const streams = streamWatch(opts.tokens)
  return async function auth(c, next) {
    if (opts.isOpen(c.req.method, c.req.path)) return next()
    const header = c.req.header('authorization')
    const cookie = getCookie(c, COOKIE_NAME)
    if (header === undefined && cookie === undefined) {
      throw new AppError(401, 'unauthorized', 'log in, or send Authorization: Bearer <token>')
    }
    const address = clientAddress(c)
    checkRateLimit(opts.limiter, address)
    const token = opts.tokens.current()
    if (header !== undefined) {
      const m = /^Bearer ([^\s]+)$/i.exec(header)
      if (!m || !tokensEqual(m[1]!, token)) {
        opts.limiter.fail(address)
        throw new AppError(401, 'unauthorized', 'the token is not valid')
      }
      await next()
      streams.watch(c, token)
      return
    }
    if (!verifyCookie(cookie!, token, now())) {
      opts.limiter.fail(address)
      throw new AppError(401, 'session_expired', 'your login has expired or the token was rotated; log in again')
    }
    if (STATE_CHANGING.has(c.req.method) && !sameOrigin(c, opts.explicitHosts)) {
      throw new AppError(403, 'cross_origin', 'this request must come from the agentmux page itself')
    }
    await next()
    streams.watch(c, token)
  }
}

/** How often open streams are checked against the token in force. */
const STREAM_TOKEN_CHECK_MS = 2000

/**
 * An SSE stream outlives the request that authenticated it by hours. When the token is rotated,
 * the streams opened with the old one are ended, so a leaked login stops reading at once (its
 * EventSource then reconnects and gets a 401). One timer, only while such streams are open.
 */
function streamWatch(tokens: TokenSource) {
  const open = new Map<ServerResponse, string>()
  let timer: NodeJS.Timeout | null = null
  const sweep = () => {
    const current = tokens.current()
    for (const [res, token] of open) {
      if (token === current) continue
      open.delete(res)
      if (!res.writableEnded) res.end()
    }
    if (open.size === 0 && timer) {
      clearInterval(timer)
      timer = null
    }
  }
  return {
    watch(c: Context<{ Bindings: HttpBindings }>, token: string) {
      const res = c.env?.outgoing
      // Only the raw streams answer with RESPONSE_ALREADY_SENT and keep the response open.
      if (tokens.fromEnvironment || c.res !== RESPONSE_ALREADY_SENT || !res || res.writableEnded) return
      open.set(res, token)
      res.once('close', () => open.delete(res))
      if (!timer) {
        timer = setInterval(sweep, STREAM_TOKEN_CHECK_MS)
        timer.unref()
      }
    },
  }
}

/** Origin (or Referer) names the host the request was sent to, port included, or a host the operator allowed. */
export function sameOrigin(c: Context, explicitHosts: ReadonlySet<string>): boolean {
  const source = c.req.header('origin') ?? c.req.header('referer')
  if (!source || source === 'null') return false
  let url: URL
  try {
    url = new URL(source)
  } catch {
    return false
  }
  const host = c.req.header('host')?.toLowerCase()
  if (url.host.toLowerCase() === host) return true
  // An operator-named host (behind a proxy that rewrites Host) counts only on its scheme's default
  // port: another port on the same name is another origin, yet SameSite still sends it our cookie.
  return url.port === '' && explicitHosts.has(url.hostname.toLowerCase())
}
