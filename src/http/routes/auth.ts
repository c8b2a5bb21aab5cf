import { Hono } from 'hono'
import { deleteCookie, setCookie } from 'hono/cookie'
import type { HttpBindings } from '@hono/node-server'
import { z } from 'zod'
import { COOKIE_MAX_AGE_S, COOKIE_NAME, issueCookie } from '../../auth/cookie.js'
import type { RateLimiter } from '../../auth/rate-limit.js'
import type { TokenSource } from '../../auth/token-file.js'
import { AppError } from '../../errors.js'
import { tokensEqual } from '../auth.js'
import { checkRateLimit, clientAddress } from '../security.js'
import { readJson } from '../validate.js'

const LoginBody = z.strictObject({ token: z.string().min(1).max(512) })

/** Browsers log in once with the token (from the URL fragment) and then carry an HttpOnly cookie. */
export function authRoutes(deps: { tokens: TokenSource; limiter: RateLimiter; now?: () => number }) {
  const now = deps.now ?? Date.now
  const app = new Hono<{ Bindings: HttpBindings }>()

  const secure = (c: { req: { url: string; header(n: string): string | undefined } }) =>
    c.req.url.startsWith('https:') || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https'

  app.post('/auth/login', async (c) => {
    const address = clientAddress(c)
    checkRateLimit(deps.limiter, address)
    const { token } = await readJson(c, LoginBody)
    const current = deps.tokens.current()
    if (!tokensEqual(token, current)) {
      deps.limiter.fail(address)
      throw new AppError(401, 'unauthorized', 'that token is not valid')
    }
    setCookie(c, COOKIE_NAME, issueCookie(current, now()), {
      httpOnly: true,
      sameSite: 'Strict',
      secure: secure(c),
      path: '/',
      maxAge: COOKIE_MAX_AGE_S,
    })
    return c.body(null, 204)
  })

  app.post('/auth/logout', (c) => {
    deleteCookie(c, COOKIE_NAME, { path: '/', httpOnly: true, sameSite: 'Strict', secure: secure(c) })
    return c.body(null, 204)
  })

  return app
}
