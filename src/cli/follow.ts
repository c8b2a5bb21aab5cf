import type { WireEvent } from '../events/types.js'
import { errorFromResponse, explainFailure, type ApiErrorBody } from './client.js'
import type { Target } from './connect.js'
import { CliError } from './io.js'
import { createSseParser, type SseFrame } from './sse-parser.js'

export type FollowState = 'connecting' | 'live' | 'reconnecting'

export interface FollowHandlers {
  /** Each log event once, in id order. Return 'stop' to end the follow. */
  onEvent(e: WireEvent): void | 'stop' | Promise<void | 'stop'>
  /** The replay is done: what follows is live. */
  onCaughtUp?(lastEventId: number): void | 'stop' | Promise<void | 'stop'>
  onState?(state: FollowState, detail?: string): void
}

const BACKOFF_MS = [250, 500, 1000, 2000, 3000]

/**
 * Follows a session's stream from a cursor, through drops and daemon restarts: every reconnect
 * sends Last-Event-ID (the last id handed out), so the daemon replays exactly what was missed.
 * Ids at or below the cursor are dropped, so nothing is shown twice. Ends on 'stop' or abort.
 */
export async function followSession(
  target: Target,
  sessionId: string,
  cursor: number,
  handlers: FollowHandlers,
  signal: AbortSignal
): Promise<void> {
  let last = cursor
  let attempt = 0
  let stopped = false
  while (!signal.aborted && !stopped) {
    handlers.onState?.(attempt === 0 ? 'connecting' : 'reconnecting')
    try {
      const base = target.url()
      const outcome = await streamOnce(base, target.token, sessionId, last, signal, async (f) => {
        const r = await handleFrame(f)
        if (r === 'stop') stopped = true
        return r
      })
      if (outcome === 'opened') attempt = 0
    } catch (err) {
      if (signal.aborted) return
      // The session is gone, or the token is wrong: retrying cannot help.
      if (err instanceof CliError && !isTransient(err)) throw err
      handlers.onState?.('reconnecting', err instanceof Error ? err.message : String(err))
    }
    if (stopped || signal.aborted) return
    const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!
    attempt++
    await sleep(delay / 2 + Math.random() * delay, signal)
  }

  async function handleFrame(f: SseFrame): Promise<void | 'stop'> {
    if (f.event === 'message') {
      const e = JSON.parse(f.data) as WireEvent
      if (e.id <= last) return
      // The cursor moves only once the event is handled: one whose handler failed (the daemon went
      // away mid-request) comes again after the reconnect.
      const r = await handlers.onEvent(e)
      last = e.id
      return r
    }
    if (f.event === 'caught-up') {
      handlers.onState?.('live')
      return handlers.onCaughtUp?.(last)
    }
    if (f.event === 'reset') {
      // Our cursor is past the session's head (it was re-created): go on from its head.
      last = (JSON.parse(f.data) as { lastEventId: number }).lastEventId
    }
    // `shutdown`: the stream ends and we reconnect, to the next daemon.
  }
}

const isTransient = (err: CliError) =>
  err.exitCode === 69 || (err as { status?: number }).status === 503

type Outcome = 'opened' | 'failed'

async function streamOnce(
  base: string,
  token: string,
  sessionId: string,
  after: number,
  signal: AbortSignal,
  onFrame: (f: SseFrame) => Promise<void | 'stop'>
): Promise<Outcome> {
  const ctl = new AbortController()
  const abort = () => ctl.abort()
  signal.addEventListener('abort', abort, { once: true })
  try {
    let res: Response
    try {
      res = await fetch(`${base}/sessions/${sessionId}/events`, {
        headers: {
          Authorization: `Bearer ${token}`,
          Accept: 'text/event-stream',
          'Last-Event-ID': String(after),
        },
        signal: ctl.signal,
      })
    } catch (err) {
      throw explainFailure({ url: () => base, source: base, token }, base, err)
    }
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => null)) as ApiErrorBody | null
      throw errorFromResponse(base, res.status, body)
    }
    const frames: SseFrame[] = []
    const parser = createSseParser((f) => frames.push(f))
    const decoder = new TextDecoder()
    try {
      for await (const chunk of res.body) {
        parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }))
        while (frames.length > 0) {
          if ((await onFrame(frames.shift()!)) === 'stop') return 'opened'
        }
      }
    } catch {
      // A dropped connection: the caller reconnects from the last id.
    }
    return 'opened'
  } finally {
    signal.removeEventListener('abort', abort)
    ctl.abort()
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
