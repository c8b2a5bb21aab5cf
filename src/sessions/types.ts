import type { TurnStatus } from '../events/types.js'

export const PERMISSION_MODES = [
  'acceptEdits',
  'auto',
  'bypassPermissions',
  'default',
  'dontAsk',
  'manual',
  'plan',
] as const
export type PermissionMode = (typeof PERMISSION_MODES)[number]

/** A session as the API shows it. */
export interface Session {
  id: string
  title: string
  cwd: string
  model: string | null
  permissionMode: PermissionMode | null
  allowedTools: string[]
  appendSystemPrompt: string | null
  status: 'idle' | 'running'
  activeTurnId: string | null
  /** When the running turn started, for "running since…"; null when idle. */
  activeTurnStartedAt: string | null
  claudeSessionId: string
  createdAt: string
  updatedAt: string
  lastEventId: number
  turnCount: number
  costUsd: number
  inputTokens: number
  outputTokens: number
  contextTokens: number
  preview: string
  /** Turns waiting in the daemon's queue behind the running one. */
  queuedTurns: number
  /** A turn ended failed or cancelled with turns queued: they wait for a resume or a new prompt. */
  queuePaused: boolean
  /** The daemon (AGENTMUX_HOST_ID) whose machine holds the session's files and runs its turns. */
  host: string
  /** Whether that daemon's heartbeat is recent: an offline host's session cannot start turns. */
  hostOnline: boolean
  /** Open tool approvals and questions: a list can show "needs you". */
  pendingPermissions: number
}

/** A turn as the API shows it. */
export interface Turn {
  id: string
  sessionId: string
  clientTurnId: string | null
  status: TurnStatus
  /** 1 = next to run, while queued; null otherwise. */
  position: number | null
  prompt: string
  model: string | null
  /** When it started; while queued, when it was queued. */
  startedAt: string
  endedAt: string | null
  durationMs: number | null
  costUsd: number | null
  exitCode: number | null
  signal: string | null
  error: string | null
}

/** What the daemon keeps about a running turn beyond the API shape, to drive or re-adopt it. */
export interface TurnProcessInfo {
  stopReason: StopReason | null
  pid: number | null
  pidStart: string | null
  spoolPath: string | null
  spoolOffset: number
  translatorState: string | null
}

/** Why the daemon stopped a turn; `storage`: its output could not be saved (disk full). */
export type StopReason = 'user' | 'delete' | 'shutdown' | 'timeout' | 'stall' | 'storage'

/** A message of the session-list stream (GET /events). */
export type FeedMessage =
  { kind: 'session.updated'; session: Session } | { kind: 'session.deleted'; id: string }
