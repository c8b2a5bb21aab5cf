/** What one turn run knows while it runs: its phase and the facts that decide how it ends. */
import { initialTranslatorState, type TranslatorState } from '../claude/translator-state.js'
import type { Logger } from '../log.js'
import type { StopReason, Turn, TurnProcessInfo } from '../sessions/types.js'
import type { SessionRuntime } from '../storage/store.js'
import type { ClaudeProcess, Exit } from './claude-process.js'
import type { TurnRunnerDeps } from './runner-types.js'

/**
 * spawning → streaming → finishing → ended, one way. A run that adopts a turn from an earlier
 * daemon starts at streaming. `detached`: this daemon let go (shutdown); the next one adopts it.
 */
export type RunPhase = 'spawning' | 'streaming' | 'finishing' | 'ended' | 'detached'

export interface RunState {
  phase: RunPhase
  translator: TranslatorState
  /** The current attempt runs with --resume (else --session-id). */
  resume: boolean
  attempt: number
  proc: ClaudeProcess | null
  /** claude's exit, once known. */
  exit: Exit | null
  stopReason: StopReason | null
  /** The stop sequence (interrupt, signals) has begun. */
  stopping: boolean
  /** The result line was seen and claude is being ended. */
  resultHandled: boolean
  linesSeen: number
  missingConversation: boolean
  lastOutputAt: number
  spawnError: Error | null
  storageError: Error | null
  /** Why a tool approval timed out, for the turn's ending. */
  approvalTimeout: string | null
  stderr: string
}

export function initialRunState(runtime: SessionRuntime, adopt?: TurnProcessInfo): RunState {
  return {
    phase: adopt ? 'streaming' : 'spawning',
    translator: adopt?.translatorState
      ? (JSON.parse(adopt.translatorState) as TranslatorState)
      : initialTranslatorState(runtime.claudeTotalCost),
    resume: runtime.claudeStarted,
    attempt: 0,
    proc: null,
    exit: null,
    stopReason: adopt?.stopReason ?? null,
    stopping: false,
    resultHandled: false,
    linesSeen: 0,
    missingConversation: false,
    lastOutputAt: Date.now(),
    spawnError: null,
    storageError: null,
    approvalTimeout: null,
    stderr: '',
  }
}

/** Timers that all go away together when the run ends or lets go. */
export function createTimers() {
  const set = new Set<NodeJS.Timeout>()
  return {
    later(ms: number, fn: () => void): void {
      const t = setTimeout(() => {
        set.delete(t)
        fn()
      }, ms)
      set.add(t)
    },
    clear(): void {
      for (const t of set) clearTimeout(t)
      set.clear()
    },
  }
}

/** Everything the phases of one run share. */
export interface RunContext {
  deps: TurnRunnerDeps
  turn: Turn
  runtime: SessionRuntime
  adopt: TurnProcessInfo | undefined
  log: Logger
  s: RunState
  timers: ReturnType<typeof createTimers>
  /** Resolves when the daemon lets go of the turn. */
  detachRequested: Promise<'detached'>
}
