import { timingSafeEqual, createHash } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { AppError } from '../errors.js'

/** Constant-time even across lengths: compare fixed-size digests, not the strings. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}

/** Bearer-token check for every route except those in `open`. No token configured: no check. */
export function bearerAuth(opts: { token: () => string | null; open: (path: string) => boolean }): MiddlewareHandler {
  return async function bearer(c, next) {
    const token = opts.token()
    if (token === null || opts.open(c.req.path)) return next()
    const header = c.req.header('authorization') ?? ''
    const match = /^Bearer ([^\s]+)$/i.exec(header)
    if (!match || !tokensEqual(match[1]!, token)) {
      c.header('WWW-Authenticate', 'Bearer')
      throw new AppError(401, 'unauthorized', 'a valid token is required (Authorization: Bearer <token>)')
    }
    return next()
  }
}
