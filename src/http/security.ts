import type { Context, MiddlewareHandler } from 'hono'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { AppError } from '../errors.js'

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
      throw new AppError(
        421,
        'host_not_allowed',
        `Host ${JSON.stringify(h ?? '')} is not allowed; see AGENTMUX_ALLOWED_HOSTS`
      )
    }
    return next()
  }
}

/** The scheme the browser used: http, unless a TLS proxy in front says https. */
export function requestScheme(c: Context): 'http:' | 'https:' {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase()
  return forwarded === 'https' || c.req.url.startsWith('https:') ? 'https:' : 'http:'
}

/**
 * Origin (or Referer) names the origin the request was sent to (scheme, host and port), or a host
 * the operator allowed. `https://`, `ws://` or `javascript://` with our host:port is not our origin.
 */
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
  if (url.protocol === requestScheme(c) && url.host.toLowerCase() === host) return true
  // An operator-named host (behind a proxy that rewrites Host) counts only on its scheme's default
  // port: another port on the same name is another origin, yet SameSite still sends it our cookie.
  const web = url.protocol === 'https:' || url.protocol === 'http:'
  return web && url.port === '' && explicitHosts.has(url.hostname.toLowerCase())
}
