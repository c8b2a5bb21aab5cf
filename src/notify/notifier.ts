import type { Logger } from '../log.js'
import type { NotifiableEvent, Outbox, OutboxRow } from '../storage/outbox.js'
import { noticeFor, type Notice } from './messages.js'
import type { Presence } from './presence.js'
import { sendNtfy, sendWebhook, type Outcome, type PushSender } from './senders.js'

export interface NotifierOptions {
  outbox: Outbox
  log: Logger
  presence: Presence
  webhookUrls: readonly string[]
  webhookSecret: string | null
  ntfyUrl: string | null
  /** Null when Web Push is off (no VAPID keys). */
  push: PushSender | null
  /** Where the page is: notices link to it. */
  baseUrl: () => string
  /** The first retry's delay; each next one doubles, up to an hour. */
  retryMs: number
  /** A delivery still failing this long after its event is dropped. */
  giveUpMs: number
  pollMs?: number
  now?: () => number
  /** Told the result of every delivery attempt (metrics). */
  onAttempt?: (result: 'delivered' | 'failed') => void
}

export interface Notifier {
  /** New events were committed: look at the log soon. */
  wake(): void
  start(): void
  stop(): Promise<void>
  state(): { cursor: number; pending: number }
}

const SCAN_PAGE = 200
const SEND_BATCH = 8
const MAX_BACKOFF_MS = 60 * 60 * 1000
const KEEP_DELIVERED_MS = 2 * 24 * 60 * 60 * 1000
const PRUNE_EVERY_MS = 60 * 60 * 1000
const WAKE_DELAY_MS = 20
const STOP_WAIT_MS = 1000

/**
 * The outbox worker. Phase 1 (plan) turns new log events into outbox rows, one per target, in the
 * transaction that moves its cursor. Phase 2 (send) delivers due rows at least once, with
 * exponential backoff. Woken by new events, and by a timer for the next due retry or a poll.
 */
export function createNotifier(o: NotifierOptions): Notifier {
  const now = o.now ?? Date.now
  const pollMs = o.pollMs ?? 30_000
  const phase = { running: false, again: false, stopped: true }
  let timer: NodeJS.Timeout | null = null
  let timerAt = Infinity
  let current: Promise<void> = Promise.resolve()
  let lastPrune = 0

  function targetsFor(n: Notice): { target: string; requestId: string | null }[] {
    const out: { target: string; requestId: string | null }[] = []
    const requestId = n.requestId ?? null
    if (n.event !== 'permission.resolved') {
      for (const url of o.webhookUrls) out.push({ target: `webhook:${url}`, requestId })
      if (o.ntfyUrl) out.push({ target: `ntfy:${o.ntfyUrl}`, requestId })
    }
    if (!o.push) return out
    for (const sub of o.outbox.subscriptions()) {
      const target = `push:${sub.endpoint}`
      if (n.event === 'permission.resolved') {
        // Follow up only where the request was shown; a request not yet delivered is just dropped.
        const prior = requestId ? o.outbox.requestDelivery(requestId, target) : null
        if (!prior) continue
        if (!prior.delivered) {
          o.outbox.remove(prior.id)
          continue
        }
      } else if (o.presence.visible(n.sessionId)) continue
      out.push({ target, requestId })
    }
    return out
  }

  function plan(): void {
    for (;;) {
      const { events, through } = o.outbox.scan(SCAN_PAGE)
      if (through <= o.outbox.cursor()) return
      o.outbox.atomically(through, () => {
        for (const e of events) enqueue(e)
      })
      if (events.length < SCAN_PAGE) return
    }
  }

  function enqueue(e: NotifiableEvent): void {
    const n = noticeFor(e, o.baseUrl())
    if (!n) return
    const message = JSON.stringify(n)
    for (const t of targetsFor(n))
      o.outbox.insert({ eventId: e.id, target: t.target, message, requestId: t.requestId }, now())
  }

  async function deliver(row: OutboxRow): Promise<void> {
    const n = JSON.parse(row.message) as Notice
    const colon = row.target.indexOf(':')
    const type = row.target.slice(0, colon)
    const dest = row.target.slice(colon + 1)
    let outcome: Outcome
    if (type === 'webhook') outcome = await sendWebhook(dest, n, o.webhookSecret)
    else if (type === 'ntfy') outcome = await sendNtfy(dest, n)
    else {
      const sub = o.outbox.subscriptions().find((s) => s.endpoint === dest)
      if (!sub || !o.push) return o.outbox.remove(row.id)
      outcome = await o.push.send(sub, n)
    }
    settle(row, type, dest, outcome)
  }

  function settle(row: OutboxRow, type: string, dest: string, outcome: Outcome): void {
    // Stopping: the store is closing. The row is still due, and the next daemon sends it again.
    if (phase.stopped) return
    const t = now()
    o.onAttempt?.(outcome.kind === 'ok' ? 'delivered' : 'failed')
    if (outcome.kind === 'ok') return o.outbox.delivered(row.id, t)
    if (outcome.kind === 'gone') {
      // 404/410: the browser unsubscribed or the push service expired it; it will not come back.
      o.outbox.removeSubscription(dest)
      o.log.info('push subscription is gone; removed', { attempts: row.attempts })
      return
    }
    if (t - row.createdAt >= o.giveUpMs) {
      o.outbox.remove(row.id)
      o.log.warn('notification given up', {
        target: type,
        eventId: row.eventId,
        attempts: row.attempts,
        error: outcome.error,
      })
      return
    }
    const backoff = Math.min(o.retryMs * 2 ** Math.min(row.attempts - 1, 30), MAX_BACKOFF_MS)
    // ±20% jitter, so many deliveries failing together do not retry together.
    const delay = Math.round(backoff * (0.8 + Math.random() * 0.4))
    o.outbox.retryAt(row.id, t + delay, outcome.error)
    o.log.debug('notification will be retried', {
      target: type,
      eventId: row.eventId,
      attempts: row.attempts,
      delayMs: delay,
      error: outcome.error,
    })
  }

  async function sendDue(): Promise<void> {
    for (;;) {
      if (phase.stopped) return
      const t = now()
      const rows = o.outbox.claimDue(t, SEND_BATCH)
      if (rows.length === 0) return
      // Every row is settled before the next claim: a row that threw must not stay due and spin.
      await Promise.all(
        rows.map((r) =>
          deliver(r).catch((err: Error) =>
            settle(r, 'unknown', '', { kind: 'retry', error: err.message })
          )
        )
      )
    }
  }

  function prune(): void {
    const t = now()
    if (t - lastPrune < PRUNE_EVERY_MS) return
    lastPrune = t
    o.outbox.prune(t - KEEP_DELIVERED_MS)
  }

  async function tick(): Promise<void> {
    phase.running = true
    try {
      do {
        phase.again = false
        plan()
        await sendDue()
        prune()
      } while (phase.again && !phase.stopped)
    } catch (err) {
      o.log.error('notifier failed', { error: (err as Error).message })
    } finally {
      phase.running = false
      schedule()
    }
  }

  function runIn(delay: number): void {
    const at = now() + delay
    // Keep an earlier run: a streaming turn wakes this many times, and one run covers them all.
    if (timer && timerAt <= at) return
    if (timer) clearTimeout(timer)
    timerAt = at
    timer = setTimeout(run, delay)
    timer.unref()
  }

  /** The next run: the next due retry, or the poll, whichever is sooner. */
  function schedule(): void {
    if (phase.stopped) return
    const due = o.outbox.nextDueAt()
    runIn(Math.max(0, Math.min(pollMs, due === null ? pollMs : due - now())))
  }

  function run(): void {
    if (timer) clearTimeout(timer)
    timer = null
    timerAt = Infinity
    if (phase.stopped) return
    if (phase.running) {
      phase.again = true
      return
    }
    current = tick()
  }

  return {
    wake() {
      if (phase.stopped) return
      if (phase.running) phase.again = true
      else runIn(WAKE_DELAY_MS)
    },
    start() {
      phase.stopped = false
      run()
    },
    async stop() {
      phase.stopped = true
      if (timer) clearTimeout(timer)
      timer = null
      // A send in flight may take its full timeout; its row stays due and the next daemon sends it.
      await Promise.race([current, new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())])
    },
    state: () => ({ cursor: o.outbox.cursor(), pending: o.outbox.pending() }),
  }
}
