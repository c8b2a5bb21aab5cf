/** From an answer to claude's control_response, and what is recorded. Pure. */
import { badRequest } from '../errors.js'
import { formatRule, rulesFromSuggestions, updatedPermissions } from './rules.js'
import type { Permission, PermissionOutcome } from './types.js'

export const DEFAULT_DENY_MESSAGE = 'The user denied this tool call.'
export const CANCEL_MESSAGE = 'The turn was cancelled while this tool call waited for approval.'

export interface AnswerBody {
  decision: 'allow' | 'deny'
  message?: string
  scope?: 'once' | 'session'
  updatedInput?: Record<string, unknown>
  answers?: Record<string, string | string[]>
}

export function controlResponseLine(requestId: string, response: Record<string, unknown>): string {
  return `${JSON.stringify({ type: 'control_response', response: { subtype: 'success', request_id: requestId, response } })}\n`
}

const inputObject = (p: Permission): Record<string, unknown> =>
  typeof p.input === 'object' && p.input !== null && !Array.isArray(p.input)
    ? (p.input as Record<string, unknown>)
    : {}

/** A user's answer. Throws a 400 for an answer that does not fit the request's kind. */
export function userOutcome(p: Permission, body: AnswerBody): PermissionOutcome {
  if (body.answers !== undefined && p.kind !== 'question') {
    throw badRequest('invalid_request', 'answers are only for AskUserQuestion requests')
  }
  if (body.scope === 'session' && (p.kind !== 'tool' || body.decision !== 'allow')) {
    throw badRequest('invalid_request', 'scope "session" is only for allowing a tool')
  }
  if (body.decision === 'deny')
    return denyOutcome(p, 'user', body.message ?? DEFAULT_DENY_MESSAGE, false)
  if (p.kind === 'question') {
    if (!body.answers || Object.keys(body.answers).length === 0) {
      throw badRequest(
        'answers_required',
        'a question is answered with {"decision":"allow","answers":{…}}'
      )
    }
    const answers: Record<string, string> = {}
    for (const [q, a] of Object.entries(body.answers))
      answers[q] = Array.isArray(a) ? a.join(', ') : a
    const updatedInput = { ...inputObject(p), answers }
    return allow(p, { behavior: 'allow', updatedInput }, { answers, message: body.message ?? null })
  }
  const updatedInput = body.updatedInput ?? inputObject(p)
  if (body.scope === 'session') {
    const specs = rulesFromSuggestions(p.toolName, p.suggestions)
    const response = {
      behavior: 'allow',
      updatedInput,
      updatedPermissions: updatedPermissions(specs),
    }
    return allow(p, response, {
      scope: 'session',
      rules: specs.map(formatRule),
      message: body.message ?? null,
    })
  }
  return allow(
    p,
    { behavior: 'allow', updatedInput },
    { scope: 'once', message: body.message ?? null }
  )
}

function allow(
  p: Permission,
  response: Record<string, unknown>,
  extra: Partial<Pick<PermissionOutcome, 'scope' | 'answers' | 'rules' | 'message'>>
): PermissionOutcome {
  return {
    decision: 'allow',
    by: 'user',
    message: extra.message ?? null,
    scope: extra.scope ?? null,
    answers: extra.answers ?? null,
    rules: extra.rules ?? [],
    response: controlResponseLine(p.requestId, response),
  }
}

/** A deny always carries a message: claude rejects a deny without one as an invalid result. */
export function denyOutcome(
  p: Permission,
  by: PermissionOutcome['by'],
  message: string,
  interrupt: boolean
): PermissionOutcome {
  const response = interrupt
    ? { behavior: 'deny', message, interrupt: true }
    : { behavior: 'deny', message }
  return {
    decision: 'deny',
    by,
    message,
    scope: null,
    answers: null,
    rules: [],
    response: by === 'lost' ? null : controlResponseLine(p.requestId, response),
  }
}

export function timeoutMessage(p: Permission, timeoutMs: number): string {
  const mins =
    timeoutMs >= 60_000
      ? `${Math.round(timeoutMs / 60_000)} min`
      : `${Math.round(timeoutMs / 1000)} s`
  return `No one answered the ${p.toolName} approval within ${mins}: denied, and the turn was stopped.`
}
