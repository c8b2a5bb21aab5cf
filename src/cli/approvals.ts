import type { Client } from './client.js'

/** A pending approval as GET /sessions/:id/permissions lists it (the permission.requested fields). */
export interface PendingPermission {
  requestId: string
  turnId: string
  toolName: string
  summary: string
  kind: 'tool' | 'question' | 'plan'
  input: unknown
  expiresAt: string | null
}

export interface Decision {
  decision: 'allow' | 'deny'
  scope?: 'once' | 'session'
  message?: string
  answers?: Record<string, string | string[]>
}

export async function listPending(client: Client, sessionId: string): Promise<PendingPermission[]> {
  const r = await client.get<{ permissions: PendingPermission[] }>(
    `/sessions/${sessionId}/permissions`
  )
  return r.permissions
}

export async function decide(
  client: Client,
  sessionId: string,
  requestId: string,
  d: Decision
): Promise<void> {
  await client.post(`/sessions/${sessionId}/permissions/${requestId}`, d)
}

interface Question {
  question: string
  options?: { label: string }[]
}

/** The questions of an AskUserQuestion request (its input), or none. */
export function questionsOf(input: unknown): Question[] {
  const qs = (input as { questions?: unknown } | null)?.questions
  return Array.isArray(qs)
    ? qs.filter((q): q is Question => typeof (q as Question)?.question === 'string')
    : []
}

/**
 * What a key does to a pending request on the attach screen: y allow once, s allow for the session
 * (tools only), n deny (after asking for a message), a digit picks an option of a one-question ask.
 */
export function decisionForKey(
  req: { kind?: unknown; input?: unknown },
  key: string
): Decision | 'deny-with-message' | null {
  if (key === 'n') return 'deny-with-message'
  if (req.kind === 'question') {
    const qs = questionsOf(req.input)
    const label =
      /^[1-9]$/.test(key) && qs.length === 1 ? qs[0]!.options?.[Number(key) - 1]?.label : undefined
    return label === undefined ? null : { decision: 'allow', answers: { [qs[0]!.question]: label } }
  }
  if (key === 'y') return { decision: 'allow', scope: 'once' }
  if (key === 's' && req.kind !== 'plan') return { decision: 'allow', scope: 'session' }
  return null
}

/** A permission.requested event as a request: the event's own `kind` is its event kind. */
export function requestOf(e: Record<string, unknown>) {
  return { kind: e.requestKind, input: e.input, requestId: e.requestId }
}

/** The keys line shown under a pending request. */
export function keyHint(req: { kind?: unknown; input?: unknown; requestId?: unknown }): string {
  if (req.kind === 'question') {
    const qs = questionsOf(req.input)
    if (qs.length !== 1)
      return `answer with: agentmux answer SESSION ${String(req.requestId)} CHOICE…   [n] dismiss`
    return `${(qs[0]!.options ?? []).map((o, i) => `[${i + 1}] ${o.label}`).join('  ')}   [n] dismiss`
  }
  if (req.kind === 'plan') return '[y] approve the plan  [n] keep planning'
  return '[y] allow once  [s] allow for this session  [n] deny'
}
