/**
 * One backoff policy and one "try until the daemon answers" loop for the page: the streams, the
 * composer's pending prompt and a cancel tapped while offline all wait the same way.
 */

/** Exponential with jitter: base·2^attempt capped, then scaled by 0.5–1 so phones do not retry in step. */
export function backoffDelay(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** attempt) * (0.5 + Math.random() / 2)
}

export type AttemptResult = 'done' | 'retry'

/**
 * Runs `attempt` until it reports 'done', backing off after each 'retry'. `nudge()` (the network is
 * back, a stream caught up) tries again at once. Every retrier also listens for `online`.
 */
export class Retrier {
  private failures = 0
  private timer: ReturnType<typeof setTimeout> | null = null
  private running = false
  private active = false
  private readonly onOnline = () => this.nudge()

  constructor(
    private readonly attempt: () => Promise<AttemptResult>,
    private readonly opts: { baseMs?: number; capMs?: number } = {}
  ) {}

  /** Start (or restart from a zero backoff). */
  start(): void {
    this.failures = 0
    if (!this.active) window.addEventListener('online', this.onOnline)
    this.active = true
    this.nudge()
  }

  stop(): void {
    this.active = false
    this.clearTimer()
    window.removeEventListener('online', this.onOnline)
  }

  get busy(): boolean {
    return this.running
  }

  get pending(): boolean {
    return this.active
  }

  nudge(): void {
    if (!this.active || this.running) return
    this.clearTimer()
    void this.run()
  }

  private async run(): Promise<void> {
    this.running = true
    let result: AttemptResult
    try {
      result = await this.attempt()
    } catch {
      result = 'retry'
    } finally {
      this.running = false
    }
    if (!this.active) return
    if (result === 'done') return this.stop()
    const delay = backoffDelay(this.failures++, this.opts.baseMs ?? 1000, this.opts.capMs ?? 20_000)
    this.timer = setTimeout(() => void this.run(), delay)
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }
}
