import type { NotifiableEvent } from '../storage/outbox.js'

/** The kinds the notifier reads from the log. */
export const NOTIFY_KINDS = ['turn.ended', 'permission.requested', 'permission.resolved'] as const
export type NotifyKind = (typeof NOTIFY_KINDS)[number]

/** One notification, independent of where it goes; stored as JSON in each outbox row. */
export interface Notice {
  eventId: number
  event: NotifyKind
  sessionId: string
  title: string
  turnId: string | null
  status?: string
  requestId?: string
  toolName?: string
  summary: string
  /** The session on the page, deep-linked to the request when there is one. */
  url: string
  /** What a phone shows as the notification's title. */
  heading: string
  /** Same tag, same notification: a request's "answered" replaces its "needs you". */
  tag: string
  urgent: boolean
}

const ENDED = new Set(['completed', 'failed', 'cancelled'])
const SUMMARY_CHARS = 300

function clip(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim()
  return t.length > SUMMARY_CHARS ? `${t.slice(0, SUMMARY_CHARS - 1)}…` : t
}

export function sessionUrl(baseUrl: string, sessionId: string, requestId?: string): string {
  const base = baseUrl.replace(/\/+$/, '')
  const q = requestId ? `?request=${encodeURIComponent(requestId)}` : ''
  return `${base}/#/s/${encodeURIComponent(sessionId)}${q}`
}

/** The notice for a logged event, or null when it is not worth one (interrupted, or never ran). */
export function noticeFor(e: NotifiableEvent, baseUrl: string): Notice | null {
  let f: Record<string, unknown>
  try {
    f = JSON.parse(e.body) as Record<string, unknown>
  } catch {
    return null
  }
  const title = e.title || 'Untitled session'
  const common = { eventId: e.id, sessionId: e.sessionId, title, turnId: e.turnId }
  const str = (v: unknown) => (typeof v === 'string' ? v : '')
  switch (e.kind) {
    case 'turn.ended': {
      const status = str(f.status)
      if (!ENDED.has(status)) return null
      // A queued turn removed before it ran ends `cancelled` after 0 ms: the owner did that.
      if (status === 'cancelled' && f.durationMs === 0) return null
      const mark = status === 'completed' ? '✓' : status === 'failed' ? '✗' : '■'
      const said = status === 'completed' ? clip(e.preview) : ''
      return {
        ...common,
        event: 'turn.ended',
        status,
        summary: said || `Turn ${status}`,
        url: sessionUrl(baseUrl, e.sessionId),
        heading: `${mark} ${title}`,
        tag: `${e.sessionId}:turn`,
        urgent: false,
      }
    }
    case 'permission.requested': {
      const requestId = str(f.requestId)
      const toolName = str(f.toolName)
      const what = clip(str(f.summary))
      return {
        ...common,
        turnId: str(f.turnId) || e.turnId,
        event: 'permission.requested',
        requestId,
        toolName,
        summary:
          f.requestKind === 'question'
            ? what || 'claude has a question'
            : `${toolName}${what ? `: ${what}` : ''}`,
        url: sessionUrl(baseUrl, e.sessionId, requestId),
        heading: `● ${title} needs you`,
        tag: `${e.sessionId}:permission`,
        urgent: true,
      }
    }
    case 'permission.resolved': {
      const requestId = str(f.requestId)
      const verdict = f.decision === 'allow' ? 'allowed' : 'denied'
      const how =
        f.by === 'user'
          ? `Answered on another device (${verdict})`
          : f.by === 'timeout'
            ? 'The request timed out'
            : 'The request was withdrawn'
      return {
        ...common,
        event: 'permission.resolved',
        requestId,
        summary: how,
        url: sessionUrl(baseUrl, e.sessionId, requestId),
        heading: title,
        tag: `${e.sessionId}:permission`,
        urgent: false,
      }
    }
    default:
      return null
  }
}

/** The webhook body, exactly the fields issue 11.7 names. */
export function webhookBody(n: Notice): string {
  const body: Record<string, unknown> = {
    id: n.eventId,
    event: n.event,
    sessionId: n.sessionId,
    title: n.title,
    turnId: n.turnId,
  }
  if (n.status !== undefined) body.status = n.status
  if (n.requestId !== undefined) body.requestId = n.requestId
  if (n.toolName !== undefined) body.toolName = n.toolName
  body.summary = n.summary
  body.url = n.url
  return JSON.stringify(body)
}

/** What the service worker gets: enough to show, tag and deep-link a notification. */
export function pushPayload(n: Notice): string {
  return JSON.stringify({
    kind: n.event,
    title: n.heading,
    body: n.summary,
    tag: n.tag,
    url: n.url,
    sessionId: n.sessionId,
    requestId: n.requestId ?? null,
    urgent: n.urgent,
  })
}
