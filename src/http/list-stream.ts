import type { ServerResponse } from 'node:http'
import type { SessionFeed } from '../sessions/feed.js'
import type { Session } from '../sessions/types.js'
import { frame, type SseRegistry } from './sse.js'

/** A client this far behind on the session list is dropped; on reconnect it gets the whole list again. */
const MAX_BUFFERED_BYTES = 1024 * 1024

/** GET /events: the current list as session.updated messages, `caught-up`, then changes. */
export function streamSessionList(
  res: ServerResponse,
  deps: { registry: SseRegistry; feed: SessionFeed; list: () => Session[] },
  token: string
): void {
  const conn = deps.registry.open(res, token)
  const unsubscribe = deps.feed.subscribe((m) => {
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      res.destroy()
      return
    }
    deps.registry.write(conn, `data: ${JSON.stringify(m)}\n\n`)
  })
  res.once('close', unsubscribe)
  let out = ''
  for (const session of deps.list())
    out += `data: ${JSON.stringify({ kind: 'session.updated', session })}\n\n`
  deps.registry.write(conn, out + frame('caught-up', {}))
}
