/**
 * The pure translator from claude's stream-json stdout (2.1.330; see shared/claude-cli.md §3) to
 * the event vocabulary in events/types.ts. No I/O: a line and a state in, events and a state out.
 * The state is small and JSON-serialisable so it can be committed with the spool offset.
 */
import type { NewEvent, TokenUsage } from '../events/types.js'
import { permissionRequestFromLine } from '../approvals/request.js'
import { boundText, summarizeToolInput, toolResultText } from './tool-text.js'
import { clip, isObj, num, str, type Obj } from './json-fields.js'
import { notice, translateSystem } from './translate-system.js'
import type { Translation, TranslatorState } from './translator-state.js'

const RAW_MAX_CHARS = 4096
const PLAN_MAX_CHARS = 64 * 1024

/** Lines that carry nothing a client needs: progress noise and answers to our own control requests. */
const SILENT_TYPES = new Set([
  'keep_alive',
  'control_response',
  'command_lifecycle',
  'prompt_suggestion',
  'tool_progress',
])

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
  return notice(interrupted ? 'interrupted' : 'user_message', {}, text)
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
