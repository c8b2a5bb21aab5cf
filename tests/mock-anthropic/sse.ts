// Anthropic Messages API wire formats: SSE events, non-streaming messages, error bodies.
import type { PlannedBlock, ReplyPlan } from './script.js'

export interface SseStep {
  /** the raw SSE frame(s) to write */
  frame: string
  /** wait this long before writing the frame */
  delayMs: number
  /** true for message_delta / message_stop (held back by [disconnect]) */
  final: boolean
}

export function sseFrame(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`
}

function usageStart(inputTokens: number): Record<string, unknown> {
  return {
    input_tokens: inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: 1,
    service_tier: 'standard',
  }
}

function emptyBlock(b: PlannedBlock): Record<string, unknown> {
  if (b.type === 'text') return { type: 'text', text: '' }
  if (b.type === 'thinking') return { type: 'thinking', thinking: '', signature: '' }
  return { type: 'tool_use', id: b.id, name: b.name, input: {} }
}

function fullBlock(b: PlannedBlock): Record<string, unknown> {
  if (b.type === 'text') return { type: 'text', text: b.text }
  if (b.type === 'thinking')
    return { type: 'thinking', thinking: b.thinking, signature: b.signature }
  return { type: 'tool_use', id: b.id, name: b.name, input: b.input }
}

/** The full event sequence of a streamed reply, in Anthropic's exact framing. */
export function buildSse(
  plan: ReplyPlan,
  messageId: string,
  model: string,
  inputTokens: number
): SseStep[] {
  const steps: SseStep[] = []
  const push = (type: string, data: unknown, delayMs = 0, final = false): void => {
    steps.push({ frame: sseFrame(type, data), delayMs, final })
  }
  push('message_start', {
    type: 'message_start',
    message: {
      id: messageId,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: usageStart(inputTokens),
    },
  })
  push('ping', { type: 'ping' })
  plan.blocks.forEach((b, index) => {
    push('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: emptyBlock(b),
    })
    if (b.type === 'text') {
      b.deltas.forEach((text, i) => {
        push(
          'content_block_delta',
          { type: 'content_block_delta', index, delta: { type: 'text_delta', text } },
          i === 0 ? 0 : b.intervalMs
        )
      })
    } else if (b.type === 'thinking') {
      for (const thinking of b.deltas) {
        push('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'thinking_delta', thinking },
        })
      }
      push('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'signature_delta', signature: b.signature },
      })
    } else {
      const json = JSON.stringify(b.input)
      for (let i = 0; i < json.length; i += 16) {
        push('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: json.slice(i, i + 16) },
        })
      }
    }
    push('content_block_stop', { type: 'content_block_stop', index })
  })
  push(
    'message_delta',
    {
      type: 'message_delta',
      delta: { stop_reason: plan.stopReason, stop_sequence: null },
      usage: { output_tokens: plan.outputTokens },
    },
    0,
    true
  )
  push('message_stop', { type: 'message_stop' }, 0, true)
  return steps
}

/** A non-streaming (stream:false) Messages API response. */
export function buildMessage(
  plan: ReplyPlan,
  messageId: string,
  model: string,
  inputTokens: number
): Record<string, unknown> {
  return {
    id: messageId,
    type: 'message',
    role: 'assistant',
    model,
    content: plan.blocks.map(fullBlock),
    stop_reason: plan.stopReason,
    stop_sequence: null,
    usage: { ...usageStart(inputTokens), output_tokens: plan.outputTokens },
  }
}

const ERROR_TYPES: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'Mock invalid request'],
  401: ['authentication_error', 'invalid x-api-key'],
  402: ['billing_error', 'Mock billing error'],
  403: ['permission_error', 'Mock permission error'],
  404: ['not_found_error', 'Not found'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'Mock rate limit exceeded'],
  500: ['api_error', 'Internal server error'],
  504: ['timeout_error', 'Request timed out'],
  529: ['overloaded_error', 'Overloaded'],
}

export function errorBody(
  status: number,
  requestId: string,
  message?: string
): Record<string, unknown> {
  const [type, msg] = ERROR_TYPES[status] ?? [
    status >= 500 ? 'api_error' : 'invalid_request_error',
    `Mock error ${status}`,
  ]
  return { type: 'error', error: { type, message: message ?? msg }, request_id: requestId }
}
