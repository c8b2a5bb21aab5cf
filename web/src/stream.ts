/**
 * An EventSource that stays honest on a phone (shared/streams.md §1.3):
 * - every error closes it and we reopen it ourselves with `?after=<last applied id>`, with
 *   exponential backoff and jitter (a fresh EventSource would otherwise replay from the start);
 * - `kick()` (visible again, pageshow, online) forces close + reopen, because iOS Safari kills
 *   background sockets silently and may still report OPEN;
 * - a watchdog reopens a stream that has shown no sign of life for WATCHDOG_MS, 2.5 × the
 *   server's 15 s `event: ping`;
 * - `event: shutdown` (daemon restarting) → reconnect with backoff.
 * The chat opens it in catch-up mode (README, Catch-up): superseded deltas are not replayed, and
 * `event: window` tells that only the newest turns follow.
 */
import { backoffDelay } from './backoff.js'

export const WATCHDOG_MS = 40_000
const BACKOFF_BASE_MS = 500
const BACKOFF_CAP_MS = 30_000
/** A quiet reopen of a healthy stream does not flash "reconnecting" unless it takes longer than this. */
const QUIET_REOPEN_MS = 4_000

export type StreamStatus = 'connecting' | 'live' | 'waiting' | 'stopped'

export interface StreamHandlers {
  /** The URL to open now (it carries the cursor). */
  url(): string
  onMessage(data: string, lastEventId: string): void
  onCaughtUp?(data: unknown): void
  onReset?(data: { lastEventId?: number }): void
  /** Catch-up with `turns=N`: the stream starts after `after`; older events are paged from /history. */
  onWindow?(data: { after?: number }): void
  /**
   * After a failure: find out whether retrying makes sense (401 → logged out, 404 → gone).
   * Resolves false to stop for good.
   */
  probe?(): Promise<boolean>
  onChange?(): void
}

const streams = new Set<LiveStream>()

export class LiveStream {
  status: StreamStatus = 'connecting'
  /** Failures since the last caught-up. */
  attempts = 0
  /** When the current wait ends (status 'waiting'). */
  retryAt = 0
  lastActivity = 0
  everLive = false
  shutdownSeen = false
  private es: EventSource | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private quietUntil = 0
  private probing = false

  constructor(
    readonly name: string,
    private readonly h: StreamHandlers
  ) {}

  start(): void {
    streams.add(this)
    // A stream that was live before (a chat coming back on screen) reopens quietly.
    this.open(this.everLive)
  }

  /** Force a fresh connection now (resets the backoff). */
  kick(): void {
    if (this.status === 'stopped') return
    this.attempts = 0
    this.open(this.healthy())
  }

  /** Rebuild: reopen now, with whatever cursor url() gives. */
  reopen(): void {
    if (this.status === 'stopped') return
    this.open(this.healthy())
  }

  /**
   * Live, or in a quiet reopen of a live stream: a reopen now need not say "reconnecting". A phone
   * waking up fires visibilitychange, pageshow and online together; the second kick finds the
   * first one's reopen still connecting, and that is no reason to flash "Reconnecting…".
   */
  private healthy(): boolean {
    return this.status === 'live' || (this.status === 'connecting' && Date.now() < this.quietUntil)
  }

  /** The network is gone (the `offline` event): the socket is dead whatever readyState says. */
  drop(): void {
    if (this.status === 'connecting' || this.status === 'live') this.fail(false)
  }

  stop(): void {
    this.status = 'stopped'
    this.clear()
    streams.delete(this)
    this.h.onChange?.()
  }

  /** What a person should be told about this stream. */
  get shown(): 'live' | 'connecting' | 'reconnecting' | 'stopped' {
    if (this.status === 'stopped') return 'stopped'
    if (this.status === 'live') return 'live'
    if (this.status === 'connecting' && Date.now() < this.quietUntil) return 'live'
    return this.everLive || this.attempts > 0 ? 'reconnecting' : 'connecting'
  }

  watchdog(now: number): void {
    if (
      (this.status === 'connecting' || this.status === 'live') &&
      now - this.lastActivity > WATCHDOG_MS
    )
      this.open(false)
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.es) {
      this.es.close()
      this.es = null
    }
  }

  private open(quiet: boolean): void {
    this.clear()
    this.status = 'connecting'
    this.quietUntil = quiet ? Date.now() + QUIET_REOPEN_MS : 0
    this.lastActivity = Date.now()
    const es = new EventSource(this.h.url())
    this.es = es
    const mine = () => this.es === es
    const alive = () => {
      this.lastActivity = Date.now()
    }
    es.addEventListener('open', () => mine() && alive())
    es.addEventListener('ping', () => mine() && alive())
    es.addEventListener('message', (e) => {
      if (!mine()) return
      alive()
      this.h.onMessage(e.data, e.lastEventId)
    })
    es.addEventListener('caught-up', (e) => {
      if (!mine()) return
      alive()
      this.status = 'live'
      this.everLive = true
      this.attempts = 0
      this.shutdownSeen = false
      this.quietUntil = 0
      this.h.onCaughtUp?.(parse((e as MessageEvent).data))
      this.h.onChange?.()
    })
    es.addEventListener('reset', (e) => {
      if (!mine()) return
      alive()
      this.h.onReset?.((parse((e as MessageEvent).data) ?? {}) as { lastEventId?: number })
    })
    es.addEventListener('window', (e) => {
      if (!mine()) return
      alive()
      this.h.onWindow?.((parse((e as MessageEvent).data) ?? {}) as { after?: number })
    })
    es.addEventListener('shutdown', () => {
      if (!mine()) return
      this.shutdownSeen = true
      this.fail(false)
    })
    es.addEventListener('error', () => {
      if (!mine()) return
      // CLOSED: the browser gave up (a non-200 answer). CONNECTING: it would retry with
      // Last-Event-ID and no backoff. Either way, take over: close, back off, reopen with ?after=.
      this.fail(es.readyState === EventSource.CLOSED)
    })
    this.h.onChange?.()
  }

  private fail(check: boolean): void {
    this.clear()
    this.status = 'waiting'
    const delay = backoffDelay(this.attempts, BACKOFF_BASE_MS, BACKOFF_CAP_MS)
    this.attempts++
    this.retryAt = Date.now() + delay
    this.quietUntil = 0
    this.timer = setTimeout(() => this.open(false), delay)
    this.h.onChange?.()
    if (check && this.h.probe && !this.probing) {
      this.probing = true
      this.h
        .probe()
        .then((ok) => {
          if (!ok) this.stop()
        })
        .finally(() => {
          this.probing = false
        })
    }
  }
}

function parse(s: string): unknown {
  try {
    return JSON.parse(s)
  } catch {
    return null
  }
}

/** Reopen every stream now: the page came back, or the network did. */
export function kickAll(): void {
  for (const s of streams) s.kick()
}

/** The device went offline: close every stream; they retry with backoff until `online` kicks them. */
export function dropAll(): void {
  for (const s of streams) s.drop()
}

let watchdogTimer: ReturnType<typeof setInterval> | null = null
export function startWatchdog(): void {
  watchdogTimer ??= setInterval(() => {
    const now = Date.now()
    for (const s of streams) s.watchdog(now)
  }, 5_000)
}
