import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * The per-login secret a page sends as `X-Agentmux-Csrf` on every state-changing request.
 * Browsers send our cookie to every port of the host (cookies are not scoped by port), so a server
 * on another port can replay it; it never sees this secret, which the page keeps in its own
 * origin's storage. Stateless: an HMAC of the cookie under a key derived from the token, so it is
 * bound to one login and dies with the token like the cookie does.
 */
export const CSRF_HEADER = 'x-agentmux-csrf'

function secret(token: string, cookie: string): Buffer {
  const key = createHmac('sha256', 'agentmux-csrf-v1').update(token).digest()
  return createHmac('sha256', key).update(cookie).digest()
}

export function csrfSecretFor(token: string, cookie: string): string {
  return secret(token, cookie).toString('base64url')
}

export function verifyCsrf(given: string | undefined, token: string, cookie: string): boolean {
  if (given === undefined) return false
  const a = Buffer.from(given, 'base64url')
  const b = secret(token, cookie)
  return a.length === b.length && timingSafeEqual(a, b)
}
