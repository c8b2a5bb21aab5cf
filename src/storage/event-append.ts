import type { CommittedEvent, NewEvent } from '../events/types.js'
import type { Db } from './database.js'
import { batchOf, eventBody } from './event-json.js'
import { createEventInserter } from './event-insert.js'
import type { PermissionQueries } from './permissions.js'

const PREVIEW_CHARS = 240
const ERROR_CHARS = 2000

/**
 * Appends a batch of events and applies what each one means to the session and turn rows (the
 * preview, costs, the turn's end), inside the caller's transaction: the log and the rows that
 * summarise it never disagree.
 */
export function createEventAppender(db: Db, deps: { now: () => Date; perms: PermissionQueries }) {
  const { now, perms } = deps
  const insertEvents = createEventInserter(db)
  const q = {
    touchSession: db.prepare('UPDATE sessions SET last_event_id = ?, updated_at = ? WHERE id = ?'),
    setPreview: db.prepare('UPDATE sessions SET preview = ? WHERE id = ?'),
    addResult:
      db.prepare(`UPDATE sessions SET cost_usd = cost_usd + @cost, claude_total_cost = @total,
      input_tokens = input_tokens + @input, output_tokens = output_tokens + @output,
      context_tokens = @context WHERE id = @id`),
    setTurnCost: db.prepare('UPDATE turns SET cost_usd = ? WHERE id = ?'),
    setTurnError: db.prepare('UPDATE turns SET error = ? WHERE id = ?'),
    endTurn:
      db.prepare(`UPDATE turns SET status = @status, ended_at = @endedAt, duration_ms = @durationMs,
      exit_code = @exitCode, signal = @signal, last_event_id = @lastEventId WHERE id = @id`),
    clearActive: db.prepare(
      'UPDATE sessions SET active_turn_id = NULL WHERE id = ? AND active_turn_id = ?'
    ),
    setClaudeStarted: db.prepare('UPDATE sessions SET claude_started = ? WHERE id = ?'),
  }

  function appendEvents(
    sessionId: string,
    turnId: string | null,
    events: NewEvent[]
  ): CommittedEvent[] {
    const ts = now().toISOString()
    const committed: CommittedEvent[] = []
    const batch = batchOf(sessionId, turnId, ts)
    const rows = events.map((event) => ({ kind: event.kind, body: eventBody(batch, event) }))
    const ids = insertEvents(sessionId, turnId, rows)
    events.forEach((event, i) => {
      const id = ids[i]!
      committed.push({ id, json: `{"id":${id},${rows[i]!.body.slice(1)}` })
      applyEffects(sessionId, turnId, event, ts, id)
    })
    const last = committed[committed.length - 1]
    if (last) q.touchSession.run(last.id, ts, sessionId)
    return committed
  }

  function applyEffects(
    sessionId: string,
    turnId: string | null,
    event: NewEvent,
    ts: string,
    id: number
  ): void {
    switch (event.kind) {
      case 'turn.started':
        q.setPreview.run(event.prompt.slice(0, PREVIEW_CHARS), sessionId)
        break
      case 'agent.init':
        q.setClaudeStarted.run(1, sessionId)
        break
      case 'text':
        if (!event.parentToolUseId) q.setPreview.run(event.text.slice(0, PREVIEW_CHARS), sessionId)
        break
      case 'turn.result': {
        const u = event.usage
        q.addResult.run({
          id: sessionId,
          cost: event.costUsd,
          total: event.totalCostUsd,
          input: u.inputTokens + u.cacheReadInputTokens + u.cacheCreationInputTokens,
          output: u.outputTokens,
          context:
            u.inputTokens + u.cacheReadInputTokens + u.cacheCreationInputTokens + u.outputTokens,
        })
        if (turnId) q.setTurnCost.run(event.costUsd, turnId)
        break
      }
      case 'permission.requested':
        perms.insert(sessionId, event, ts)
        break
      case 'error':
        if (turnId) q.setTurnError.run(event.message.slice(0, ERROR_CHARS), turnId)
        break
      case 'turn.ended':
        if (!turnId) break
        q.endTurn.run({
          id: turnId,
          status: event.status,
          endedAt: ts,
          durationMs: event.durationMs,
          exitCode: event.exitCode,
          signal: event.signal,
          lastEventId: id,
        })
        q.clearActive.run(sessionId, turnId)
        break
      default:
        break
    }
  }

  return appendEvents
}
