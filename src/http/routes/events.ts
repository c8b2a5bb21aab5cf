import { gzipSync } from 'node:zlib'
import { Hono, type Context } from 'hono'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { AppError, notFound } from '../../errors.js'
import { planCatchup } from '../../events/catchup-plan.js'
import type { EventLog } from '../../events/event-log.js'
import type { Presence } from '../../notify/presence.js'
import type { SessionFeed } from '../../sessions/feed.js'
import type { SessionService } from '../../sessions/service.js'
import type { Store } from '../../storage/store.js'
import type { AppEnv } from '../env.js'
import { streamSessionList } from '../list-stream.js'
import { historyBody } from '../history.js'
import { AttachQuery, Cursor, HistoryQuery } from '../schemas.js'
import { streamSession } from '../session-stream.js'
import { acceptsGzip } from '../sse-gzip.js'
import { frame, SSE_HEADERS, type SseRegistry } from '../sse.js'
import { parseWith, sessionIdParam } from '../validate.js'

/** Below this, a replay is sent as it is: compression would cost each stream ~80 KB for little. */
const GZIP_MIN_BYTES = 8 * 1024
/** Exact replays are not sized up front; ids are global, so this over-counts, which is fine. */
const GZIP_MIN_EXACT_IDS = 64

/** The read side: SSE attach, the JSON history page, and the session-list stream. */
export function eventRoutes(deps: {
  store: Store
  eventLog: EventLog
  feed: SessionFeed
  registry: SseRegistry
  service: SessionService
  isDraining: () => boolean
  /** Visible pages attached to a session (`?visible=1`): pushes for it are skipped meanwhile. */
  presence?: Presence
}) {
  const app = new Hono<AppEnv>()

  /** The Node response to stream on; null while draining, after telling the client to come back. */
  const rawResponse = (c: Context<AppEnv>) => {
    const env = c.env
    if (!env?.outgoing) throw new AppError(400, 'no_stream', 'streams need a Node HTTP connection')
    if (deps.isDraining()) {
      // Not a 503: EventSource never retries after an error status. A shutdown frame and the end
      // of the stream make it reconnect, to the next daemon.
      const conn = deps.registry.open(env.outgoing, c.get('token'))
      deps.registry.write(conn, frame('shutdown', {}))
      env.outgoing.end()
      return null
    }
    return env.outgoing
  }

  // Hono answers HEAD with the GET handler and then writes its own head: a raw stream opened for a
  // HEAD would get a second head written over it (ERR_HTTP_HEADERS_SENT) and stay subscribed.
  const headOnly = (c: Context) => c.body(null, 200, SSE_HEADERS)

  app.get('/sessions/:id/events', (c) => {
    const id = sessionIdParam(c)
    // Last-Event-ID is what EventSource sends on its own reconnect; it wins over ?after=.
    const header = c.req.header('last-event-id')
    const query = c.req.query('after')
    const cursor =
      header !== undefined
        ? parseWith(Cursor, header.trim(), 'Last-Event-ID')
        : query !== undefined
          ? parseWith(Cursor, query, 'after')
          : 0
    const q = parseWith(
      AttachQuery,
      { mode: c.req.query('mode'), turns: c.req.query('turns') },
      'query'
    )
    const bounds = deps.store.cursorBounds(id)
    if (bounds === null) throw notFound('session', id)
    if (c.req.method === 'HEAD') return headOnly(c)
    const res = rawResponse(c)
    if (res) {
      if (deps.presence && c.req.query('visible') === '1')
        res.once('close', deps.presence.attach(id))
      const gzipOk = acceptsGzip(c.req.header('accept-encoding'))
      const source = {
        read: (after: number, limit: number) => deps.eventLog.read(id, after, limit),
        turnStartBefore: (before: number, n: number) => deps.store.turnStartBefore(id, before, n),
      }
      streamSession(res, deps, {
        sessionId: id,
        token: c.get('token'),
        cursor,
        ...bounds,
        catchup:
          q.mode === 'catchup'
            ? (from) => planCatchup(source, from, bounds.head, q.turns ?? null)
            : undefined,
        gzip: (plan, from) =>
          gzipOk &&
          (plan ? plan.bytes >= GZIP_MIN_BYTES : bounds.head - from >= GZIP_MIN_EXACT_IDS),
      })
    }
    return RESPONSE_ALREADY_SENT
  })

  app.get('/sessions/:id/history', (c) => {
    const id = sessionIdParam(c)
    const q = parseWith(HistoryQuery, c.req.query(), 'query')
    const head = deps.store.headEventId(id)
    if (head === null) throw notFound('session', id)
    const body = historyBody(deps.store, id, head, q)
    c.header('Content-Type', 'application/json')
    c.header('Vary', 'Accept-Encoding')
    if (body.length >= 1024 && acceptsGzip(c.req.header('accept-encoding'))) {
      c.header('Content-Encoding', 'gzip')
      return c.body(new Uint8Array(gzipSync(body)))
    }
    return c.body(body)
  })

  app.get('/events', (c) => {
    if (c.req.method === 'HEAD') return headOnly(c)
    const res = rawResponse(c)
    const list = { registry: deps.registry, feed: deps.feed, list: deps.service.list }
    if (res) streamSessionList(res, list, c.get('token'))
    return RESPONSE_ALREADY_SENT
  })

  return app
}
