import type { ServerResponse } from 'node:http'
import type { Writable } from 'node:stream'
import { SECURITY_HEADERS } from './security.js'
import { gzipFor } from './sse-gzip.js'

/**
 * SSE written straight to the Node response. Hono's streamSSE costs ~3x the memory per idle
 * connection and hides backpressure; here a blocked socket is visible (write() → false) and a
 * reader that stays blocked is cut off instead of buffered for.
 */
export interface SseConnection {
  readonly res: ServerResponse
  /** Where frames go: the response itself, or a gzip stream in front of it. */
  readonly out: Writable
  /** Pushes what a compressor holds to the socket, after every write (none when uncompressed). */
  readonly flush?: () => void
  /** Set while the socket refuses more data; a reader stays behind in the log meanwhile. */
  blockedSince: number | null
}

export interface SseRegistry {
  open(res: ServerResponse, opts?: { gzip?: boolean }): SseConnection
  /** Writes a chunk; false when the socket is full and the caller must wait for onDrain. */
  write(conn: SseConnection, chunk: string): boolean
  /** Every open stream gets `event: shutdown` and is ended, so EventSource reconnects to the next daemon. */
  shutdown(): void
  readonly size: number
  close(): void
}

export const SSE_HEADERS = {
  // Written with writeHead, past the Hono middleware that adds these to every other response.
  ...SECURITY_HEADERS,
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Accel-Buffering': 'no',
} as const

/**
 * The comment keeps proxies from timing out an idle stream; the named event is what EventSource
 * can see (it never surfaces comments), so a page can tell an idle stream from a dead one.
 */
const PING = ': ping\nevent: ping\ndata: {}\n\n'

export function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
}

export function createSseRegistry(opts: { pingMs?: number; writeTimeoutMs?: number; now?: () => number } = {}): SseRegistry {
  const pingMs = opts.pingMs ?? 15_000
  const writeTimeoutMs = opts.writeTimeoutMs ?? 30_000
  const now = opts.now ?? Date.now
  const conns = new Set<SseConnection>()

  // One timer for every connection: a per-connection interval costs memory at 10k clients.
  const timer = setInterval(() => {
    const t = now()
    for (const c of conns) {
      if (c.blockedSince !== null) {
        if (t - c.blockedSince > writeTimeoutMs) c.res.destroy()
      } else {
        write(c, PING)
      }
    }
  }, pingMs)
  timer.unref()

  function write(conn: SseConnection, chunk: string): boolean {
    if (conn.res.destroyed || conn.res.writableEnded || conn.out.writableEnded) return false
    const ok = conn.out.write(chunk)
    conn.flush?.()
    if (!ok && conn.blockedSince === null) {
      conn.blockedSince = now()
      conn.out.once('drain', () => {
        conn.blockedSince = null
      })
    }
    return ok
  }

  return {
    open(res, o) {
      // Jitter spreads the reconnects of every phone when a daemon restarts.
      const retry = 1000 + Math.floor(Math.random() * 2000)
      res.writeHead(200, o?.gzip ? { ...SSE_HEADERS, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' } : SSE_HEADERS)
      const gz = o?.gzip ? gzipFor(res) : null
      const conn: SseConnection = gz ? { res, out: gz.out, flush: gz.flush, blockedSince: null } : { res, out: res, blockedSince: null }
      write(conn, `retry: ${retry}\n\n`)
      conns.add(conn)
      res.once('close', () => conns.delete(conn))
      return conn
    },
    write,
    shutdown() {
      for (const c of conns) {
        if (!c.res.destroyed && !c.out.writableEnded) c.out.end(frame('shutdown', {}))
      }
    },
    get size() {
      return conns.size
    },
    close() {
      clearInterval(timer)
    },
  }
}
