import { Hono, type Context } from 'hono'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import { AppError, notFound } from '../../errors.js'
import type { EventLog } from '../../events/event-log.js'
import type { Presence } from '../../notify/presence.js'
import type { SessionFeed } from '../../sessions/feed.js'
import type { SessionService } from '../../sessions/service.js'
import type { Store } from '../../storage/store.js'
import type { AppEnv } from '../env.js'
import { streamSessionList } from '../list-stream.js'
import { Cursor, HistoryQuery } from '../schemas.js'
import { streamSession } from '../session-stream.js'
import { frame, SSE_HEADERS, type SseRegistry } from '../sse.js'
import { parseWith, sessionIdParam } from '../validate.js'

const DEFAULT_HISTORY_LIMIT = 500

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
    const bounds = deps.store.cursorBounds(id)
    if (bounds === null) throw notFound('session', id)
    if (c.req.method === 'HEAD') return headOnly(c)
    const res = rawResponse(c)
    if (res) {
      if (deps.presence && c.req.query('visible') === '1') res.once('close', deps.presence.attach(id))
      streamSession(res, deps, { sessionId: id, token: c.get('token'), cursor, ...bounds })
    }
    return RESPONSE_ALREADY_SENT
  })

  app.get('/sessions/:id/history', (c) => {
    const id = sessionIdParam(c)
    const q = parseWith(HistoryQuery, c.req.query(), 'query')
    const head = deps.store.headEventId(id)
    if (head === null) throw notFound('session', id)
    const limit = q.limit ?? DEFAULT_HISTORY_LIMIT
    const after = q.after ?? 0
    // One more than asked tells whether there is more, without a count query.
    const page = deps.store.readEvents(id, after, limit + 1)
    const hasMore = page.length > limit
    const events = hasMore ? page.slice(0, limit) : page
    const lastEventId = events.length > 0 ? events[events.length - 1]!.id : Math.min(after, head)
    // The stored JSON goes out as it is: no parse and re-serialise per event.
    const body = `{"events":[${events.map((e) => e.json).join(',')}],"lastEventId":${lastEventId},"hasMore":${hasMore}}`
    return c.body(body, 200, { 'Content-Type': 'application/json' })
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
