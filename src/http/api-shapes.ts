import { z } from 'zod'
import { PERMISSION_MODES } from '../sessions/types.js'

export const EVENT_STREAM = 'text/event-stream'

const TURN_STATUS = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted'])

/**
 * What the daemon answers, for the OpenAPI document. The types in sessions/types.ts are the
 * source; a test parses real answers with these, so they cannot silently drift apart.
 */
export const ResponseSchemas = {
  Health: z.object({
    ok: z.boolean(),
    version: z.string(),
    claudeVersion: z.string(),
    draining: z.boolean(),
  }),
  Session: z.object({
    id: z.string(),
    title: z.string(),
    cwd: z.string(),
    model: z.string().nullable(),
    permissionMode: z.enum(PERMISSION_MODES).nullable(),
    allowedTools: z.array(z.string()),
    appendSystemPrompt: z.string().nullable(),
    status: z.enum(['idle', 'running']),
    activeTurnId: z.string().nullable(),
    activeTurnStartedAt: z.string().nullable(),
    claudeSessionId: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastEventId: z.number().int(),
    turnCount: z.number().int(),
    costUsd: z.number(),
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    contextTokens: z.number().int(),
    preview: z.string(),
    pendingPermissions: z.number().int(),
    queuedTurns: z.number().int(),
    queuePaused: z.boolean(),
    host: z.string(),
    hostOnline: z.boolean(),
  }),
  Host: z.object({
    id: z.string(),
    alive: z.boolean(),
    lastSeen: z.string(),
    url: z.string(),
    startedAt: z.string(),
    self: z.boolean(),
  }),
  Turn: z.object({
    id: z.string(),
    sessionId: z.string(),
    clientTurnId: z.string().nullable(),
    status: TURN_STATUS,
    position: z.number().int().nullable(),
    prompt: z.string(),
    model: z.string().nullable(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    durationMs: z.number().nullable(),
    costUsd: z.number().nullable(),
    exitCode: z.number().nullable(),
    signal: z.string().nullable(),
    error: z.string().nullable(),
  }),
  Permission: z.object({
    requestId: z.string(),
    sessionId: z.string(),
    turnId: z.string(),
    kind: z.enum(['tool', 'question', 'plan']),
    toolName: z.string(),
    toolUseId: z.string(),
    input: z.unknown(),
    summary: z.string(),
    suggestions: z.array(z.unknown()),
    expiresAt: z.string().nullable(),
    createdAt: z.string(),
    status: z.enum(['pending', 'resolved']),
    decision: z.enum(['allow', 'deny']).nullable(),
    by: z.enum(['user', 'timeout', 'cancel', 'lost']).nullable(),
    message: z.string().nullable(),
    scope: z.enum(['once', 'session']).nullable(),
    answers: z.record(z.string(), z.string()).nullable(),
    resolvedAt: z.string().nullable(),
  }),
  Rule: z.object({
    id: z.string(),
    sessionId: z.string(),
    rule: z.string(),
    requestId: z.string().nullable(),
    createdAt: z.string(),
  }),
  /** `{id, sessionId, turnId, kind, ts, …fields of its kind}` (README, Events). */
  Event: z.looseObject({
    id: z.number().int(),
    sessionId: z.string(),
    turnId: z.string().nullable(),
    kind: z.string(),
    ts: z.string(),
  }),
}
