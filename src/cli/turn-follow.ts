import type { WireEvent } from '../events/types.js'
import type { Context } from './command.js'
import { followSession } from './follow.js'
import { jsonLine } from './format.js'
import { EXIT } from './io.js'
import { createEventRenderer } from './render/events.js'

/** Exit code of a finished turn: 0 completed, 3 failed, cancelled or interrupted. */
export const exitForStatus = (status: string) =>
  status === 'completed' ? EXIT.ok : EXIT.turnFailed

/**
 * Shows one turn's events (rendered, or NDJSON with --json) from a cursor until its turn.ended,
 * reconnecting as needed, and returns that turn's final status.
 */
export async function followTurn(
  ctx: Context,
  sessionId: string,
  cursor: number,
  turnId: string,
  signal: AbortSignal
): Promise<string> {
  const json = ctx.values.json === true
  const renderer = createEventRenderer({ style: ctx.style, write: ctx.out })
  let status = 'interrupted'
  await followSession(
    ctx.client().target,
    sessionId,
    cursor,
    {
      onEvent(e: WireEvent) {
        if (e.turnId !== turnId) return
        if (json) ctx.out(jsonLine(e))
        else renderer.render(e)
        if (e.kind === 'turn.ended') {
          status = String(e.status)
          return 'stop'
        }
      },
    },
    signal
  )
  renderer.flush()
  return status
}
