import type { TranslatorState } from '../claude/translator-state.js'
import type { NewEvent } from '../events/types.js'
import type { StopReason } from '../sessions/types.js'
import type { Exit } from './claude-process.js'

export interface TurnFacts {
  stopReason: StopReason | null
  spawnError: Error | null
  storageError: Error | null
  /** A tool approval timed out (what to tell the user): claude was told to deny and stop. */
  approvalTimeout: string | null
  /** The turn was started by an earlier daemon. */
  adopted: boolean
  state: TranslatorState
  exit: Exit
  stderr: string
  turnTimeoutMs: number
  stallTimeoutMs: number
}

const CANCEL_REASONS: StopReason[] = ['user', 'delete', 'shutdown']

/**
 * How a turn ended and what to say about it, from what is known when claude is gone. Pure.
 * cancelled: whenever it was cancelled (claude's own error result for that is not an error);
 * failed: an error result, a bad exit without a result, a spawn failure, a timeout or stall, or a
 * full disk; interrupted: it ended without a result while no daemon watched it; else completed.
 */
export function turnOutcome(f: TurnFacts): {
  status: 'completed' | 'failed' | 'cancelled' | 'interrupted'
  errors: NewEvent[]
} {
  const daemonError = (message: string): NewEvent[] => [
    { kind: 'error', source: 'daemon', message },
  ]
  if (f.stopReason !== null && CANCEL_REASONS.includes(f.stopReason))
    return { status: 'cancelled', errors: [] }
  if (f.spawnError)
    return {
      status: 'failed',
      errors: daemonError(`claude could not be started: ${f.spawnError.message}`),
    }
  if (f.stopReason === 'timeout') {
    return {
      status: 'failed',
      errors: daemonError(
        `turn timed out after ${Math.round(f.turnTimeoutMs / 1000)} s and was stopped`
      ),
    }
  }
  if (f.stopReason === 'stall') {
    return {
      status: 'failed',
      errors: daemonError(
        `claude printed nothing for ${Math.round(f.stallTimeoutMs / 1000)} s; the turn was stopped`
      ),
    }
  }
  if (f.stopReason === 'storage') {
    const why = f.storageError?.message ?? 'the disk is full'
    return {
      status: 'failed',
      errors: daemonError(`claude's output could not be saved (${why}); the turn was stopped`),
    }
  }
  if (f.approvalTimeout !== null)
    return { status: 'failed', errors: daemonError(f.approvalTimeout) }
  const { state, exit } = f
  if (f.adopted && !state.sawResult) {
    return {
      status: 'interrupted',
      errors: daemonError('claude stopped without a result while the daemon was restarting'),
    }
  }
  const status = state.sawResult && !state.resultIsError ? 'completed' : 'failed'
  const badExit = (exit.code !== null && exit.code !== 0) || exit.signal !== null
  const stderr = f.stderr.trim()
  if (!state.sawResult) {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`
    return {
      status,
      errors: [
        { kind: 'error', source: 'agent', message: `claude ${how}: ${stderr || 'no result'}` },
      ],
    }
  }
  // An error result that claude did not already explain (an API error arrives as its own message).
  if (badExit && state.resultIsError && !state.reportedError) {
    return {
      status,
      errors: [
        {
          kind: 'error',
          source: 'agent',
          message: stderr || `claude exited with code ${exit.code}`,
        },
      ],
    }
  }
  return { status, errors: [] }
}
