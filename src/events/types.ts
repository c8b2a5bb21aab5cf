/**
 * The replay log's vocabulary: what clients receive from GET /sessions/:id/events and /history.
 * Every stored event is `{ id, sessionId, turnId, kind, ts, ...fields }`. README lists the kinds.
 */

export interface TokenUsage {
  inputTokens: number
  outputTokens: number
  cacheReadInputTokens: number
  cacheCreationInputTokens: number
}

export type TurnStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted'
export type PermissionKind = 'tool' | 'question' | 'plan'
export type PermissionResolver = 'user' | 'timeout' | 'cancel' | 'lost'

/** Fields of each kind; the daemon adds id, sessionId, turnId and ts when it stores the event. */
export interface EventFields {
  /** A prompt sent while the session was busy waits in the daemon's queue; `position` 1 runs next. */
  'turn.queued': {
    prompt: string
    position: number
    clientTurnId: string | null
    model: string | null
  }
  /** A queued turn's prompt was changed before it started. */
  'turn.edited': { prompt: string }
  /**
   * A turn ended failed or cancelled with turns queued behind it: none starts until a resume. The
   * event's own `turnId` is that turn's (it follows the turn's turn.ended).
   */
  'queue.paused': { reason: 'failed' | 'cancelled' }
  /** The queue runs again (POST /sessions/:id/queue/resume, or a new prompt). */
  'queue.resumed': Record<never, never>
  /** The daemon accepted a prompt and is about to spawn claude. */
  'turn.started': {
    prompt: string
    model: string | null
    clientTurnId: string | null
    /** Images sent with the prompt (the bytes stay in the daemon). */
    attachments?: { mediaType: string; bytes: number }[]
  }
  /** claude's system/init: the conversation exists from here on and can be resumed. */
  'agent.init': {
    model: string
    claudeSessionId: string
    cwd: string
    tools: string[]
    /** claude's slash commands (system/init `slash_commands`), for the page's `/` suggestions. Absent in older logs. */
    slashCommands?: string[]
    permissionMode: string
    version: string
  }
  /** A streamed piece of assistant text; the final `text` of the same block replaces the pieces. */
  'text.delta': { text: string; index: number; parentToolUseId?: string }
  /** A finished assistant text block. `aborted` when a cancel cut it short. */
  text: { text: string; aborted?: boolean; parentToolUseId?: string }
  /** A finished thinking block. */
  thinking: { text: string; parentToolUseId?: string }
  /** The model called a tool. */
  'tool.use': {
    toolUseId: string
    name: string
    input: unknown
    summary: string
    parentToolUseId?: string
  }
  /** A tool's result, bounded; `bytes` is the full size, `truncated` says whether `text` was cut. */
  'tool.result': {
    toolUseId: string
    text: string
    isError: boolean
    truncated: boolean
    bytes: number
    parentToolUseId?: string
  }
  /** A tool call refused by the permission mode. */
  'tool.denied': { toolUseId: string; name: string; message: string }
  /** claude is retrying an API request. */
  'agent.retry': {
    attempt: number
    maxRetries: number
    delayMs: number
    status: number | null
    error: string
  }
  /** Other things claude reported that a person may want to see (compaction, interrupts, hooks, tasks). */
  'agent.notice': { subtype: string; message: string }
  /** A line of a type this daemon does not know; kept (bounded) rather than dropped. */
  'agent.raw': { line: string; truncated: boolean }
  /** claude's result line for the turn. `costUsd` is this turn's; `totalCostUsd` is claude's running total. */
  'turn.result': {
    isError: boolean
    subtype: string
    terminalReason: string | null
    text: string
    costUsd: number
    totalCostUsd: number
    usage: TokenUsage
    durationMs: number
    numTurns: number
  }
  /** Something went wrong: claude's stderr, a spawn failure, a bad exit, a line that is not JSON. */
  error: { message: string; source: 'agent' | 'daemon' }
  /** Always the last event of a turn, exactly once (a queued turn that is removed ends `cancelled`). */
  /**
   * claude asks before a tool call (`can_use_tool` over stdio). `requestKind` says which card to
   * show: 'question' (AskUserQuestion), 'plan' (ExitPlanMode) or 'tool'; `expiresAt` only for 'tool'.
   * (Not `kind`: every event's `kind` is its event kind.)
   */
  'permission.requested': {
    requestId: string
    turnId: string
    toolName: string
    toolUseId: string
    input: unknown
    summary: string
    suggestions: unknown[]
    expiresAt: string | null
    requestKind: PermissionKind
  }
  /** A request was answered, exactly once: by a user, the timeout, a cancel, or claude's end (lost). */
  'permission.resolved': {
    requestId: string
    decision: 'allow' | 'deny'
    by: PermissionResolver
    message?: string
    scope?: 'once' | 'session'
    answers?: Record<string, string>
  }
  'turn.ended': {
    status: Exclude<TurnStatus, 'running' | 'queued'>
    durationMs: number
    exitCode: number | null
    signal: string | null
  }
}

export type EventKind = keyof EventFields

/** An event before it is stored: no id, session, turn or time yet. */
export type NewEvent = { [K in EventKind]: { kind: K } & EventFields[K] }[EventKind]

/** An event as stored and served. */
export type StoredEvent = {
  [K in EventKind]: {
    id: number
    sessionId: string
    turnId: string | null
    kind: K
    ts: string
  } & EventFields[K]
}[EventKind]

/** A committed event as the SSE layer needs it: the id and the JSON text, serialised once. */
export interface CommittedEvent {
  id: number
  json: string
}

/** An event as a client parses it off the wire: the common fields, the rest read defensively. */
export interface WireEvent {
  id: number
  sessionId: string
  turnId: string | null
  kind: string
  ts: string
  [field: string]: unknown
}
