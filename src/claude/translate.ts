/**
 * The pure translator from claude's stream-json stdout (2.1.330; see shared/claude-cli.md §3) to
 * the event vocabulary in events/types.ts. No I/O: a line and a state in, events and a state out.
 * The state is small and JSON-serialisable so it can be committed with the spool offset.
 */
import type { NewEvent, TokenUsage } from '../events/types.js'
import { permissionRequestFromLine } from '../approvals/request.js'
import { boundText, summarizeToolInput, toolResultText } from './tool-text.js'

export interface TranslatorState {
  /** claude's total_cost_usd before this turn, to get the turn's own cost from the cumulative one. */
  baseTotalCost: number
  sawInit: boolean
  sawResult: boolean
  resultIsError: boolean
  claudeSessionId: string | null
  /** An agent-side error was already reported, so a non-zero exit need not repeat it. */
  reportedError: boolean
  /**
   * The plan of the model's last ExitPlanMode call: claude 2.1.330 strips `plan` from the input of
   * the permission request it makes for it, so the request takes it from here. Bounded.
   */
  lastPlan?: { toolUseId: string; plan: string } | null
}

export function initialTranslatorState(baseTotalCost: number): TranslatorState {
  return {
    baseTotalCost,
    sawInit: false,
    sawResult: false,
    resultIsError: false,
    claudeSessionId: null,
    reportedError: false,
  }
}

export interface Translation {
  events: NewEvent[]
  state: TranslatorState
}

const RAW_MAX_CHARS = 4096
const PLAN_MAX_CHARS = 64 * 1024
const NOTICE_MAX_CHARS = 2000

/** Lines that carry nothing a client needs: progress noise and answers to our own control requests. */
const SILENT_TYPES = new Set([
  'keep_alive',
  'control_response',
  'command_lifecycle',
  'prompt_suggestion',
  'tool_progress',
])
const SILENT_SYSTEM = new Set(['thinking_tokens', 'session_state_changed'])

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback)
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : []
const num = (v: unknown, fallback = 0): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback
const clip = (s: string, max: number) => (s.length > max ? s.slice(0, max) : s)

/** A line kept as it came (bounded): an unknown type or an unhandled control request. */
const rawEvent = (text: string): NewEvent => ({
  kind: 'agent.raw',
  line: clip(text, RAW_MAX_CHARS),
  truncated: text.length > RAW_MAX_CHARS,
})

function parent(line: Obj): { parentToolUseId?: string } {
  return typeof line.parent_tool_use_id === 'string'
    ? { parentToolUseId: line.parent_tool_use_id }
    : {}
}

export function translateLine(raw: string, state: TranslatorState): Translation {
  const text = raw.trim()
  if (text === '') return { events: [], state }
  let line: unknown
  try {
    line = JSON.parse(text)
  } catch {
    return {
      events: [
        {
          kind: 'error',
          source: 'agent',
          message: `claude printed a line that is not JSON: ${clip(text, 200)}`,
        },
      ],
      state,
    }
  }
  if (!isObj(line)) {
    return {
      events: [
        {
          kind: 'error',
          source: 'agent',
          message: `claude printed JSON that is not an object: ${clip(text, 200)}`,
        },
      ],
      state,
    }
  }
  switch (line.type) {
    case 'system':
      return translateSystem(line, state)
    case 'stream_event':
      return { events: translateStreamEvent(line), state }
    case 'assistant':
      return translateAssistant(line, state)
    case 'user':
      return { events: translateUser(line), state }
    case 'result':
      return translateResult(line, state)
    case 'control_request': {
      // can_use_tool (--permission-prompt-tool stdio); other subtypes fall through to agent.raw
      const p = permissionRequestFromLine(line, state.lastPlan ?? null)
      if (p) return { events: [{ kind: 'permission.requested', ...p }], state }
      return { events: [rawEvent(text)], state }
    }
    default:
      if (typeof line.type === 'string' && SILENT_TYPES.has(line.type)) return { events: [], state }
      if (
        line.type === 'rate_limit_event' ||
        line.type === 'tool_use_summary' ||
        line.type === 'conversation_reset'
      ) {
        return { events: [notice(line.type, line)], state }
      }
      return { events: [rawEvent(text)], state }
  }
}

function notice(subtype: string, line: Obj, message?: string): NewEvent {
  const m =
    message ??
    (str(line.message) ||
      str(line.summary) ||
      str(line.description) ||
      str(line.text) ||
      clip(JSON.stringify(line), NOTICE_MAX_CHARS))
  return { kind: 'agent.notice', subtype, message: clip(m, NOTICE_MAX_CHARS) }
}

function translateSystem(line: Obj, state: TranslatorState): Translation {
  const subtype = str(line.subtype, 'unknown')
  switch (subtype) {
    case 'init': {
      const claudeSessionId = str(line.session_id)
      return {
        events: [
          {
            kind: 'agent.init',
            model: str(line.model),
            claudeSessionId,
            cwd: str(line.cwd),
            tools: strings(line.tools),
            slashCommands: strings(line.slash_commands),
            permissionMode: str(line.permissionMode),
            version: str(line.claude_code_version),
          },
        ],
        state: { ...state, sawInit: true, claudeSessionId },
      }
    }
    case 'status': {
      // "requesting" precedes every API call: noise. Compaction is worth showing.
      if (line.status === 'compacting')
        return { events: [notice('compacting', line, 'Compacting the conversation…')], state }
      if (typeof line.compact_error === 'string')
        return { events: [notice('compact_error', line, line.compact_error)], state }
      return { events: [], state }
    }
    case 'api_retry':
      return {
        events: [
          {
            kind: 'agent.retry',
            attempt: num(line.attempt),
            maxRetries: num(line.max_retries),
            delayMs: num(line.retry_delay_ms),
            status: typeof line.error_status === 'number' ? line.error_status : null,
            error: typeof line.error === 'string' ? line.error : JSON.stringify(line.error ?? null),
          },
        ],
        state,
      }
    case 'permission_denied':
      return {
        events: [
          {
            kind: 'tool.denied',
            toolUseId: str(line.tool_use_id),
            name: str(line.tool_name),
            message: str(line.message, 'Permission denied'),
          },
        ],
        state,
      }
    case 'compact_boundary': {
      const meta = isObj(line.compact_metadata) ? line.compact_metadata : {}
      const pre = num(meta.pre_tokens, NaN)
      const msg = Number.isNaN(pre)
        ? 'Conversation compacted'
        : `Conversation compacted (${pre} tokens before)`
      return { events: [notice('compact_boundary', line, msg)], state }
    }
    default:
      if (SILENT_SYSTEM.has(subtype)) return { events: [], state }
      return { events: [notice(subtype, line)], state }
  }
}

function translateStreamEvent(line: Obj): NewEvent[] {
  const ev = line.event
  if (!isObj(ev) || ev.type !== 'content_block_delta' || !isObj(ev.delta)) return []
  if (ev.delta.type !== 'text_delta' || typeof ev.delta.text !== 'string') return []
  return [{ kind: 'text.delta', text: ev.delta.text, index: num(ev.index), ...parent(line) }]
}

function translateAssistant(line: Obj, state: TranslatorState): Translation {
  const message = isObj(line.message) ? line.message : {}
  const content = Array.isArray(message.content) ? message.content : []
  const p = parent(line)
  // API failures arrive as a synthetic assistant message; they are errors, not replies.
  if (line.is_api_error_message === true || message.model === '<synthetic>') {
    const texts = content
      .filter(isObj)
      .map((b) => str(b.text))
      .filter((t) => t !== '')
    if (
      texts.length > 0 &&
      (line.is_api_error_message === true || typeof line.error === 'string')
    ) {
      return {
        events: [{ kind: 'error', source: 'agent', message: texts.join('\n') }],
        state: { ...state, reportedError: true },
      }
    }
  }
  const events: NewEvent[] = []
  let next = state
  for (const block of content) {
    if (!isObj(block)) continue
    if (
      block.type === 'tool_use' &&
      block.name === 'ExitPlanMode' &&
      isObj(block.input) &&
      typeof block.input.plan === 'string'
    ) {
      next = {
        ...next,
        lastPlan: { toolUseId: str(block.id), plan: clip(block.input.plan, PLAN_MAX_CHARS) },
      }
    }
    switch (block.type) {
      case 'text':
        events.push({
          kind: 'text',
          text: str(block.text),
          ...(line.aborted === true ? { aborted: true } : {}),
          ...p,
        })
        break
      case 'thinking':
        events.push({ kind: 'thinking', text: str(block.thinking), ...p })
        break
      case 'redacted_thinking':
        events.push({ kind: 'thinking', text: '[redacted thinking]', ...p })
        break
      case 'tool_use':
      case 'server_tool_use': {
        const name = str(block.name)
        events.push({
          kind: 'tool.use',
          toolUseId: str(block.id),
          name,
          input: block.input ?? null,
          summary: summarizeToolInput(name, block.input),
          ...p,
        })
        break
      }
      default:
        events.push(notice(`assistant_${str(block.type, 'block')}`, block))
    }
  }
  return { events, state: next }
}

function translateUser(line: Obj): NewEvent[] {
  if (line.isReplay === true) return []
  const message = isObj(line.message) ? line.message : {}
  const content = message.content
  const p = parent(line)
  if (typeof content === 'string') return content.trim() ? [userText(content)] : []
  if (!Array.isArray(content)) return []
  const events: NewEvent[] = []
  for (const block of content) {
    if (!isObj(block)) continue
    if (block.type === 'tool_result') {
      const bounded = boundText(toolResultText(block.content))
      events.push({
        kind: 'tool.result',
        toolUseId: str(block.tool_use_id),
        text: bounded.text,
        isError: block.is_error === true,
        truncated: bounded.truncated,
        bytes: bounded.bytes,
        ...p,
      })
    } else if (block.type === 'text' && typeof block.text === 'string' && block.text.trim()) {
      events.push(userText(block.text))
    }
  }
  return events
}

function userText(text: string): NewEvent {
  const interrupted = text.startsWith('[Request interrupted by user')
  return {
    kind: 'agent.notice',
    subtype: interrupted ? 'interrupted' : 'user_message',
    message: clip(text, NOTICE_MAX_CHARS),
  }
}

function usageOf(u: unknown): TokenUsage {
  const o = isObj(u) ? u : {}
  return {
    inputTokens: num(o.input_tokens),
    outputTokens: num(o.output_tokens),
    cacheReadInputTokens: num(o.cache_read_input_tokens),
    cacheCreationInputTokens: num(o.cache_creation_input_tokens),
  }
}

function translateResult(line: Obj, state: TranslatorState): Translation {
  const total = num(line.total_cost_usd)
  // The running total restarts when claude starts a new conversation; then this turn cost all of it.
  const cost = total >= state.baseTotalCost ? total - state.baseTotalCost : total
  const errors = Array.isArray(line.errors)
    ? line.errors.filter((e): e is string => typeof e === 'string')
    : []
  const isError = line.is_error === true
  const text = typeof line.result === 'string' ? line.result : errors.join('\n')
  return {
    events: [
      {
        kind: 'turn.result',
        isError,
        subtype: str(line.subtype, 'unknown'),
        terminalReason: typeof line.terminal_reason === 'string' ? line.terminal_reason : null,
        text,
        costUsd: Math.round(cost * 1e9) / 1e9,
        totalCostUsd: total,
        usage: usageOf(line.usage),
        durationMs: num(line.duration_ms),
        numTurns: num(line.num_turns),
      },
    ],
    state: { ...state, sawResult: true, resultIsError: isError, baseTotalCost: total },
  }
}
