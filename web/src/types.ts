/** The shapes of the daemon's public API (README.md), as far as the page uses them. */

export type PermissionMode = 'acceptEdits' | 'auto' | 'bypassPermissions' | 'default' | 'dontAsk' | 'manual' | 'plan'
export const PERMISSION_MODES: PermissionMode[] = ['default', 'acceptEdits', 'plan', 'auto', 'dontAsk', 'manual', 'bypassPermissions']

export interface Session {
  id: string
  title: string
  cwd: string
  model: string | null
  permissionMode: PermissionMode | null
  allowedTools: string[]
  status: 'idle' | 'running'
  activeTurnId: string | null
  createdAt: string
  updatedAt: string
  lastEventId: number
  turnCount: number
  costUsd: number
  inputTokens: number
  outputTokens: number
  contextTokens: number
  preview: string
}

export type TurnStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted'

export interface Turn {
  id: string
  sessionId: string
  clientTurnId: string | null
  status: TurnStatus
  prompt: string
  startedAt: string
  endedAt: string | null
  durationMs: number | null
  costUsd: number | null
}

/** One log event: `{id, sessionId, turnId, kind, ts, …fields}`. Fields are read defensively. */
export interface LogEvent {
  id: number
  sessionId: string
  turnId: string | null
  kind: string
  ts: string
  [field: string]: unknown
}

export type FeedMessage = { kind: 'session.updated'; session: Session } | { kind: 'session.deleted'; id: string }
