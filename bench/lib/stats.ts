/** Small, dependency-free statistics for the benchmarks. */

export function sorted(xs: readonly number[]): number[] {
  return [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
}

/** Linear-interpolated quantile (q in [0, 1]) of the finite values; NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  const s = sorted(xs)
  if (s.length === 0) return NaN
  const pos = (s.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo)
}

export const median = (xs: readonly number[]) => quantile(xs, 0.5)
export const p99 = (xs: readonly number[]) => quantile(xs, 0.99)

export interface Summary {
  n: number
  median: number
  min: number
  max: number
  p10: number
  p90: number
}

export function summarize(xs: readonly number[]): Summary {
  const s = sorted(xs)
  return {
    n: s.length,
    median: quantile(s, 0.5),
    min: s.length ? s[0]! : NaN,
    max: s.length ? s[s.length - 1]! : NaN,
    p10: quantile(s, 0.1),
    p90: quantile(s, 0.9),
  }
}

/** Latency distribution of one run (many samples). */
export interface Distribution {
  n: number
  p50: number
  p90: number
  p99: number
  max: number
}

export function distribution(xs: readonly number[]): Distribution {
  const s = sorted(xs)
  return {
    n: s.length,
    p50: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    p99: quantile(s, 0.99),
    max: s.length ? s[s.length - 1]! : NaN,
  }
}

/** Wall-clock now with sub-millisecond resolution (same clock as Date.now()). */
export function wallNow(): number {
  return performance.timeOrigin + performance.now()
}

export function fmt(x: number, digits?: number): string {
  if (!Number.isFinite(x)) return 'n/a'
  const a = Math.abs(x)
  const d = digits ?? (a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 1 : 2)
  return x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: 0 })
}
