import type { Db } from './database.js'
import { toTurn, type SessionRow, type TurnRow } from './rows.js'
import type { CommittedEvent, NewEvent } from '../events/types.js'
import type { Turn } from '../sessions/types.js'
import type { Attachment } from '../sessions/attachments.js'

export interface BeginTurnInput {
  sessionId: string
  turnId: string
  clientTurnId: string | null
  prompt: string
  model: string | null
  /** false: refuse (busy) rather than queue when the session is busy. */
  queue: boolean
  /** Images sent with the prompt: stored with the turn, so a queued turn still has them when it starts. */
  attachments?: readonly Attachment[]
}

export type BeginTurnResult =
  | { kind: 'started'; turn: Turn; committed: CommittedEvent[] }
  | { kind: 'queued'; turn: Turn; committed: CommittedEvent[] }
  | { kind: 'existing'; turn: Turn }
  | { kind: 'busy'; activeTurnId: string | null; queuedTurns: number }
  | { kind: 'queue_full'; queuedTurns: number }
  | { kind: 'no_session' }

/** What happened to a session's queue after one of its turns ended. */
export type AdvanceResult =
  | { kind: 'started'; turn: Turn; committed: CommittedEvent[] }
  | { kind: 'paused'; committed: CommittedEvent[] }
  | { kind: 'none' }

/** A change to one queued turn: done, or why not. */
export type QueuedChange =
  | { kind: 'done'; turn: Turn; committed: CommittedEvent[] }
  | { kind: 'not_queued'; turn: Turn }
  | { kind: 'not_found' }

export interface QueueDeps {
  now: () => Date
  /** This daemon's host: queues of its sessions are the ones it resumes. */
  host: string
  sessionRow: (id: string) => SessionRow | undefined
  turnRow: (id: string) => TurnRow | undefined
  appendEvents: (sessionId: string, turnId: string | null, events: NewEvent[]) => CommittedEvent[]
}

const TITLE_FROM_PROMPT_CHARS = 80
/** A script retrying without a clientTurnId must not line up hours of paid turns. */
export const MAX_QUEUED_TURNS = 100

/**
 * The follow-up queue and the start of turns. Each method is one transaction, so what a POST sees
 * (running, queued, paused) and what it does about it cannot be split by another request or by a
 * turn ending.
 */
export function createQueueStore(db: Db, deps: QueueDeps) {
  const { now, sessionRow, turnRow, appendEvents } = deps
  const q = {
    turnByClientId: db
      .prepare('SELECT id FROM turns WHERE session_id = ? AND client_turn_id = ?')
      .pluck(),
    insertTurn:
      db.prepare(`INSERT INTO turns (id, session_id, client_turn_id, status, prompt, model, started_at, queued_at)
      VALUES (@id, @sessionId, @clientTurnId, @status, @prompt, @model, @now, @queuedAt)`),
    startSessionTurn: db.prepare(
      'UPDATE sessions SET active_turn_id = ?, turn_count = turn_count + 1 WHERE id = ?'
    ),
    promote: db.prepare(
      `UPDATE turns SET status = 'running', started_at = ? WHERE id = ? AND status = 'queued'`
    ),
    // Rowids only grow while a queued row exists, so rowid order is arrival order.
    queuedIds: db
      .prepare(`SELECT id FROM turns WHERE session_id = ? AND status = 'queued' ORDER BY rowid`)
      .pluck(),
    queuedCount: db
      .prepare(`SELECT count(*) FROM turns WHERE session_id = ? AND status = 'queued'`)
      .pluck(),
    sessionsWithQueue: db
      .prepare(
        `SELECT DISTINCT t.session_id FROM turns t JOIN sessions s ON s.id = t.session_id
        WHERE t.status = 'queued' AND s.host = ?`
      )
      .pluck(),
    setPaused: db.prepare('UPDATE sessions SET queue_paused = ? WHERE id = ?'),
    setPrompt: db.prepare('UPDATE turns SET prompt = ? WHERE id = ?'),
    setTitleIfEmpty: db.prepare(`UPDATE sessions SET title = ? WHERE id = ? AND title = ''`),
    insertAttachment: db.prepare(
      'INSERT INTO turn_attachments (turn_id, position, media_type, data) VALUES (?, ?, ?, ?)'
    ),
    attachmentSizes:
      db.prepare(`SELECT media_type AS mediaType, length(data) AS bytes FROM turn_attachments
      WHERE turn_id = ? ORDER BY position`),
  }

  const turn = (id: string) => toTurn(turnRow(id)!)
  const queuedCount = (sessionId: string) => q.queuedCount.get(sessionId) as number

  function insert(a: BeginTurnInput, status: 'running' | 'queued'): void {
    const ts = now().toISOString()
    const { attachments = [], ...row } = a
    q.insertTurn.run({
      ...row,
      id: a.turnId,
      status,
      now: ts,
      queuedAt: status === 'queued' ? ts : null,
    })
    attachments.forEach((x, i) => q.insertAttachment.run(a.turnId, i, x.mediaType, x.data))
    // An untitled session takes its title from its first prompt, as chat apps do.
    const firstLine = a.prompt.trim().split('\n')[0] ?? ''
    q.setTitleIfEmpty.run(firstLine.slice(0, TITLE_FROM_PROMPT_CHARS), a.sessionId)
  }

  /** Makes a stored turn the session's running one and appends its turn.started. */
  function start(sessionId: string, turnId: string): CommittedEvent[] {
    q.startSessionTurn.run(turnId, sessionId)
    const t = turn(turnId)
    // The images themselves stay out of the log (they can be megabytes): only their types and sizes.
    const sizes = q.attachmentSizes.all(turnId) as { mediaType: string; bytes: number }[]
    const shown = sizes.length > 0 ? { attachments: sizes } : {}
    return appendEvents(sessionId, turnId, [
      {
        kind: 'turn.started',
        prompt: t.prompt,
        model: t.model,
        clientTurnId: t.clientTurnId,
        ...shown,
      },
    ])
  }

  /** A queued turn that never ran still ends exactly once. */
  function endQueued(sessionId: string, turnId: string): CommittedEvent[] {
    return appendEvents(sessionId, turnId, [
      { kind: 'turn.ended', status: 'cancelled', durationMs: 0, exitCode: null, signal: null },
    ])
  }

  /** A paused flag with nothing queued means nothing; dropping it keeps `queuePaused` honest. */
  function dropPauseIfEmpty(sessionId: string): void {
    if (queuedCount(sessionId) === 0) q.setPaused.run(0, sessionId)
  }

  return {
    /**
     * started: the session was idle (a paused queue counts as idle: the new prompt runs first and
     * the queue resumes behind it). queued: a turn runs or others wait. The same clientTurnId
     * always yields the first turn, queued or not.
     */
    beginTurn: db.transaction((a: BeginTurnInput): BeginTurnResult => {
      const s = sessionRow(a.sessionId)
      if (!s) return { kind: 'no_session' }
      if (a.clientTurnId !== null) {
        const existing = q.turnByClientId.get(a.sessionId, a.clientTurnId) as string | undefined
        if (existing) return { kind: 'existing', turn: turn(existing) }
      }
      const queued = queuedCount(a.sessionId)
      const busy = s.active_turn_id !== null || (queued > 0 && s.queue_paused === 0)
      if (busy && !a.queue)
        return { kind: 'busy', activeTurnId: s.active_turn_id, queuedTurns: queued }
      if (busy) {
        if (queued >= MAX_QUEUED_TURNS) return { kind: 'queue_full', queuedTurns: queued }
        insert(a, 'queued')
        const committed = appendEvents(a.sessionId, a.turnId, [
          {
            kind: 'turn.queued',
            prompt: a.prompt,
            position: queued + 1,
            clientTurnId: a.clientTurnId,
            model: a.model,
          },
        ])
        return { kind: 'queued', turn: turn(a.turnId), committed }
      }
      const committed: CommittedEvent[] = []
      if (s.queue_paused === 1) {
        q.setPaused.run(0, a.sessionId)
        if (queued > 0)
          committed.push(...appendEvents(a.sessionId, null, [{ kind: 'queue.resumed' }]))
      }
      insert(a, 'running')
      committed.push(...start(a.sessionId, a.turnId))
      return { kind: 'started', turn: turn(a.turnId), committed }
    }),

    /**
     * After a turn ended: pause the queue if it ended failed or cancelled with turns waiting, else
     * start the next queued turn (unless `mayStart` is false: the daemon is stopping).
     */
    advanceQueue: db.transaction(
      (sessionId: string, endedTurnId: string | null, mayStart: boolean): AdvanceResult => {
        const s = sessionRow(sessionId)
        if (!s || s.active_turn_id !== null) return { kind: 'none' }
        const next = q.queuedIds.get(sessionId) as string | undefined
        if (!next) return { kind: 'none' }
        const ended = endedTurnId ? turnRow(endedTurnId) : undefined
        if (
          s.queue_paused === 0 &&
          ended &&
          (ended.status === 'failed' || ended.status === 'cancelled')
        ) {
          q.setPaused.run(1, sessionId)
          const committed = appendEvents(sessionId, ended.id, [
            { kind: 'queue.paused', reason: ended.status },
          ])
          return { kind: 'paused', committed }
        }
        if (s.queue_paused === 1 || !mayStart) return { kind: 'none' }
        q.promote.run(now().toISOString(), next)
        return { kind: 'started', turn: turn(next), committed: start(sessionId, next) }
      }
    ),

    /** Clears a pause (event `queue.resumed`); the caller then advances the queue. */
    resumeQueue: db.transaction(
      (
        sessionId: string
      ): { kind: 'no_session' } | { kind: 'ok'; resumed: boolean; committed: CommittedEvent[] } => {
        const s = sessionRow(sessionId)
        if (!s) return { kind: 'no_session' }
        if (s.queue_paused === 0) return { kind: 'ok', resumed: false, committed: [] }
        q.setPaused.run(0, sessionId)
        const committed =
          queuedCount(sessionId) > 0
            ? appendEvents(sessionId, null, [{ kind: 'queue.resumed' }])
            : []
        return { kind: 'ok', resumed: committed.length > 0, committed }
      }
    ),

    /** Removes a queued turn: it ends `cancelled`. */
    removeQueued: db.transaction((sessionId: string, turnId: string): QueuedChange => {
      const r = turnRow(turnId)
      if (!r || r.session_id !== sessionId) return { kind: 'not_found' }
      if (r.status !== 'queued') return { kind: 'not_queued', turn: toTurn(r) }
      const committed = endQueued(sessionId, turnId)
      dropPauseIfEmpty(sessionId)
      return { kind: 'done', turn: turn(turnId), committed }
    }),

    /** Changes a queued turn's prompt (event `turn.edited`). */
    editQueued: db.transaction(
      (sessionId: string, turnId: string, prompt: string): QueuedChange => {
        const r = turnRow(turnId)
        if (!r || r.session_id !== sessionId) return { kind: 'not_found' }
        if (r.status !== 'queued') return { kind: 'not_queued', turn: toTurn(r) }
        q.setPrompt.run(prompt, turnId)
        const committed = appendEvents(sessionId, turnId, [{ kind: 'turn.edited', prompt }])
        return { kind: 'done', turn: turn(turnId), committed }
      }
    ),

    /** Removes every queued turn of a session, in order; each ends `cancelled`. */
    clearQueue: db.transaction(
      (sessionId: string): { turnIds: string[]; committed: CommittedEvent[] } => {
        const turnIds = q.queuedIds.all(sessionId) as string[]
        const committed = turnIds.flatMap((id) => endQueued(sessionId, id))
        q.setPaused.run(0, sessionId)
        return { turnIds, committed }
      }
    ),

    /** Sessions with turns waiting, for start-up. */
    sessionsWithQueue(): string[] {
      return q.sessionsWithQueue.all(deps.host) as string[]
    },
  }
}
