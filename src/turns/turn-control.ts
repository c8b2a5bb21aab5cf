/** Stopping claude: a cancel, the end after its result, and the escalation from interrupt to SIGKILL. */
import { endSessionLine, interruptLine } from '../claude/args.js'
import type { StopReason } from '../sessions/types.js'
import { killTree, signal } from './process.js'
import type { RunContext } from './run-state.js'

/** SIGINT → SIGTERM → SIGKILL of claude and everything it started, each after a grace period. */
export function escalate(ctx: RunContext, sig: 'SIGINT' | 'SIGTERM' | 'SIGKILL'): void {
  const { s, log } = ctx
  if (s.exit || !s.proc) return
  const pid = s.proc.pid
  if (sig === 'SIGKILL') {
    const killed = killTree(pid)
    log.warn('killed claude', { pid, descendants: killed.length })
    return
  }
  log.info('signalling claude', { pid, signal: sig })
  signal(pid, sig)
  ctx.timers.later(ctx.deps.config.signalGraceMs, () =>
    escalate(ctx, sig === 'SIGINT' ? 'SIGTERM' : 'SIGKILL')
  )
}

/** The stdin interrupt first (claude ends the turn cleanly and keeps the transcript), then signals. */
export function beginStop(ctx: RunContext): void {
  const { s } = ctx
  if (
    s.proc?.hasStdin &&
    !s.translator.sawResult &&
    s.proc.write(interruptLine(`int_${ctx.turn.id}`))
  ) {
    ctx.timers.later(ctx.deps.config.interruptGraceMs, () => escalate(ctx, 'SIGINT'))
  } else {
    escalate(ctx, 'SIGINT')
  }
}

/** Stops the turn for `reason`; false when there is nothing left to stop. */
export function requestStop(ctx: RunContext, reason: StopReason): boolean {
  const { s, log } = ctx
  if (s.phase === 'ended' || s.phase === 'finishing' || s.phase === 'detached') return false
  if (s.translator.sawResult && reason !== 'storage') return false
  if (s.stopReason === null) {
    s.stopReason = reason
    try {
      ctx.deps.store.setStopReason(ctx.turn.id, reason)
    } catch (err) {
      log.warn('could not record the stop reason', { error: (err as Error).message })
    }
  }
  if (s.stopping) return true
  s.stopping = true
  log.info('stopping turn', { reason })
  // Open approvals end as cancelled; claude is told (deny + interrupt) before the interrupt.
  if (reason !== 'storage') ctx.deps.broker.resolveOpen(ctx.turn.id, 'cancel')
  // A cancel that races the spawn is carried out as soon as the process exists.
  if (s.proc) beginStop(ctx)
  return true
}

/**
 * claude's stdin is a FIFO it holds itself, so it never sees EOF and does not exit after its
 * result. Measured with 2.1.330: the `end_session` control request ends it like EOF did, with its
 * own exit code (0; 1 after an API error) in ~0.3 s; SIGINT exits 0 even after an error, SIGTERM
 * gives 143, an interrupt or closing our end leaves it running. Signals follow if it lingers.
 */
export function endAfterResult(ctx: RunContext): void {
  const { s } = ctx
  if (s.resultHandled) return
  s.resultHandled = true
  if (!s.proc || s.exit) return
  ctx.log.debug('ending claude after its result', { pid: s.proc.pid })
  const asked = s.proc.write(endSessionLine(`end_${ctx.turn.id}`))
  s.proc.closeStdin()
  if (asked) ctx.timers.later(ctx.deps.config.exitGraceMs, () => escalate(ctx, 'SIGINT'))
  else escalate(ctx, 'SIGINT')
}
