/** The permissions and session_rules tables (migrations/0004_approvals.sql). */
import type { Permission, PermissionOutcome, SessionRule } from '../approvals/types.js'
import type { EventFields, PermissionKind, PermissionResolver } from '../events/types.js'
import type { Db } from './database.js'

interface PermissionRow {
  request_id: string
  session_id: string
  turn_id: string
  kind: string
  tool_name: string
  tool_use_id: string
  input: string
  summary: string
  suggestions: string
  expires_at: string | null
  created_at: string
  status: string
  decision: string | null
  resolved_by: string | null
  message: string | null
  scope: string | null
  answers: string | null
  resolved_at: string | null
  response: string | null
  delivered: number
}

interface RuleRow {
  id: string
  session_id: string
  rule: string
  request_id: string | null
  created_at: string
}

export function toPermission(r: PermissionRow): Permission {
  return {
    requestId: r.request_id,
    sessionId: r.session_id,
    turnId: r.turn_id,
    kind: r.kind as PermissionKind,
    toolName: r.tool_name,
    toolUseId: r.tool_use_id,
    input: JSON.parse(r.input) as unknown,
    summary: r.summary,
    suggestions: JSON.parse(r.suggestions) as unknown[],
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    status: r.status as Permission['status'],
    decision: r.decision as Permission['decision'],
    by: r.resolved_by as PermissionResolver | null,
    message: r.message,
    scope: r.scope as Permission['scope'],
    answers: r.answers === null ? null : (JSON.parse(r.answers) as Record<string, string>),
    resolvedAt: r.resolved_at,
  }
}

const toRule = (r: RuleRow): SessionRule => ({
  id: r.id,
  sessionId: r.session_id,
  rule: r.rule,
  requestId: r.request_id,
  createdAt: r.created_at,
})

/** An answer that claude has not been told yet (the daemon died between commit and write). */
export interface Undelivered {
  requestId: string
  response: string
}

export type PermissionQueries = ReturnType<typeof createPermissionQueries>

export function createPermissionQueries(db: Db, host: string) {
  const q = {
    insert:
      db.prepare(`INSERT OR IGNORE INTO permissions (request_id, session_id, turn_id, kind, tool_name,
      tool_use_id, input, summary, suggestions, expires_at, created_at)
      VALUES (@requestId, @sessionId, @turnId, @kind, @toolName, @toolUseId, @input, @summary, @suggestions,
      @expiresAt, @createdAt)`),
    get: db.prepare('SELECT * FROM permissions WHERE request_id = ?'),
    pendingOfSession:
      db.prepare(`SELECT * FROM permissions WHERE session_id = ? AND status = 'pending'
      ORDER BY created_at, rowid`),
    pendingOfTurn: db.prepare(
      `SELECT * FROM permissions WHERE turn_id = ? AND status = 'pending' ORDER BY rowid`
    ),
    expiring: db.prepare(
      `SELECT p.* FROM permissions p JOIN sessions s ON s.id = p.session_id
      WHERE p.status = 'pending' AND p.expires_at IS NOT NULL AND s.host = ?`
    ),
    // The first answer wins: `changes` tells the caller whether it was this one.
    resolve:
      db.prepare(`UPDATE permissions SET status = 'resolved', decision = @decision, resolved_by = @by,
      message = @message, scope = @scope, answers = @answers, response = @response,
      delivered = CASE WHEN CAST(@response AS TEXT) IS NULL THEN 1 ELSE 0 END, resolved_at = @now
      WHERE request_id = @requestId AND status = 'pending'`),
    delivered: db.prepare('UPDATE permissions SET delivered = 1 WHERE request_id = ?'),
    undelivered: db.prepare(`SELECT request_id AS requestId, response FROM permissions
      WHERE turn_id = ? AND status = 'resolved' AND delivered = 0 AND response IS NOT NULL ORDER BY resolved_at, rowid`),
    insertRule:
      db.prepare(`INSERT OR IGNORE INTO session_rules (id, session_id, rule, request_id, created_at)
      VALUES (?, ?, ?, ?, ?)`),
    rules: db.prepare(
      'SELECT * FROM session_rules WHERE session_id = ? ORDER BY created_at, rowid'
    ),
    deleteRule: db.prepare('DELETE FROM session_rules WHERE session_id = ? AND id = ?'),
  }
  const row = (requestId: string) => q.get.get(requestId) as PermissionRow | undefined

  return {
    insert(sessionId: string, p: EventFields['permission.requested'], createdAt: string): void {
      q.insert.run({
        ...p,
        kind: p.requestKind,
        sessionId,
        input: JSON.stringify(p.input ?? {}),
        suggestions: JSON.stringify(p.suggestions),
        createdAt,
      })
    },
    get(requestId: string): Permission | null {
      const r = row(requestId)
      return r ? toPermission(r) : null
    },
    pendingOfSession: (sessionId: string): Permission[] =>
      (q.pendingOfSession.all(sessionId) as PermissionRow[]).map(toPermission),
    pendingOfTurn: (turnId: string): Permission[] =>
      (q.pendingOfTurn.all(turnId) as PermissionRow[]).map(toPermission),
    /** This host's open tool approvals, whose timeouts it keeps. */
    expiring: (): Permission[] => (q.expiring.all(host) as PermissionRow[]).map(toPermission),
    /** True when this call resolved it; false when it was resolved already. */
    resolve(requestId: string, o: PermissionOutcome, now: string): boolean {
      return (
        q.resolve.run({
          requestId,
          decision: o.decision,
          by: o.by,
          message: o.message,
          scope: o.scope,
          answers: o.answers === null ? null : JSON.stringify(o.answers),
          response: o.response,
          now,
        }).changes === 1
      )
    },
    markDelivered(requestId: string): void {
      q.delivered.run(requestId)
    },
    undelivered: (turnId: string): Undelivered[] => q.undelivered.all(turnId) as Undelivered[],
    addRule(
      id: string,
      sessionId: string,
      rule: string,
      requestId: string | null,
      now: string
    ): void {
      q.insertRule.run(id, sessionId, rule, requestId, now)
    },
    rules: (sessionId: string): SessionRule[] => (q.rules.all(sessionId) as RuleRow[]).map(toRule),
    deleteRule: (sessionId: string, id: string): boolean =>
      q.deleteRule.run(sessionId, id).changes > 0,
  }
}
