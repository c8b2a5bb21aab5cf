/**
 * Counts failed logins per client address in fixed windows. The table is bounded: expired
 * entries go first, then the oldest, so a flood of addresses cannot grow memory.
 */
export interface RateLimiter {
  /** Seconds until the address may try again, or 0 when it may. */
  blockedFor(address: string): number
  fail(address: string): void
  readonly size: number
}

export function createRateLimiter(opts: { max?: number; windowMs?: number; maxEntries?: number; now?: () => number } = {}): RateLimiter {
  const max = opts.max ?? 10
  const windowMs = opts.windowMs ?? 60_000
  const maxEntries = opts.maxEntries ?? 10_000
  const now = opts.now ?? Date.now
  const table = new Map<string, { count: number; start: number }>()

  const live = (address: string) => {
    const e = table.get(address)
    if (e && now() - e.start >= windowMs) {
      table.delete(address)
      return undefined
    }
    return e
  }

  return {
    blockedFor(address) {
      const e = live(address)
      if (!e || e.count < max) return 0
      return Math.max(1, Math.ceil((e.start + windowMs - now()) / 1000))
    },
    fail(address) {
      const e = live(address)
      if (e) {
        e.count++
        return
      }
      if (table.size >= maxEntries) {
        const t = now()
        for (const [k, v] of table) if (t - v.start >= windowMs) table.delete(k)
        while (table.size >= maxEntries) table.delete(table.keys().next().value!)
      }
      table.set(address, { count: 1, start: now() })
    },
    get size() {
      return table.size
    },
  }
}
