import type { Db } from './database.js'
import { toProcessInfo, toSession, toTurn, type SessionRow, type TurnRow } from './rows.js'
import type { CommittedEvent, NewEvent } from '../events/types.js'
import { createEventAppender } from './event-append.js'
import { createQueueStore } from './queue.js'
import type {
  PermissionMode,
  Session,
  StopReason,
  Turn,
  TurnProcessInfo,
} from '../sessions/types.js'
import type { Permission, PermissionOutcome } from '../approvals/types.js'
import { createPermissionQueries } from './permissions.js'
import type { Attachment } from '../sessions/attachments.js'

export interface NewSession {
  id: string
  title: string
  cwd: string
  cwdIsDefault: boolean
  model: string | null
  permissionMode: PermissionMode | null
  allowedTools: string[]
  appendSystemPrompt: string | null
  claudeSessionId: string
  /** The host whose files the session works on; this daemon's when absent. */
  host?: string
}

export interface SessionPatch {
  title?: string
  model?: string | null
  permissionMode?: PermissionMode | null
  allowedTools?: string[]
  appendSystemPrompt?: string | null
}

/** What a turn needs to know about its session that the API does not show. */
export interface SessionRuntime {
  session: Session
  cwdIsDefault: boolean
  claudeStarted: boolean
  claudeTotalCost: number
  /** "Allow for this session" rules, added to the session's allowedTools on every turn. */
  sessionRules: string[]
}

export type ResolvePermissionResult =
  | { kind: 'resolved'; permission: Permission; committed: CommittedEvent[] }
  | { kind: 'already_resolved'; permission: Permission }
  | { kind: 'not_found' }

export interface Progress {
  spoolOffset?: number
  translatorState?: string
}

export interface RunningTurn {
  turn: Turn
  process: TurnProcessInfo
}

/** A session with the start of its running turn, so a list can show the elapsed time. */
const SESSION_SELECT = `SELECT s.*, t.started_at AS active_turn_started_at, h.last_seen AS host_last_seen,
  (SELECT count(*) FROM turns w WHERE w.session_id = s.id AND w.status = 'queued') AS queued_turns,
  (SELECT count(*) FROM permissions p WHERE p.session_id = s.id AND p.status = 'pending') AS pending_permissions
  FROM sessions s LEFT JOIN turns t ON t.id = s.active_turn_id LEFT JOIN hosts h ON h.id = s.host`
/** A turn with its queue position (1 = next), counted over the session's queued turns. */
const TURN_SELECT = `SELECT t.*, CASE WHEN t.status = 'queued' THEN (SELECT count(*) FROM turns w
  WHERE w.session_id = t.session_id AND w.status = 'queued' AND w.rowid <= t.rowid) END AS position FROM turns t`

export type Store = ReturnType<typeof createStore>

export interface StoreOptions {
  now?: () => Date
  /** This daemon's host id: its sessions are the ones it runs turns, approvals and queues for. */
  host?: string
  /** A host whose heartbeat is older than this is shown offline. */
  hostAliveMs?: number
}

export function createStore(db: Db, opts: StoreOptions = {}) {
  const now = opts.now ?? (() => new Date())
  const host = opts.host ?? ''
  const hostAliveMs = opts.hostAliveMs ?? 15_000
  const q = {
    insertSession:
      db.prepare(`INSERT INTO sessions (id, title, cwd, cwd_is_default, model, permission_mode,
      allowed_tools, append_system_prompt, claude_session_id, created_at, updated_at, host)
      VALUES (@id, @title, @cwd, @cwdIsDefault, @model, @permissionMode, @allowedTools, @appendSystemPrompt,
      @claudeSessionId, @now, @now, @host)`),
    getSession: db.prepare(`${SESSION_SELECT} WHERE s.id = ?`),
    listSessions: db.prepare(`${SESSION_SELECT} ORDER BY s.updated_at DESC, s.id`),
    deleteSession: db.prepare('DELETE FROM sessions WHERE id = ?'),
    getTurn: db.prepare(`${TURN_SELECT} WHERE t.id = ?`),
    // Queued turns last, in the order they will run.
    listTurns: db.prepare(`${TURN_SELECT} WHERE t.session_id = ?
      ORDER BY t.status = 'queued', CASE WHEN t.status = 'queued' THEN t.rowid END, t.started_at, t.rowid`),
    // Only this host's: another daemon's claude runs on another machine.
    runningTurns: db.prepare(`${TURN_SELECT} JOIN sessions s ON s.id = t.session_id
      WHERE t.status = 'running' AND s.host = ? ORDER BY t.started_at`),
    setClaudeStarted: db.prepare('UPDATE sessions SET claude_started = ? WHERE id = ?'),
    setProgress: db.prepare(`UPDATE turns SET spool_offset = coalesce(?, spool_offset),
      translator_state = coalesce(?, translator_state) WHERE id = ?`),
    setSpawn: db.prepare(
      'UPDATE turns SET pid = ?, pid_start = ?, spool_path = ?, spool_offset = 0 WHERE id = ?'
    ),
    setStopReason: db.prepare(
      'UPDATE turns SET stop_reason = coalesce(stop_reason, ?) WHERE id = ?'
    ),
    readEvents: db.prepare(
      'SELECT id, body FROM events WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?'
    ),
    headEventId: db.prepare('SELECT last_event_id FROM sessions WHERE id = ?').pluck(),
    cursorBounds: db.prepare(
      'SELECT last_event_id AS head, pruned_through AS prunedThrough FROM sessions WHERE id = ?'
    ),
    attachments: db.prepare(
      'SELECT media_type AS mediaType, data FROM turn_attachments WHERE turn_id = ? ORDER BY position'
    ),
    turnStartBefore: db
      .prepare(
        `SELECT id FROM events WHERE session_id = ? AND id < ? AND kind = 'turn.started'
        ORDER BY id DESC LIMIT 1 OFFSET ?`
      )
      .pluck(),
  }

  const perms = createPermissionQueries(db, host)
  const sessionRow = (id: string) => q.getSession.get(id) as SessionRow | undefined
  const session = (r: SessionRow) =>
    toSession(r, new Date(now().getTime() - hostAliveMs).toISOString())
  const turnRow = (id: string) => q.getTurn.get(id) as TurnRow | undefined

  const appendEvents = createEventAppender(db, { now, perms })

  const queue = createQueueStore(db, { now, host, sessionRow, turnRow, appendEvents })

  return {
    ...queue,

    createSession(s: NewSession): Session {
      q.insertSession.run({
        ...s,
        cwdIsDefault: s.cwdIsDefault ? 1 : 0,
        allowedTools: JSON.stringify(s.allowedTools),
        now: now().toISOString(),
        host: s.host ?? host,
      })
      return session(sessionRow(s.id)!)
    },

    getSession(id: string): Session | null {
      const r = sessionRow(id)
      return r ? session(r) : null
    },

    getSessionRuntime(id: string): SessionRuntime | null {
      const r = sessionRow(id)
      if (!r) return null
      return {
        session: session(r),
        cwdIsDefault: r.cwd_is_default === 1,
        claudeStarted: r.claude_started === 1,
        claudeTotalCost: r.claude_total_cost,
        sessionRules: perms.rules(id).map((x) => x.rule),
      }
    },

    listSessions(): Session[] {
      return (q.listSessions.all() as SessionRow[]).map(session)
    },

    patchSession(id: string, patch: SessionPatch): Session | null {
      const sets: string[] = []
      const values: Record<string, unknown> = { id, now: now().toISOString() }
      const columns: Record<keyof SessionPatch, string> = {
        title: 'title',
        model: 'model',
        permissionMode: 'permission_mode',
        allowedTools: 'allowed_tools',
        appendSystemPrompt: 'append_system_prompt',
      }
      for (const key of Object.keys(columns) as (keyof SessionPatch)[]) {
        if (patch[key] === undefined) continue
        sets.push(`${columns[key]} = @${key}`)
        values[key] = key === 'allowedTools' ? JSON.stringify(patch[key]) : patch[key]
      }
      if (sets.length > 0) {
        db.prepare(`UPDATE sessions SET ${sets.join(', ')}, updated_at = @now WHERE id = @id`).run(
          values
        )
      }
      return this.getSession(id)
    },

    deleteSession(id: string): boolean {
      return q.deleteSession.run(id).changes > 0
    },

    setClaudeStarted(sessionId: string, started: boolean): void {
      q.setClaudeStarted.run(started ? 1 : 0, sessionId)
    },

    getTurn(id: string): Turn | null {
      const r = turnRow(id)
      return r ? toTurn(r) : null
    },

    getTurnProcess(id: string): TurnProcessInfo | null {
      const r = turnRow(id)
      return r ? toProcessInfo(r) : null
    },

    listTurns(sessionId: string): Turn[] {
      return (q.listTurns.all(sessionId) as TurnRow[]).map(toTurn)
    },

    runningTurns(): RunningTurn[] {
      return (q.runningTurns.all(host) as TurnRow[]).map((r) => ({
        turn: toTurn(r),
        process: toProcessInfo(r),
      }))
    },

    recordSpawn(turnId: string, pid: number, pidStart: string | null, spoolPath: string): void {
      q.setSpawn.run(pid, pidStart, spoolPath, turnId)
    },

    /** The first reason wins: a timeout that fires during a user cancel stays a user cancel. */
    setStopReason(turnId: string, reason: StopReason): void {
      q.setStopReason.run(reason, turnId)
    },

    /** Appends events and the spool position they came from in one transaction (exactly-once ingest). */
    append: db.transaction(
      (
        sessionId: string,
        turnId: string | null,
        events: NewEvent[],
        progress?: Progress
      ): CommittedEvent[] => {
        const committed = appendEvents(sessionId, turnId, events)
        if (
          turnId &&
          progress &&
          (progress.spoolOffset !== undefined || progress.translatorState !== undefined)
        ) {
          q.setProgress.run(progress.spoolOffset ?? null, progress.translatorState ?? null, turnId)
        }
        return committed
      }
    ),

    /** Permission requests and session rules (reads and delivery bookkeeping). */
    permissions: perms,

    /**
     * Resolves a pending request exactly once: the UPDATE's `changes` decides which answer wins,
     * and the winner's `permission.resolved` event (and session rules) commit with it.
     */
    resolvePermission: db.transaction(
      (
        sessionId: string,
        requestId: string,
        outcome: PermissionOutcome,
        newRuleId: () => string
      ): ResolvePermissionResult => {
        const before = perms.get(requestId)
        if (!before || before.sessionId !== sessionId) return { kind: 'not_found' }
        const ts = now().toISOString()
        if (!perms.resolve(requestId, outcome, ts))
          return { kind: 'already_resolved', permission: before }
        for (const rule of outcome.rules) perms.addRule(newRuleId(), sessionId, rule, requestId, ts)
        const committed = appendEvents(sessionId, before.turnId, [
          {
            kind: 'permission.resolved',
            requestId,
            decision: outcome.decision,
            by: outcome.by,
            ...(outcome.message !== null ? { message: outcome.message } : {}),
            ...(outcome.scope !== null ? { scope: outcome.scope } : {}),
            ...(outcome.answers !== null ? { answers: outcome.answers } : {}),
          },
        ])
        return { kind: 'resolved', permission: perms.get(requestId)!, committed }
      }
    ),

    readEvents(sessionId: string, afterId: number, limit: number): CommittedEvent[] {
      const rows = q.readEvents.all(sessionId, afterId, limit) as { id: number; body: string }[]
      return rows.map((r) => ({ id: r.id, json: `{"id":${r.id},${r.body.slice(1)}` }))
    },

    headEventId(sessionId: string): number | null {
      const v = q.headEventId.get(sessionId) as number | undefined
      return v ?? null
    },

    /** The newest event id, and the newest id retention removed (0: nothing pruned). */
    cursorBounds(sessionId: string): { head: number; prunedThrough: number } | null {
      return (
        (q.cursorBounds.get(sessionId) as { head: number; prunedThrough: number } | undefined) ??
        null
      )
    },

    /** The images sent with a turn's prompt, in order. */
    turnAttachments(turnId: string): Attachment[] {
      return q.attachments.all(turnId) as Attachment[]
    },

    /** The id of the n-th newest `turn.started` below `beforeId` (n ≥ 1), or null when there are fewer. */
    turnStartBefore(sessionId: string, beforeId: number, n: number): number | null {
      return (q.turnStartBefore.get(sessionId, beforeId, n - 1) as number | undefined) ?? null
    },

    checkpoint(): void {
      db.checkpoint()
    },

    close(): void {
      db.close()
    },
  }
}
