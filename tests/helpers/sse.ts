import { request, type ClientRequest, type IncomingMessage } from 'node:http'
import { createGunzip } from 'node:zlib'
import { withTimeout } from './wait.js'

export interface SseFrame {
  event: string
  id: string | null
  data: string
}

import type { WireEvent } from '../../src/events/types.js'

export type LogEvent = WireEvent

/** A real SSE client over node:http, parsing frames as the WHATWG spec says (enough for our server). */
export interface SseClient {
  readonly status: number
  readonly headers: IncomingMessage['headers']
  readonly frames: SseFrame[]
  /** Default-message frames parsed as log events. */
  readonly events: LogEvent[]
  readonly lastEventId: string | null
  readonly closed: boolean
  waitFor(pred: (c: SseClient) => boolean, label: string, ms?: number): Promise<void>
  waitForEvent(pred: (e: LogEvent) => boolean, label: string, ms?: number): Promise<LogEvent>
  close(): void
}

export async function openSse(
  url: string,
  opts: { token?: string; lastEventId?: string; headers?: Record<string, string> } = {}
): Promise<SseClient> {
  const frames: SseFrame[] = []
  const events: LogEvent[] = []
  const waiters = new Set<() => void>()
  let lastEventId: string | null = null
  let closed = false
  let req: ClientRequest
  const notify = () => {
    for (const w of [...waiters]) w()
  }

  const res = await withTimeout(
    new Promise<IncomingMessage>((resolve, reject) => {
      const headers: Record<string, string> = { Accept: 'text/event-stream', ...opts.headers }
      if (opts.token) headers.Authorization = `Bearer ${opts.token}`
      if (opts.lastEventId !== undefined) headers['Last-Event-ID'] = opts.lastEventId
      req = request(url, { headers }, resolve)
      req.on('error', reject)
      req.end()
    }),
    10_000,
    `SSE response from ${url}`
  )

  let buffer = ''
  let cur: { event: string; id: string | null; data: string[] } = {
    event: 'message',
    id: null,
    data: [],
  }
  // A gzip'd stream (asked for with an Accept-Encoding header) is read through a decoder.
  const body = res.headers['content-encoding'] === 'gzip' ? res.pipe(createGunzip()) : res
  body.setEncoding('utf8')
  body.on('data', (chunk: string) => {
    buffer += chunk
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '')
      buffer = buffer.slice(nl + 1)
      if (line === '') {
        if (cur.id !== null) lastEventId = cur.id
        if (cur.data.length > 0) {
          const f = { event: cur.event, id: cur.id, data: cur.data.join('\n') }
          frames.push(f)
          if (f.event === 'message') events.push(JSON.parse(f.data) as LogEvent)
        }
        cur = { event: 'message', id: null, data: [] }
        continue
      }
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'data') cur.data.push(value)
      else if (field === 'event') cur.event = value
      else if (field === 'id') cur.id = value
    }
    notify()
  })
  const onEnd = () => {
    closed = true
    notify()
  }
  res.on('end', onEnd)
  res.on('close', onEnd)
  res.on('error', onEnd)
  if (body !== res) body.on('error', onEnd)

  const client: SseClient = {
    get status() {
      return res.statusCode ?? 0
    },
    headers: res.headers,
    frames,
    events,
    get lastEventId() {
      return lastEventId
    },
    get closed() {
      return closed
    },
    waitFor(pred, label, ms = 20_000) {
      if (pred(client)) return Promise.resolve()
      return withTimeout(
        new Promise<void>((resolve) => {
          const w = () => {
            if (pred(client)) {
              waiters.delete(w)
              resolve()
            }
          }
          waiters.add(w)
        }),
        ms,
        label
      )
    },
    async waitForEvent(pred, label, ms) {
      await client.waitFor(() => events.some(pred), label, ms)
      return events.find(pred)!
    },
    close() {
      req.destroy()
      res.destroy()
    },
  }
  return client
}

export const turnEnded = (turnId: string) => (e: LogEvent) =>
  e.kind === 'turn.ended' && e.turnId === turnId
