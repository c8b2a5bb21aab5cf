import { Hono } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import { z } from 'zod'
import { COOKIE_MAX_AGE_S, COOKIE_NAME, issueCookie } from '../../auth/cookie.js'
import { csrfSecretFor } from '../../auth/csrf.js'
import type { RateLimiter } from '../../auth/rate-limit.js'
import type { TokenSource } from '../../auth/token-file.js'
import { tokensEqual } from '../../auth/tokens-equal.js'
import { AppError } from '../../errors.js'
import { clientAddress, refuseInvalid } from '../authenticate.js'
import type { AppEnv } from '../env.js'
import { requestScheme, sameOrigin } from '../security.js'
import { readJson } from '../validate.js'

const LoginBody = z.strictObject({ token: z.string().min(1).max(512) })

/** Anyone may call these, so a stranger gets little: a 1 KB body that must arrive within 10 s. */
export const OPEN_BODY_BYTES = 1024
export const OPEN_BODY_DEADLINE_MS = 10_000

/**
 * Browsers log in once with the token (from the URL fragment) and then carry an HttpOnly cookie,
 * plus the login's CSRF secret, which the page keeps and sends with every change.
 */
export function authRoutes(deps: {
  tokens: TokenSource
  limiter: RateLimiter
  explicitHosts: ReadonlySet<string>
  now?: () => number
}) {
  const now = deps.now ?? Date.now
  const app = new Hono<AppEnv>()

  app.post('/auth/login', async (c) => {
    const limits = { maxBytes: OPEN_BODY_BYTES, deadlineMs: OPEN_BODY_DEADLINE_MS }
    const { token } = await readJson(c, LoginBody, limits)
    const current = deps.tokens.current()
    if (!tokensEqual(token, current)) {
      refuseInvalid(
        deps.limiter,
        clientAddress(c),
        new AppError(401, 'unauthorized', 'that token is not valid')
      )
    }
    const cookie = issueCookie(current, now())
    setCookie(c, COOKIE_NAME, cookie, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: requestScheme(c) === 'https:',
      path: '/',
      maxAge: COOKIE_MAX_AGE_S,
    })
    return c.json({ csrf: csrfSecretFor(current, cookie) })
  })

  // A cross-site form could otherwise log the browser out.
  app.post('/auth/logout', (c) => {
    if (!sameOrigin(c, deps.explicitHosts)) {
      throw new AppError(403, 'cross_origin', 'log out from the agentmux page itself')
    }
    const secure = requestScheme(c) === 'https:'
    deleteCookie(c, COOKIE_NAME, { path: '/', httpOnly: true, sameSite: 'Strict', secure })
    return c.body(null, 204)
  })

  return app
}
