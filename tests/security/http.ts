/**
 * Raw HTTP for the security tests: node:http with full control over Host, Origin, Cookie,
 * duplicated headers and the client's source address (127.0.0.x), which fetch does not allow.
 */
import { Agent, request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import { expect } from 'vitest'
import { withTimeout } from '../helpers/wait.js'

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  text: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any
}

export interface RawRequest {
  method?: string
  path: string
  headers?: OutgoingHttpHeaders
  body?: string | Buffer
  /** Source address of the client socket; every 127.0.0.x is loopback on Linux. */
  localAddress?: string
  agent?: Agent | false
  /** Stop reading after the headers (SSE streams always stop there). */
  headersOnly?: boolean
  timeoutMs?: number
}

/** One request; resolves with the whole response (or its head for a stream). */
export function raw(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl)
  const timeoutMs = req.timeoutMs ?? 15_000
  const headers: OutgoingHttpHeaders = { ...req.headers }
  const method = req.method ?? 'GET'
  // node:http frames a body as chunked only for POST/PUT/PATCH-like methods; a GET or DELETE body
  // would go out unframed (a broken request), so give those a Content-Length.
  if (
    req.body !== undefined &&
    headers['content-length'] === undefined &&
    headers['transfer-encoding'] === undefined &&
    /^(GET|HEAD|DELETE|OPTIONS|TRACE|CONNECT)$/.test(method)
  ) {
    headers['content-length'] = String(Buffer.byteLength(req.body))
  }
  return withTimeout(
    new Promise<RawResponse>((resolve, reject) => {
      const r = request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path: req.path,
          headers,
          agent: req.agent ?? false,
          ...(req.localAddress ? { localAddress: req.localAddress } : {}),
        },
        (res) => {
          // A stream never ends on its own: its head is the answer.
          if (
            req.headersOnly ||
            String(res.headers['content-type'] ?? '').startsWith('text/event-stream')
          ) {
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: '',
              json: undefined,
            })
            res.destroy()
            return
          }
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('error', reject)
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            let json: unknown
            try {
              json = text === '' ? undefined : JSON.parse(text)
            } catch {
              json = undefined
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
          })
        }
      )
      r.on('error', reject)
      if (req.body !== undefined) r.write(req.body)
      r.end()
    }),
    timeoutMs,
    `${req.method ?? 'GET'} ${req.path.slice(0, 80)}`
  )
}

/**
 * Bytes straight onto a socket: for requests node:http will not build. Resolves with the first
 * response (or whatever came before the server hung up). When nothing complete has come back after
 * `idleMs`, the socket is half-closed, so a server waiting for more bytes sees the end of them.
 */
export function rawSocket(
  baseUrl: string,
  bytes: string | Buffer,
  opts: { timeoutMs?: number; idleMs?: number; localAddress?: string } = {}
): Promise<string> {
  const url = new URL(baseUrl)
  return withTimeout(
    new Promise<string>((resolve) => {
      const s = connect({
        host: url.hostname,
        port: Number(url.port),
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      })
      const chunks: Buffer[] = []
      let done = false
      let idle: NodeJS.Timeout | undefined
      const finish = () => {
        if (done) return
        done = true
        clearTimeout(idle)
        s.destroy()
        resolve(Buffer.concat(chunks).toString('latin1'))
      }
      const armIdle = () => {
        clearTimeout(idle)
        idle = setTimeout(() => s.end(), opts.idleMs ?? 500)
      }
      s.on('data', (c: Buffer) => {
        chunks.push(c)
        armIdle()
        // One complete response is enough: stop at the end of a Content-Length body (or a bodiless head).
        const t = Buffer.concat(chunks).toString('latin1')
        const head = t.indexOf('\r\n\r\n')
        if (head < 0) return
        const m = /\r\ncontent-length: *(\d+)/i.exec(t.slice(0, head))
        if (m && t.length - head - 4 >= Number(m[1])) finish()
        if (!m && !/\r\ntransfer-encoding:/i.test(t.slice(0, head))) finish()
      })
      s.on('end', finish)
      s.on('close', finish)
      s.on('error', finish)
      s.write(bytes)
      armIdle()
    }),
    opts.timeoutMs ?? 10_000,
    'a raw socket response'
  )
}

const ERROR_CODE = /^[a-z][a-z0-9_]*$/

/** The documented error shape, exactly: `{"error":{"code","message"}}` and nothing else. */
export function isErrorShape(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false
  const keys = Object.keys(v)
  if (keys.length !== 1 || keys[0] !== 'error') return false
  const e = (v as { error: unknown }).error
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return false
  const ek = Object.keys(e).sort()
  if (ek.length !== 2 || ek[0] !== 'code' || ek[1] !== 'message') return false
  const { code, message } = e as { code: unknown; message: unknown }
  return (
    typeof code === 'string' &&
    ERROR_CODE.test(code) &&
    typeof message === 'string' &&
    message.length > 0
  )
}

export function expectError(r: RawResponse, status: number, code?: string): void {
  const label = `${r.status} ${r.text.slice(0, 300)}`
  expect(r.status, label).toBe(status)
  expect(String(r.headers['content-type']), label).toMatch(/^application\/json/)
  expect(isErrorShape(r.json), label).toBe(true)
  if (code !== undefined) expect(r.json.error.code, label).toBe(code)
}

/** The value of our cookie in a Set-Cookie list, and its attributes (lower-cased names). */
export function parseSetCookie(
  setCookie: string[] | undefined,
  name: string
): { value: string; attrs: Map<string, string> } | null {
  for (const line of setCookie ?? []) {
    const [pair, ...rest] = line.split(';').map((s) => s.trim())
    const eq = pair!.indexOf('=')
    if (pair!.slice(0, eq) !== name) continue
    const attrs = new Map<string, string>()
    for (const a of rest) {
      const i = a.indexOf('=')
      attrs.set((i < 0 ? a : a.slice(0, i)).toLowerCase(), i < 0 ? '' : a.slice(i + 1))
    }
    return { value: pair!.slice(eq + 1), attrs }
  }
  return null
}
