import type { ServerResponse } from 'node:http'
import type { Writable } from 'node:stream'
import { constants, createGzip } from 'node:zlib'

/**
 * A gzip stream in front of an SSE response, flushed (Z_SYNC_FLUSH) after every write: a catch-up
 * burst shrinks several-fold, and a live frame still reaches the browser at once instead of
 * waiting in the compressor. Backpressure still works: the gzip stream refuses writes while the
 * socket is full. A smaller window keeps the per-connection state near 80 KB instead of ~270 KB; only
 * streams with a large catch-up get one (src/http/routes/events.ts).
 */
export function gzipFor(res: ServerResponse): { out: Writable; flush: () => void } {
  const gz = createGzip({ level: 6, windowBits: 13, memLevel: 6 })
  gz.pipe(res)
  // The client went away: free the compressor now.
  res.once('close', () => gz.destroy())
  gz.on('error', () => res.destroy())
  return { out: gz, flush: () => gz.flush(constants.Z_SYNC_FLUSH) }
}

/** Whether the client takes gzip: EventSource and fetch in every browser say so on their own. */
export function acceptsGzip(header: string | undefined): boolean {
  return (
    header !== undefined &&
    /(^|[\s,])gzip\s*(;\s*q=(?!0(\.0*)?\s*(,|$))[\d.]+\s*)?(,|$)/i.test(header)
  )
}
