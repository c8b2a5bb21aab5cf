import type { PermissionKind, PermissionResolver } from '../events/types.js'

/** A permission request as the API shows it (GET /sessions/:id/permissions, the POST answer). */
export interface Permission {
  requestId: string
  sessionId: string
  turnId: string
  kind: PermissionKind
  toolName: string
  toolUseId: string
  input: unknown
  summary: string
  suggestions: unknown[]
  expiresAt: string | null
  createdAt: string
  status: 'pending' | 'resolved'
  decision: 'allow' | 'deny' | null
  by: PermissionResolver | null
  message: string | null
  scope: 'once' | 'session' | null
  answers: Record<string, string> | null
  resolvedAt: string | null
}

/** How a request ends, as recorded and as told to claude (`response`: the control_response line). */
export interface PermissionOutcome {
  decision: 'allow' | 'deny'
  by: PermissionResolver
  message: string | null
  scope: 'once' | 'session' | null
  answers: Record<string, string> | null
  /** null when there is no claude to tell (it is gone). */
  response: string | null
  /** Rules kept on the session (scope "session"). */
  rules: string[]
}

/** A rule kept on the session by "allow for this session", passed as --allowedTools. */
export interface SessionRule {
  id: string
  sessionId: string
  rule: string
  requestId: string | null
  createdAt: string
}
