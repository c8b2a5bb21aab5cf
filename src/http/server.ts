import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { malformedRequest, onClientError } from './malformed.js'

/**
 * Strangers' connections are cheap for them and not for us. Until a request on it shows a valid
 * credential, a connection is "unauthenticated", and at most `max` of those stay open: the oldest
 * goes when a new one arrives. A new connection is never refused, so a flood cannot keep the owner
 * out; it can only shorten how long a stranger's idle connection lives.
 */
export interface ConnectionGuard {
  track(socket: Socket): void
  authenticated(socket: Socket): void
  readonly unauthenticated: number
}

export function createConnectionGuard(opts: { max?: number } = {}): ConnectionGuard {
  const max = opts.max ?? 128
  // A Set iterates in insertion order: its first entry is the oldest.
  const pending = new Set<Socket>()
  return {
    track(socket) {
      pending.add(socket)
      socket.once('close', () => pending.delete(socket))
      while (pending.size > max) {
        const oldest = pending.values().next().value!
        pending.delete(oldest)
        oldest.destroy()
      }
    },
    authenticated(socket) {
      pending.delete(socket)
    },
    get unauthenticated() {
      return pending.size
    },
  }
}

/**
 * Node's defaults give a client 60 s for its headers and 300 s for its whole request. Our
 * requests are small (1 MB at most, 1 KB on the open routes): 10 s and 60 s are plenty, and a
 * stalled stranger is dropped long before. Streams are responses: these limits do not touch them.
 */
export const HEADERS_TIMEOUT_MS = 10_000
export const REQUEST_TIMEOUT_MS = 60_000

export function createHttpServer(
  fetch: Parameters<typeof getRequestListener>[0],
  guard: ConnectionGuard
): Server {
  const server = createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      // Node enforces both only when it sweeps its connections, every 30 s by default.
      connectionsCheckingInterval: 2000,
    },
    getRequestListener(fetch, { errorHandler: malformedRequest })
  )
  server.on('connection', (socket: Socket) => guard.track(socket))
  server.on('clientError', onClientError)
  return server
}
