/** claude's spool lines → events, committed with the spool offset after them (exactly once). */
import { stampPermission } from '../approvals/request.js'
import { isMissingConversation } from '../claude/args.js'
import { translateLine } from '../claude/translate.js'
import type { EventFields, NewEvent } from '../events/types.js'
import type { RunContext } from './run-state.js'
import { endAfterResult, requestStop } from './turn-control.js'

export function ingest(ctx: RunContext, lines: string[], endOffset: number): void {
  const { s, turn, deps } = ctx
  if (s.storageError) return
  const events: NewEvent[] = []
  for (const line of lines) {
    if (line.length === 0 || s.missingConversation) continue
    s.linesSeen++
    const t = translateLine(line, s.translator)
    // claude found no transcript to resume (its first turn died before writing one): this
    // attempt is retried with --session-id, so its failure is not the turn's.
    if (
      s.resume &&
      s.attempt === 0 &&
      !t.state.sawInit &&
      t.events.some((e) => e.kind === 'turn.result' && isMissingConversation(e.text))
    ) {
      s.missingConversation = true
      continue
    }
    s.translator = t.state
    for (const e of t.events) {
      events.push(
        e.kind === 'permission.requested'
          ? {
              ...stampPermission(e, turn.id, Date.now(), deps.config.approvalTimeoutMs),
              kind: e.kind,
            }
          : e
      )
    }
  }
  s.lastOutputAt = Date.now()
  try {
    deps.eventLog.append(turn.sessionId, turn.id, events, {
      spoolOffset: endOffset,
      translatorState: JSON.stringify(s.translator),
    })
  } catch (err) {
    // Nothing claude says can be saved: stop it rather than let it work unrecorded.
    s.storageError = err as Error
    ctx.log.error('could not save claude output; stopping the turn', {
      error: s.storageError.message,
    })
    requestStop(ctx, 'storage')
    return
  }
  for (const e of events)
    if (e.kind === 'permission.requested')
      deps.broker.requested(e as EventFields['permission.requested'])
  if (s.translator.sawResult) endAfterResult(ctx)
}
