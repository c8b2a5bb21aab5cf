import type { ServerResponse } from 'node:http'
import type { Writable } from 'node:stream'
import type { TokenSource } from '../auth/token-file.js'
import { SECURITY_HEADERS } from './security.js'
import { gzipFor } from './sse-gzip.js'

/**
 * SSE written straight to the Node response. Hono's streamSSE costs ~3x the memory per idle
 * connection and hides backpressure; here a blocked socket is visible (write() → false) and a
 * reader that stays blocked is cut off instead of buffered for.
 *
 * The registry is the one owner of every open stream: it pings them, cuts off the ones that stay
 * blocked, and ends the ones opened with a token that has since been rotated.
 */
export interface SseConnection {
  readonly res: ServerResponse
  /** The token that authenticated the stream; when it is no longer in force, the stream ends. */
  readonly token: string
  /** Where frames go: the response itself, or a gzip stream in front of it. */
  readonly out: Writable
  /** Pushes what a compressor holds to the socket, after every write (none when uncompressed). */
  readonly flush?: () => void
  /** Set while the socket refuses more data; a reader stays behind in the log meanwhile. */
  blockedSince: number | null
}

export interface SseRegistry {
  open(res: ServerResponse, token: string, opts?: { gzip?: boolean }): SseConnection
  /** Writes a chunk; false when the socket is full and the caller must wait for onDrain. */
  write(conn: SseConnection, chunk: string): boolean
  /**
   * Every open stream gets `event: shutdown` and is ended, so EventSource reconnects to the next
   * daemon. Resolves once every stream has flushed its last bytes to the kernel (or after `graceMs`):
   * a socket destroyed earlier loses what is still buffered, the shutdown frame first of all.
   */
  shutdown(graceMs?: number): Promise<void>
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

/** How often streams are checked against the token in force: a leaked login stops reading soon. */
const TICK_MS = 2000

export function createSseRegistry(opts: {
  tokens: TokenSource
  pingMs?: number
  writeTimeoutMs?: number
  now?: () => number
}): SseRegistry {
  const pingMs = opts.pingMs ?? 15_000
  const writeTimeoutMs = opts.writeTimeoutMs ?? 30_000
  const now = opts.now ?? Date.now
  const conns = new Set<SseConnection>()
  let lastPing = now()

  // One timer for every connection: a per-connection interval costs memory at 10k clients.
  const timer = setInterval(
    () => {
      const t = now()
      const ping = t - lastPing >= pingMs
      if (ping) lastPing = t
      const token = opts.tokens.current()
      for (const c of conns) {
        if (c.token !== token) {
          // Rotated: the client's EventSource reconnects and gets a 401.
          conns.delete(c)
          // Through the compressor, if any, so a gzip stream ends with its trailer.
          if (!c.res.writableEnded && !c.out.writableEnded) c.out.end()
        } else if (c.blockedSince !== null) {
          if (t - c.blockedSince > writeTimeoutMs) c.res.destroy()
        } else if (ping) {
          write(c, PING)
        }
      }
    },
    Math.min(TICK_MS, pingMs)
  )
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
    open(res, token, o) {
      // Jitter spreads the reconnects of every phone when a daemon restarts.
      const retry = 1000 + Math.floor(Math.random() * 2000)
      const headers = o?.gzip
        ? { ...SSE_HEADERS, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' }
        : SSE_HEADERS
      res.writeHead(200, headers)
      const gz = o?.gzip ? gzipFor(res) : null
      const conn: SseConnection = gz
        ? { res, token, out: gz.out, flush: gz.flush, blockedSince: null }
        : { res, token, out: res, blockedSince: null }
      write(conn, `retry: ${retry}\n\n`)
      conns.add(conn)
      res.once('close', () => conns.delete(conn))
      return conn
    },
    write,
    async shutdown(graceMs = 2000) {
      const flushed: Promise<void>[] = []
      for (const c of conns) {
        if (c.res.destroyed || c.res.writableEnded || c.out.writableEnded) continue
        flushed.push(
          new Promise((resolve) => {
            // A client gone meanwhile never gets 'finish'. The response's own 'finish' (not the
            // compressor's) is when the last bytes, gzip trailer included, reached the kernel.
            c.res.once('close', resolve)
            c.res.once('finish', resolve)
            c.out.end(frame('shutdown', {}))
          })
        )
      }
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))
      await Promise.race([Promise.all(flushed), late])
      clearTimeout(timer)
    },
    get size() {
      return conns.size
    },
    close() {
      clearInterval(timer)
    },
  }
}
