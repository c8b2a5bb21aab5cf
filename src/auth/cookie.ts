import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export const COOKIE_NAME = 'agentmux_session'
export const COOKIE_MAX_AGE_S = 30 * 24 * 3600

/** The signing key comes from the token: rotating the token invalidates every cookie. */
function mac(token: string, payload: string): Buffer {
  const key = createHmac('sha256', 'agentmux-cookie-v1').update(token).digest()
  return createHmac('sha256', key).update(payload).digest()
}

/** `v1.<issued seconds>.<nonce>.<mac>`: stateless, so the daemon keeps no login table. */
export function issueCookie(token: string, nowMs: number): string {
  const payload = `v1.${Math.floor(nowMs / 1000)}.${randomBytes(12).toString('base64url')}`
  return `${payload}.${mac(token, payload).toString('base64url')}`
}

export function verifyCookie(value: string, token: string, nowMs: number): boolean {
  const parts = value.split('.')
  if (parts.length !== 4 || parts[0] !== 'v1') return false
  const issued = Number(parts[1])
  if (
    !Number.isSafeInteger(issued) ||
    nowMs / 1000 - issued > COOKIE_MAX_AGE_S ||
    issued > nowMs / 1000 + 60
  )
    return false
  const payload = parts.slice(0, 3).join('.')
  const given = Buffer.from(parts[3]!, 'base64url')
  const expected = mac(token, payload)
  // Only the one encoding we issue: base64url's last character has bits a decoder ignores, so
  // other spellings of the same MAC decode alike (a test that tampered them passed 1 run in 1,024).
  if (given.toString('base64url') !== parts[3]) return false
  return given.length === expected.length && timingSafeEqual(given, expected)
}
