/**
 * A lean SSE client over node:http for load generation: it splits frames on blank lines and hands
 * each to a callback with the receive time of the chunk it arrived in. No JSON parsing unless the
 * caller does it.
 */
import { Agent, request, type ClientRequest, type IncomingMessage } from 'node:http'
import { TOKEN } from './daemon.js'
import { wallNow } from './stats.js'

export interface Frame {
  /** `message` unless an `event:` line said otherwise. */
  event: string
  /** The `id:` value, or -1. */
  id: number
  data: string
}

export interface SseOptions {
  token?: string | null
  lastEventId?: number
  /** Called for each complete frame; `t` is the wall-clock receive time (ms, sub-ms resolution). */
  onFrame?: (f: Frame, t: number) => void
  /** Called on the first body byte. */
  onFirstByte?: (t: number) => void
  onClose?: (err?: Error) => void
}

export interface SseStream {
  req: ClientRequest
  res: IncomingMessage
  /** Wall-clock ms when the request was sent. */
  sentAt: number
  /** Wall-clock ms when the response headers arrived. */
  headersAt: number
  bytes: number
  close(): void
}

/** Each stream its own socket (EventSource does the same). */
export const sseAgent = new Agent({ keepAlive: false, maxSockets: Infinity })

export function openSse(url: string, opts: SseOptions = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'text/event-stream' }
    const token = opts.token === undefined ? TOKEN : opts.token
    if (token) headers.Authorization = `Bearer ${token}`
    if (opts.lastEventId !== undefined) headers['Last-Event-ID'] = String(opts.lastEventId)
    const sentAt = wallNow()
    const req = request(url, { headers, agent: sseAgent })
    req.on('error', (e) => {
      reject(e)
      opts.onClose?.(e)
    })
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume()
        reject(new Error(`SSE ${url}: HTTP ${res.statusCode}`))
        return
      }
      const stream: SseStream = {
        req,
        res,
        sentAt,
        headersAt: wallNow(),
        bytes: 0,
        close: () => {
          req.destroy()
        },
      }
      let buf = ''
      let first = true
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        const t = wallNow()
        if (first) {
          first = false
          opts.onFirstByte?.(t)
        }
        stream.bytes += chunk.length
        if (!opts.onFrame) return
        buf = buf.length === 0 ? chunk : buf + chunk
        let start = 0
        for (;;) {
          const end = buf.indexOf('\n\n', start)
          if (end < 0) break
          const f = parseFrame(buf, start, end)
          if (f) opts.onFrame(f, t)
          start = end + 2
        }
        buf = start === 0 ? buf : buf.slice(start)
      })
      res.on('close', () => opts.onClose?.())
      res.on('error', () => undefined)
      resolve(stream)
    })
    req.end()
  })
}

/** Parses the lines of one frame in buf[start, end). Comment-only frames give null. */
function parseFrame(buf: string, start: number, end: number): Frame | null {
  let event = 'message'
  let id = -1
  let data: string | null = null
  let pos = start
  while (pos < end) {
    let nl = buf.indexOf('\n', pos)
    if (nl < 0 || nl > end) nl = end
    const c = buf.charCodeAt(pos)
    if (c === 100 /* d */ && buf.startsWith('data: ', pos)) {
      const v = buf.slice(pos + 6, nl)
      data = data === null ? v : `${data}\n${v}`
    } else if (c === 105 /* i */ && buf.startsWith('id: ', pos)) {
      id = Number(buf.slice(pos + 4, nl))
    } else if (c === 101 /* e */ && buf.startsWith('event: ', pos)) {
      event = buf.slice(pos + 7, nl)
    }
    pos = nl + 1
  }
  return data === null ? null : { event, id, data }
}

/** `"kind":"…"` of a stored event's JSON without parsing it. */
export function kindOf(data: string): string {
  const i = data.indexOf('"kind":"')
  if (i < 0) return ''
  return data.slice(i + 8, data.indexOf('"', i + 8))
}

/** `"ts":"…"` of a stored event's JSON, as epoch ms, without parsing the rest. */
export function tsOf(data: string): number {
  const i = data.indexOf('"ts":"')
  if (i < 0) return NaN
  return Date.parse(data.slice(i + 6, data.indexOf('"', i + 6)))
}
