import { isIPv6 } from 'node:net'

/**
 * Counts failed credentials in fixed windows, per client key and in total. It only ever refuses
 * invalid credentials: a valid token or cookie is served whatever the count, so strangers cannot
 * lock the owner out (behind a tunnel everyone is 127.0.0.1). That is safe because the token is
 * long (256 bits when generated, 32 characters at least when set): the limiter keeps guessing
 * noisy and slow, the token's length is what makes it hopeless.
 *
 * The table is bounded: expired entries go first, then the oldest, so a flood of addresses cannot
 * grow memory.
 */
export interface RateLimiter {
  /** Seconds until a failed attempt from this address may be tried again, or 0 when it may. */
  blockedFor(address: string): number
  fail(address: string): void
  readonly size: number
}

/**
 * The key failures are counted under. Any local process can connect from any of the 16.7 M
 * addresses of 127.0.0.0/8, so loopback is one key; an IPv6 host usually owns a whole /64.
 */
export function limiterKey(address: string): string {
  const a = address.toLowerCase()
  const v4 = a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a
  if (v4.startsWith('127.') || v4 === '::1') return 'loopback'
  if (!isIPv6(v4)) return v4
  return `${expandV6(v4).slice(0, 4).join(':')}::/64`
}

function expandV6(a: string): string[] {
  const [head, tail] = a.split('::') as [string, string | undefined]
  const h = head ? head.split(':') : []
  const t = tail ? tail.split(':') : []
  const zeros = tail === undefined ? [] : Array(Math.max(0, 8 - h.length - t.length)).fill('0')
  return [...h, ...zeros, ...t].map((x) => x.replace(/^0+(?=.)/, ''))
}

interface Window {
  count: number
  start: number
}

export function createRateLimiter(
  opts: {
    max?: number
    globalMax?: number
    windowMs?: number
    maxEntries?: number
    now?: () => number
  } = {}
): RateLimiter {
  const max = opts.max ?? 10
  const globalMax = opts.globalMax ?? 100
  const windowMs = opts.windowMs ?? 60_000
  const maxEntries = opts.maxEntries ?? 10_000
  const now = opts.now ?? Date.now
  const table = new Map<string, Window>()
  let global: Window = { count: 0, start: now() }

  const live = (key: string) => {
    const e = table.get(key)
    if (e && now() - e.start >= windowMs) {
      table.delete(key)
      return undefined
    }
    return e
  }
  const liveGlobal = () => {
    if (now() - global.start >= windowMs) global = { count: 0, start: now() }
    return global
  }
  const waitFor = (w: Window | undefined, limit: number) =>
    !w || w.count < limit ? 0 : Math.max(1, Math.ceil((w.start + windowMs - now()) / 1000))

  return {
    blockedFor(address) {
      return Math.max(waitFor(live(limiterKey(address)), max), waitFor(liveGlobal(), globalMax))
    },
    fail(address) {
      liveGlobal().count++
      const key = limiterKey(address)
      const e = live(key)
      if (e) {
        e.count++
        return
      }
      if (table.size >= maxEntries) {
        const t = now()
        for (const [k, v] of table) if (t - v.start >= windowMs) table.delete(k)
        while (table.size >= maxEntries) table.delete(table.keys().next().value!)
      }
      table.set(key, { count: 1, start: now() })
    },
    get size() {
      return table.size
    },
  }
}
