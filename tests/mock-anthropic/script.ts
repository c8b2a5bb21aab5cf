// Reads a Messages API request body and decides what the mock answers.
// The reply is scripted by directives in the latest prompt; the list is at the top of server.ts.
import { createHash } from 'node:crypto'
import { HTML_PAYLOAD, MARKDOWN_REPLY, chunk, longFiller, wordChunks } from './content.js'

/** A loosely typed Messages API content block (we only read what we need). */
export interface ContentBlock {
  type?: string
  text?: string
  thinking?: string
  id?: string
  name?: string
  input?: unknown
  tool_use_id?: string
  content?: unknown
  is_error?: boolean
  /** image blocks: { type: 'base64', media_type, data } */
  source?: unknown
}

export interface ApiMessage {
  role?: string
  content?: string | ContentBlock[]
}

export interface MessagesBody {
  model?: string
  stream?: boolean
  max_tokens?: number
  tools?: unknown[]
  system?: string | ContentBlock[]
  messages?: ApiMessage[]
}

export interface ToolResultInfo {
  toolUseId: string
  isError: boolean
  text: string
}

/** What the mock learned from a request. */
export interface ParsedRequest {
  prompt: string | null
  /** index in messages[] of the message the prompt came from (-1 if none) */
  promptIndex: number
  messageCount: number
  roles: string[]
  /** tool_result blocks of the whole request, in order */
  toolResults: ToolResultInfo[]
  /** non-<system-reminder> text blocks of all user messages, in order */
  texts: string[]
  /** tool_result blocks of the last message when it is a user message */
  lastToolResults: ToolResultInfo[]
  /** base64 image blocks of all user messages, in order (bytes decoded, sha256 of those bytes) */
  images: ImageInfo[]
  model: string
  stream: boolean
  maxTokens: number
  toolCount: number
  inputTokens: number
}

export type PlannedBlock =
  | { type: 'text'; text: string; deltas: string[]; intervalMs: number }
  | { type: 'thinking'; thinking: string; signature: string; deltas: string[] }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }

export interface ReplyPlan {
  blocks: PlannedBlock[]
  stopReason: string
  /** HTTP error to send instead of a message */
  errorStatus: number | null
  delayMs: number
  /** destroy the socket this many ms after the stream started */
  disconnectMs: number | null
  outputTokens: number
  /** short description for logs / summaries */
  describe: string
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
export function mockId(prefix: string, len = 24): string {
  let s = prefix
  for (let i = 0; i < len; i++) s += ALNUM[Math.floor(Math.random() * ALNUM.length)]
  return s
}

function isReminder(text: string): boolean {
  return text.trimStart().startsWith('<system-reminder>')
}

function blocksOf(m: ApiMessage): ContentBlock[] {
  if (typeof m.content === 'string') return [{ type: 'text', text: m.content }]
  return Array.isArray(m.content) ? m.content : []
}

function userTexts(m: ApiMessage): string[] {
  return blocksOf(m)
    .filter((b) => b.type === 'text' && typeof b.text === 'string' && !isReminder(b.text))
    .map((b) => b.text as string)
}

export function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) {
    return content
      .map((c: ContentBlock) =>
        c && c.type === 'text' && typeof c.text === 'string'
          ? c.text
          : c && c.type
            ? `[${c.type}]`
            : ''
      )
      .join('\n')
  }
  return ''
}

export interface ImageInfo {
  mediaType: string
  bytes: number
  sha256: string
}

function imagesOf(m: ApiMessage): ImageInfo[] {
  return blocksOf(m)
    .filter((b) => b.type === 'image')
    .map((b) => {
      const src = (b.source ?? {}) as { media_type?: unknown; data?: unknown }
      const data = Buffer.from(typeof src.data === 'string' ? src.data : '', 'base64')
      return {
        mediaType: String(src.media_type ?? ''),
        bytes: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
      }
    })
}

function toolResultsOf(m: ApiMessage): ToolResultInfo[] {
  return blocksOf(m)
    .filter((b) => b.type === 'tool_result')
    .map((b) => ({
      toolUseId: String(b.tool_use_id ?? ''),
      isError: b.is_error === true,
      text: toolResultText(b.content),
    }))
}

function textLength(v: unknown): number {
  if (typeof v === 'string') return v.length
  if (Array.isArray(v)) return v.reduce((n: number, x) => n + textLength(x), 0)
  if (v && typeof v === 'object') {
    const b = v as ContentBlock
    let n = 0
    if (typeof b.text === 'string') n += b.text.length
    if (typeof b.thinking === 'string') n += b.thinking.length
    if (b.type === 'tool_use') n += JSON.stringify(b.input ?? {}).length
    if (b.type === 'tool_result') n += textLength(b.content)
    if ('role' in (v as object)) n += textLength((v as ApiMessage).content)
    return n
  }
  return 0
}

export function parseRequest(body: MessagesBody): ParsedRequest {
  const messages = Array.isArray(body.messages) ? body.messages : []
  let prompt: string | null = null
  let promptIndex = -1
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!
    if (m.role !== 'user') continue
    const t = userTexts(m)
    if (t.length > 0) {
      prompt = t[t.length - 1]!
      promptIndex = i
      break
    }
  }
  const last = messages[messages.length - 1]
  return {
    prompt,
    promptIndex,
    messageCount: messages.length,
    roles: messages.map((m) => String(m.role)),
    toolResults: messages.filter((m) => m.role === 'user').flatMap(toolResultsOf),
    texts: messages.filter((m) => m.role === 'user').flatMap(userTexts),
    lastToolResults: last && last.role === 'user' ? toolResultsOf(last) : [],
    images: messages.filter((m) => m.role === 'user').flatMap(imagesOf),
    model: typeof body.model === 'string' ? body.model : '',
    stream: body.stream === true,
    maxTokens: typeof body.max_tokens === 'number' ? body.max_tokens : 0,
    toolCount: Array.isArray(body.tools) ? body.tools.length : 0,
    inputTokens: Math.max(1, Math.ceil((textLength(body.system) + textLength(messages)) / 4)),
  }
}

/** Lists every earlier user text, assistant text, tool_use and tool_result (for [history]). */
function historyText(body: MessagesBody, req: ParsedRequest): string {
  const lines: string[] = []
  const messages = Array.isArray(body.messages) ? body.messages : []
  messages.forEach((m, i) => {
    for (const b of blocksOf(m)) {
      if (m.role === 'user') {
        if (b.type === 'text' && typeof b.text === 'string' && !isReminder(b.text)) {
          if (i === req.promptIndex && b.text === req.prompt) continue // the current prompt
          lines.push(`user: ${b.text}`)
        } else if (b.type === 'tool_result') {
          const t = toolResultText(b.content)
          lines.push(
            `tool_result${b.is_error ? ' (error)' : ''}: ${t.length > 200 ? t.slice(0, 200) : t}`
          )
        }
      } else if (m.role === 'assistant') {
        if (b.type === 'text' && typeof b.text === 'string') lines.push(`assistant: ${b.text}`)
        else if (b.type === 'tool_use')
          lines.push(`assistant tool_use: ${b.name} ${JSON.stringify(b.input ?? {})}`)
      }
    }
  })
  return `HISTORY (${lines.length} entries, ${req.messageCount} messages in request):\n${lines.join('\n')}`
}

/** Directive values found in a prompt. */
/** A tool call the mock makes, from a [tool:…] directive. */
export interface ToolCall {
  name: string
  input: Record<string, unknown>
  /** shown as `RUN: <label>` before the calls */
  label: string
}

export interface Directives {
  tools: string[]
  /** every [tool:…] directive, in prompt order (bash, write, ask, plan) */
  calls: ToolCall[]
  slowMs: number | null
  longKiB: number | null
  think: string | null
  error: { status: number; times: number | null } | null
  delayMs: number
  disconnect: { ms: number; times: number | null } | null
  history: boolean
  stop: string | null
  markdown: boolean
  html: boolean
}

export function parseDirectives(prompt: string): Directives {
  const num = (re: RegExp): number | null => {
    const m = re.exec(prompt)
    return m ? Number(m[1]) : null
  }
  const err = /\[error:(\d{3})(?::(\d+))?\]/.exec(prompt)
  const disc = /\[disconnect:(\d+)(?::(\d+))?\]/.exec(prompt)
  const think = /\[think(?::([^\]]*))?\]/.exec(prompt)
  const stop = /\[stop:([^\]]+)\]/.exec(prompt)
  return {
    tools: [...prompt.matchAll(/\[tool:bash ([^\]]*)\]/g)].map((m) => m[1]!.trim()),
    calls: toolCalls(prompt),
    slowMs: num(/\[slow:(\d+)\]/),
    longKiB: num(/\[long:(\d+)\]/),
    think: think ? (think[1] ?? 'pondering the mock') : null,
    error: err
      ? { status: Number(err[1]), times: err[2] !== undefined ? Number(err[2]) : null }
      : null,
    delayMs: num(/\[delay:(\d+)\]/) ?? 0,
    disconnect: disc
      ? { ms: Number(disc[1]), times: disc[2] !== undefined ? Number(disc[2]) : null }
      : null,
    history: /\[history\]/.test(prompt),
    stop: stop ? stop[1]!.trim() : null,
    markdown: /\[markdown\]/.test(prompt),
    html: /\[html\]/.test(prompt),
  }
}

/**
 * [tool:bash <cmd>]                  Bash {command, description}
 * [tool:write <path> <content>]      Write {file_path, content}
 * [tool:ask <question>|<opt>|<opt>]  AskUserQuestion {questions: [{question, header, options, multiSelect}]}
 * [tool:plan <plan text>]            ExitPlanMode {plan}
 */
export function toolCalls(prompt: string): ToolCall[] {
  const calls: ToolCall[] = []
  for (const m of prompt.matchAll(/\[tool:(bash|write|ask|plan) ([^\]]*)\]/g)) {
    const arg = m[2]!.trim()
    switch (m[1]) {
      case 'bash':
        calls.push({
          name: 'Bash',
          input: { command: arg, description: 'Run a command for the mock' },
          label: arg,
        })
        break
      case 'write': {
        const sp = arg.indexOf(' ')
        const path = sp < 0 ? arg : arg.slice(0, sp)
        calls.push({
          name: 'Write',
          input: { file_path: path, content: sp < 0 ? '' : arg.slice(sp + 1) },
          label: `write ${path}`,
        })
        break
      }
      case 'ask': {
        const [question, ...labels] = arg.split('|').map((x) => x.trim())
        const options = labels.map((label) => ({ label, description: `choose ${label}` }))
        calls.push({
          name: 'AskUserQuestion',
          input: { questions: [{ question, header: 'Mock', options, multiSelect: false }] },
          label: `ask ${question}`,
        })
        break
      }
      case 'plan':
        calls.push({ name: 'ExitPlanMode', input: { plan: arg }, label: 'plan' })
        break
    }
  }
  return calls
}

function textBlock(text: string, size = 16): PlannedBlock {
  return {
    type: 'text',
    text,
    deltas: size > 16 ? chunk(text, size) : wordChunks(text, size),
    intervalMs: 0,
  }
}

/**
 * Decide the reply. `attempt` is the 1-based number of times this prompt (at this stage of the
 * turn) has been requested, for `[error:<s>:<k>]` / `[disconnect:<ms>:<k>]`.
 */
export function planReply(body: MessagesBody, req: ParsedRequest, attempt: number): ReplyPlan {
  const prompt = req.prompt ?? ''
  const plan: ReplyPlan = {
    blocks: [],
    stopReason: 'end_turn',
    errorStatus: null,
    delayMs: 0,
    disconnectMs: null,
    outputTokens: 1,
    describe: '',
  }
  const isSide = req.toolCount === 0 && req.maxTokens > 0 && req.maxTokens < 8192
  if (isSide && process.env.MOCK_SIDE_DIRECTIVES !== '1') {
    plan.blocks.push(textBlock(`MOCK SIDE REPLY: ${prompt.slice(0, 60)}`))
    return finish(plan, 'side')
  }
  if (prompt.includes('create a detailed summary of the conversation')) {
    plan.blocks.push(
      textBlock('<summary>\nMOCK SUMMARY: the user talked to the mock Messages API.\n</summary>')
    )
    return finish(plan, 'compact-summary')
  }
  if (prompt.startsWith('[SUGGESTION MODE:')) {
    plan.blocks.push(textBlock('run the mock tests'))
    return finish(plan, 'suggestion')
  }

  const d = parseDirectives(prompt)
  plan.delayMs = d.delayMs
  if (d.error && (d.error.times === null || attempt <= d.error.times)) {
    plan.errorStatus = d.error.status
    plan.describe = `error ${d.error.status} (attempt ${attempt})`
    return plan
  }
  if (d.disconnect && (d.disconnect.times === null || attempt <= d.disconnect.times))
    plan.disconnectMs = d.disconnect.ms

  if (d.think !== null) {
    plan.blocks.push({
      type: 'thinking',
      thinking: d.think,
      signature: mockId('mocksig_', 48),
      deltas: wordChunks(d.think),
    })
  }
  // Follow-up round of a tool turn: the last user message carries tool_results and no new prompt.
  const followUp = req.lastToolResults.length > 0 && req.promptIndex !== req.messageCount - 1
  let what: string
  if (d.calls.length > 0 && !followUp) {
    plan.blocks.push(textBlock(d.calls.map((c) => `RUN: ${c.label}`).join('\n')))
    for (const c of d.calls)
      plan.blocks.push({ type: 'tool_use', id: mockId('toolu_mock'), name: c.name, input: c.input })
    plan.stopReason = 'tool_use'
    what = `tool_use x${d.calls.length}`
  } else {
    let text: string
    if (followUp) {
      text = req.lastToolResults
        .map((r) => `TOOL RESULT: ${r.isError ? '(error) ' : ''}${r.text}`)
        .join('\n')
      what = 'tool-result'
    } else {
      const parts: string[] = []
      if (d.history) parts.push(historyText(body, req))
      if (d.markdown) parts.push(MARKDOWN_REPLY)
      if (d.html) parts.push(`HTML: ${HTML_PAYLOAD}`)
      if (parts.length === 0) parts.push(`ECHO: ${prompt}`)
      text = parts.join('\n\n')
      what = d.history ? 'history' : d.markdown ? 'markdown' : d.html ? 'html' : 'echo'
    }
    if (d.longKiB !== null) {
      text += '\n' + longFiller(d.longKiB)
      plan.blocks.push(textBlock(text, 512))
      what += ` long ${d.longKiB}KiB`
    } else if (d.slowMs !== null) {
      const n = Math.max(5, Math.min(2000, Math.round(d.slowMs / 60)))
      const words = Array.from({ length: n }, (_, i) => `w${i} `)
      const head = `${text}\nSLOW: `
      plan.blocks.push({
        type: 'text',
        text: head + words.join(''),
        deltas: [head, ...words],
        intervalMs: d.slowMs / n,
      })
      what += ` slow ${d.slowMs}ms`
    } else {
      plan.blocks.push(textBlock(text))
    }
    if (d.stop) plan.stopReason = d.stop
  }
  if (d.slowMs !== null && d.longKiB === null && plan.stopReason === 'tool_use') {
    // spread the tool round too, so an interrupt can land mid-stream
    const b = plan.blocks.find((x) => x.type === 'text')
    if (b && b.type === 'text') {
      const n = Math.max(5, Math.min(2000, Math.round(d.slowMs / 60)))
      b.deltas = wordChunks(b.text, Math.max(1, Math.ceil(b.text.length / n)))
      b.intervalMs = d.slowMs / b.deltas.length
    }
  }
  if (d.think !== null) what = `think+${what}`
  if (plan.disconnectMs !== null) what += ` disconnect@${plan.disconnectMs}ms`
  if (plan.delayMs > 0) what = `delay ${plan.delayMs}ms ${what}`
  return finish(plan, what)
}

function finish(plan: ReplyPlan, what: string): ReplyPlan {
  let chars = 0
  for (const b of plan.blocks) {
    if (b.type === 'text') chars += b.text.length
    else if (b.type === 'thinking') chars += b.thinking.length
    else chars += JSON.stringify(b.input).length
  }
  plan.outputTokens = Math.max(1, Math.ceil(chars / 4))
  plan.describe = `${what} stop=${plan.stopReason}`
  return plan
}
