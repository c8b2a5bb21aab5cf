import type { Duplex } from 'node:stream'
import { errorBody } from '../errors.js'

/**
 * Requests that never reach the app (Node's parser refused them, or the adapter could not build
 * a Request from them) still get the documented JSON error, not an empty 400.
 */
const body = (code: string, message: string) => JSON.stringify(errorBody(code, message))

/** For @hono/node-server's errorHandler: the adapter could not make a Request (e.g. an unparseable Host). */
export function malformedRequest(err: unknown): Response {
  const isRequestError = (err as Error | null)?.name === 'RequestError'
  return new Response(
    isRequestError
      ? body('bad_request', 'the request could not be read')
      : body('internal_error', 'internal error'),
    {
      status: isRequestError ? 400 : 500,
      headers: { 'Content-Type': 'application/json', Connection: 'close' },
    }
  )
}

/** For the server's 'clientError' event: Node's HTTP parser rejected the bytes. */
export function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const [status, reason, code] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'headers_too_large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'request_timeout']
        : [400, 'Bad Request', 'bad_request']
  const text = body(code, 'the request is not valid HTTP')
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`
  )
}
