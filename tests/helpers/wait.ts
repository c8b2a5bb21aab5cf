/** Every wait in a test has a deadline, and says what it was waiting for when it fails. */
export async function withTimeout<T>(p: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms)
  })
  try {
    return await Promise.race([p, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Polls a condition until it holds; for state that has no event to await (files, processes). */
export async function waitUntil<T>(
  check: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; label: string }
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000)
  for (;;) {
    const v = await check()
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline)
      throw new Error(`timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${opts.label}`)
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 25))
  }
}
