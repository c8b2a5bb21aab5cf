import { createHash, timingSafeEqual } from 'node:crypto'

/** Constant-time even across lengths: compare fixed-size digests, not the strings. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}
