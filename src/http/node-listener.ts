import { getRequestListener } from '@hono/node-server'
import type { RequestListener } from 'node:http'
import { malformedRequest } from './malformed.js'

/** The app as a node:http request listener: the one place the daemon meets @hono/node-server. */
export function nodeListener(app: {
  fetch: (req: Request) => Response | Promise<Response>
}): RequestListener {
  return getRequestListener(app.fetch, { errorHandler: malformedRequest })
}
