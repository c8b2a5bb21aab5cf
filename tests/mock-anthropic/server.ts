// In-process mock of the Anthropic Messages API, good enough to drive the real `claude` CLI.
//
// Endpoints: POST /v1/messages[?beta=true] (SSE when stream:true, JSON otherwise),
// POST /v1/messages/count_tokens, GET /v1/models, GET /v1/models/{id}, HEAD|GET /api/hello, HEAD|GET /,
// GET /_mock/requests (summaries), POST /_mock/reset. Anything else: 404 Anthropic error body.
//
// The reply is scripted by the latest prompt (last non-<system-reminder> text block of the last user
// message that has one). Directives (combinable):
//   (none)                 text `ECHO: <prompt>`
//   [tool:bash <cmd>]      text `RUN: <cmd>` + tool_use Bash {command, description}, stop_reason tool_use;
//                          after the tool_result comes back: `TOOL RESULT: <text>` (`(error) ` when is_error)
//   [tool:write <path> <content>]  the same with Write {file_path, content}
//   [tool:ask <q>|<opt>|<opt>]     the same with AskUserQuestion (one question, its options)
//   [tool:plan <text>]             the same with ExitPlanMode {plan}
//   [slow:<ms>]            the text is streamed in many small deltas spread over <ms>
//   [long:<n>]             ~<n> KiB of extra text in 512-byte deltas
//   [think] [think:<t>]    a thinking block first (thinking_delta + signature_delta)
//   [error:<s>]            HTTP error <s> every time; [error:<s>:<k>] only the first <k> attempts
//                          (attempts are counted per prompt and stage of the turn)
//   [delay:<ms>]           wait before sending the headers
//   [disconnect:<ms>]      destroy the socket <ms> into the stream ([disconnect:<ms>:<k>]: first k attempts)
//   [history]              list every earlier user text, assistant text, tool_use and tool_result
//   [stop:<reason>]        report that stop_reason instead of end_turn
//   [markdown]             heading, list, table and fenced code block
//   [html]                 a reply containing an XSS payload literally (see HTML_PAYLOAD)
// Side requests (no tools, max_tokens < 8192) get `MOCK SIDE REPLY: ...` (MOCK_SIDE_DIRECTIVES=1 to script them).
import { mkdirSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { parseRequest, planReply, mockId, type MessagesBody } from './script.js'
import { buildMessage, buildSse, errorBody } from './sse.js'

export { HTML_PAYLOAD } from './content.js'

export interface MockRequestSummary {
  id: number
  path: string
  prompt: string | null
  messageCount: number
  roles: string[]
  toolResults: { toolUseId: string; isError: boolean; text: string }[]
  /** non-<system-reminder> text blocks of all user messages in the request, in order */
  texts: string[]
  /** base64 image blocks of all user messages, in order */
  images: { mediaType: string; bytes: number; sha256: string }[]
  /** the request's system prompt, its text blocks joined */
  system: string
  stream: boolean
  model: string
  /** short description of what was sent */
  reply: string
  status: number
  /** the client closed the connection before the response was complete */
  aborted: boolean
}

export interface MockAnthropic {
  url: string
  port: number
  requests(): MockRequestSummary[]
  reset(): void
  close(): Promise<void>
}

export interface MockOptions {
  port?: number
  host?: string
  /** write every request (method, url, headers, body) to <dumpDir>/<id>.json */
  dumpDir?: string
  /** receives one JSON line per finished request */
  log?: (line: string) => void
}

const MODELS = ['claude-opus-5-5', 'claude-sonnet-5-5', 'claude-haiku-5-5']

function modelInfo(id: string): Record<string, unknown> {
  return {
    type: 'model',
    id,
    display_name: id.replace(/-/g, ' '),
    created_at: '2026-01-01T00:00:00Z',
  }
}

export function startMockAnthropic(opts: MockOptions = {}): Promise<MockAnthropic> {
  const summaries: MockRequestSummary[] = []
  const attempts = new Map<string, number>()
  const cancels = new Set<() => void>()
  let nextId = 0
  if (opts.dumpDir) mkdirSync(opts.dumpDir, { recursive: true })

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('error', () => undefined)
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'))
      } catch (e) {
        opts.log?.(JSON.stringify({ mockError: String(e) }))
        if (!res.headersSent) res.writeHead(500).end()
        else res.destroy()
      }
    })
  })

  function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    const started = Date.now()
    const id = ++nextId
    const requestId = mockId('req_mock')
    const method = req.method ?? 'GET'
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const summary: MockRequestSummary = {
      id,
      path,
      prompt: null,
      messageCount: 0,
      roles: [],
      toolResults: [],
      texts: [],
      images: [],
      system: '',
      stream: false,
      model: '',
      reply: '',
      status: 0,
      aborted: false,
    }
    summaries.push(summary)
    let unknown = false
    let selfDisconnect = false
    let cancelled = false
    const timers = new Set<NodeJS.Timeout>()
    const wakers = new Set<() => void>()
    const cancel = (): void => {
      cancelled = true
      for (const t of timers) clearTimeout(t)
      timers.clear()
      for (const w of wakers) w()
      wakers.clear()
    }
    cancels.add(cancel)
    const sleep = (ms: number): Promise<void> =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t)
          wakers.delete(resolve)
          resolve()
        }, ms)
        timers.add(t)
        wakers.add(resolve)
      })
    res.setHeader('request-id', requestId)
    res.on('close', () => {
      if (!res.writableFinished && !selfDisconnect) summary.aborted = true
      cancel()
      cancels.delete(cancel)
      opts.log?.(
        JSON.stringify({
          id,
          method,
          url: req.url,
          status: summary.status,
          prompt: summary.prompt?.slice(0, 200) ?? null,
          messages: summary.messageCount,
          reply: summary.reply,
          aborted: summary.aborted,
          ms: Date.now() - started,
          ...(unknown ? { unknown: true } : {}),
        })
      )
    })
    if (opts.dumpDir) {
      let body: unknown = raw
      try {
        body = raw ? JSON.parse(raw) : null
      } catch {
        /* keep raw */
      }
      writeFileSync(
        join(opts.dumpDir, `${String(id).padStart(4, '0')}.json`),
        JSON.stringify({ id, method, url: req.url, headers: req.headers, body }, null, 1)
      )
    }
    const sendJson = (status: number, body: unknown, extra: Record<string, string> = {}): void => {
      summary.status = status
      const text = JSON.stringify(body)
      res.writeHead(status, { 'content-type': 'application/json', ...extra })
      res.end(method === 'HEAD' ? undefined : text)
    }
    const sendError = (status: number, message?: string): void => {
      summary.reply ||= `error ${status}`
      sendJson(
        status,
        errorBody(status, requestId, message),
        status === 429 ? { 'retry-after': '1' } : {}
      )
    }

    if ((method === 'GET' || method === 'HEAD') && (path === '/' || path === '/api/hello')) {
      summary.reply = 'hello'
      return sendJson(200, { ok: true })
    }
    if (method === 'GET' && path === '/_mock/requests') {
      summary.reply = 'summaries'
      return sendJson(
        200,
        summaries.filter((s) => s !== summary)
      )
    }
    if (method === 'POST' && path === '/_mock/reset') {
      reset()
      summaries.push(summary)
      summary.reply = 'reset'
      return sendJson(200, { ok: true })
    }
    if (method === 'GET' && path === '/v1/models') {
      summary.reply = 'models'
      return sendJson(200, {
        data: MODELS.map(modelInfo),
        has_more: false,
        first_id: MODELS[0],
        last_id: MODELS[MODELS.length - 1],
      })
    }
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      summary.reply = 'model'
      return sendJson(200, modelInfo(decodeURIComponent(path.slice('/v1/models/'.length))))
    }
    if (method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens')) {
      unknown = true
      return sendError(404, `Mock: unknown endpoint ${method} ${path}`)
    }

    let body: MessagesBody
    try {
      body = JSON.parse(raw) as MessagesBody
      if (!body || typeof body !== 'object') throw new Error('not an object')
    } catch {
      return sendError(400, 'Mock: request body is not JSON')
    }
    const parsed = parseRequest(body)
    Object.assign(summary, {
      prompt: parsed.prompt,
      messageCount: parsed.messageCount,
      roles: parsed.roles,
      toolResults: parsed.toolResults,
      texts: parsed.texts,
      images: parsed.images,
      stream: parsed.stream,
      model: parsed.model,
      system:
        typeof body.system === 'string'
          ? body.system
          : Array.isArray(body.system)
            ? body.system.map((b) => (typeof b?.text === 'string' ? b.text : '')).join('\n')
            : '',
    })
    if (path === '/v1/messages/count_tokens') {
      summary.reply = `count_tokens ${parsed.inputTokens}`
      return sendJson(200, { input_tokens: parsed.inputTokens })
    }

    const key = `${parsed.prompt ?? ''}\u0000${parsed.messageCount}`
    const attempt = (attempts.get(key) ?? 0) + 1
    attempts.set(key, attempt)
    const plan = planReply(body, parsed, attempt)
    summary.reply = `${parsed.stream ? 'sse' : 'json'} ${plan.describe}`
    const messageId = mockId('msg_mock')
    const model = parsed.model || MODELS[0]!

    void (async () => {
      if (plan.delayMs > 0) await sleep(plan.delayMs)
      if (cancelled) return
      if (plan.errorStatus !== null) return sendError(plan.errorStatus)
      if (plan.disconnectMs !== null) {
        const t = setTimeout(() => {
          selfDisconnect = true
          summary.reply += ' (disconnected)'
          res.destroy()
        }, plan.disconnectMs)
        timers.add(t)
      }
      if (!parsed.stream) {
        if (plan.disconnectMs !== null) {
          summary.status = 200
          res.writeHead(200, { 'content-type': 'application/json' })
          return // the disconnect timer destroys the socket
        }
        return sendJson(200, buildMessage(plan, messageId, model, parsed.inputTokens))
      }
      summary.status = 200
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      })
      for (const step of buildSse(plan, messageId, model, parsed.inputTokens)) {
        if (step.final && plan.disconnectMs !== null) return // hold the end back until the disconnect
        if (step.delayMs > 0) await sleep(step.delayMs)
        if (cancelled || res.destroyed) return
        res.write(step.frame)
      }
      res.end()
    })().catch((e: unknown) => {
      opts.log?.(JSON.stringify({ id, mockError: String(e) }))
      res.destroy()
    })
  }

  function reset(): void {
    summaries.length = 0
    attempts.clear()
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const addr = server.address() as AddressInfo
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
      resolve({
        url: `http://${host}:${addr.port}`,
        port: addr.port,
        requests: () => summaries.map((s) => ({ ...s })),
        reset,
        close: () =>
          new Promise<void>((done) => {
            for (const c of [...cancels]) c()
            server.close(() => done())
            server.closeAllConnections()
          }),
      })
    })
  })
}
