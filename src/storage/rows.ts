import type {
  Session,
  Turn,
  TurnProcessInfo,
  PermissionMode,
  StopReason,
} from '../sessions/types.js'
import type { TurnStatus } from '../events/types.js'

/** Column shapes as SQLite returns them. */
export interface SessionRow {
  id: string
  title: string
  cwd: string
  cwd_is_default: number
  model: string | null
  permission_mode: string | null
  allowed_tools: string
  append_system_prompt: string | null
  claude_session_id: string
  claude_started: number
  active_turn_id: string | null
  active_turn_started_at: string | null
  created_at: string
  updated_at: string
  last_event_id: number
  turn_count: number
  cost_usd: number
  claude_total_cost: number
  input_tokens: number
  output_tokens: number
  context_tokens: number
  preview: string
  queue_paused: number
  queued_turns: number
  pending_permissions?: number
  host: string
  host_last_seen: string | null
}

export interface TurnRow {
  id: string
  session_id: string
  client_turn_id: string | null
  status: string
  prompt: string
  model: string | null
  started_at: string
  ended_at: string | null
  duration_ms: number | null
  cost_usd: number | null
  exit_code: number | null
  signal: string | null
  error: string | null
  stop_reason: string | null
  pid: number | null
  pid_start: string | null
  spool_path: string | null
  spool_offset: number
  translator_state: string | null
  /** Computed by the select: rank among the session's queued turns. */
  position: number | null
}

/** `aliveSince`: a host seen after this instant (ISO) is online. */
export function toSession(r: SessionRow, aliveSince: string): Session {
  return {
    id: r.id,
    title: r.title,
    cwd: r.cwd,
    model: r.model,
    permissionMode: r.permission_mode as PermissionMode | null,
    allowedTools: JSON.parse(r.allowed_tools) as string[],
    appendSystemPrompt: r.append_system_prompt,
    status: r.active_turn_id ? 'running' : 'idle',
    activeTurnId: r.active_turn_id,
    activeTurnStartedAt: r.active_turn_started_at,
    claudeSessionId: r.claude_session_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    lastEventId: r.last_event_id,
    turnCount: r.turn_count,
    costUsd: r.cost_usd,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    contextTokens: r.context_tokens,
    preview: r.preview,
    queuedTurns: r.queued_turns,
    queuePaused: r.queue_paused === 1,
    pendingPermissions: r.pending_permissions ?? 0,
    host: r.host,
    hostOnline: r.host_last_seen !== null && r.host_last_seen >= aliveSince,
  }
}

export function toTurn(r: TurnRow): Turn {
  return {
    id: r.id,
    sessionId: r.session_id,
    clientTurnId: r.client_turn_id,
    status: r.status as TurnStatus,
    position: r.position,
    prompt: r.prompt,
    model: r.model,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    durationMs: r.duration_ms,
    costUsd: r.cost_usd,
    exitCode: r.exit_code,
    signal: r.signal,
    error: r.error,
  }
}

export function toProcessInfo(r: TurnRow): TurnProcessInfo {
  return {
    stopReason: r.stop_reason as StopReason | null,
    pid: r.pid,
    pidStart: r.pid_start,
    spoolPath: r.spool_path,
    spoolOffset: r.spool_offset,
    translatorState: r.translator_state,
  }
}
