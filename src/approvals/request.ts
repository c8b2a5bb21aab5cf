/** claude's `can_use_tool` control request → the `permission.requested` event. Pure. */
import type { EventFields, PermissionKind } from '../events/types.js'
import { summarizeToolInput } from '../claude/tool-text.js'

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const SUMMARY_MAX_CHARS = 200

export type PermissionRequested = EventFields['permission.requested']

export function permissionKind(toolName: string): PermissionKind {
  if (toolName === 'AskUserQuestion') return 'question'
  if (toolName === 'ExitPlanMode') return 'plan'
  return 'tool'
}

function firstLine(s: string): string {
  const line =
    s
      .trim()
      .split('\n')
      .find((l) => l.trim() !== '') ?? ''
  const flat = line.replace(/\s+/g, ' ').trim()
  return flat.length > SUMMARY_MAX_CHARS ? `${flat.slice(0, SUMMARY_MAX_CHARS - 1)}…` : flat
}

/**
 * One human line: the command for Bash, the path for Read/Write/Edit, the URL for WebFetch, the
 * question for AskUserQuestion (several joined by " / "), the plan's first line for ExitPlanMode.
 */
export function permissionSummary(toolName: string, input: unknown): string {
  if (toolName === 'AskUserQuestion' && isObj(input) && Array.isArray(input.questions)) {
    const qs = input.questions
      .filter(isObj)
      .map((q) => (typeof q.question === 'string' ? q.question : ''))
    return firstLine(qs.filter((q) => q !== '').join(' / '))
  }
  if (toolName === 'ExitPlanMode' && isObj(input) && typeof input.plan === 'string')
    return firstLine(input.plan)
  return summarizeToolInput(toolName, input)
}

/**
 * The event for a control_request line, or null when it is not a `can_use_tool`. The turn id and
 * the expiry are the runner's to fill in (`stampPermission`): the translator knows no clock.
 */
export function permissionRequestFromLine(
  line: Obj,
  lastPlan: { toolUseId: string; plan: string } | null = null
): PermissionRequested | null {
  const req = line.request
  if (!isObj(req) || req.subtype !== 'can_use_tool' || typeof line.request_id !== 'string')
    return null
  const toolName = typeof req.tool_name === 'string' ? req.tool_name : 'unknown'
  let input: Obj = isObj(req.input) ? req.input : {}
  // claude strips `plan` from ExitPlanMode's input; the model's call had it.
  if (
    toolName === 'ExitPlanMode' &&
    typeof input.plan !== 'string' &&
    lastPlan &&
    lastPlan.toolUseId === req.tool_use_id
  ) {
    input = { ...input, plan: lastPlan.plan }
  }
  return {
    requestId: line.request_id,
    turnId: '',
    toolName,
    toolUseId: typeof req.tool_use_id === 'string' ? req.tool_use_id : '',
    input,
    summary: permissionSummary(toolName, input),
    suggestions: Array.isArray(req.permission_suggestions) ? req.permission_suggestions : [],
    expiresAt: null,
    requestKind: permissionKind(toolName),
  }
}

/** Tool approvals expire (AGENTMUX_APPROVAL_TIMEOUT_MS, 0 = never); questions and plans wait. */
export function stampPermission(
  e: PermissionRequested,
  turnId: string,
  now: number,
  timeoutMs: number
): PermissionRequested {
  const expires =
    e.requestKind === 'tool' && timeoutMs > 0 ? new Date(now + timeoutMs).toISOString() : null
  return { ...e, turnId, expiresAt: expires }
}
