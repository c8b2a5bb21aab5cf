import { AppError, notFound } from '../errors.js'
import type { EventLog } from '../events/event-log.js'
import type { Logger } from '../log.js'
import type { StopReason, Turn } from '../sessions/types.js'
import type { Store } from '../storage/store.js'
import { isSameProcessAlive, killTree } from './process.js'
import { startTurnRun, type RunnerConfig, type TurnRun } from './runner.js'

export interface StartTurnInput {
  prompt: string
  model: string | null
  clientTurnId: string | null
}

export type Supervisor = ReturnType<typeof createSupervisor>

/** Owns the running turns: at most one per session. */
export function createSupervisor(deps: {
  store: Store
  eventLog: EventLog
  log: Logger
  runner: RunnerConfig
  newTurnId: () => string
}) {
  const { store, eventLog, log } = deps
  const active = new Map<string, TurnRun>()

  return {
    /** 202 semantics: the turn is stored and its process is starting when this returns. */
    startTurn(sessionId: string, input: StartTurnInput): { turn: Turn; created: boolean } {
      const r = store.beginTurn({ sessionId, turnId: deps.newTurnId(), ...input })
      switch (r.kind) {
        case 'no_session':
          throw notFound('session', sessionId)
        case 'busy':
          throw new AppError(409, 'turn_in_progress', `session ${sessionId} is running turn ${r.activeTurnId}`)
        case 'existing':
          return { turn: r.turn, created: false }
        case 'started':
          break
      }
      eventLog.published(sessionId, r.committed)
      const runtime = store.getSessionRuntime(sessionId)!
      const run = startTurnRun({ config: deps.runner, store, eventLog, log }, r.turn, runtime)
      active.set(sessionId, run)
      void run.done.finally(() => {
        if (active.get(sessionId) === run) active.delete(sessionId)
      })
      return { turn: r.turn, created: true }
    },

    cancel(sessionId: string, reason: StopReason): { cancelled: boolean; turn: Turn | null } {
      const run = active.get(sessionId)
      if (!run) return { cancelled: false, turn: null }
      const cancelled = run.cancel(reason)
      return { cancelled, turn: store.getTurn(run.turnId) }
    },

    /** Resolves when the session has no running turn, or after timeoutMs. */
    async settled(sessionId: string, timeoutMs: number): Promise<boolean> {
      const run = active.get(sessionId)
      if (!run) return true
      return withTimeout(run.done, timeoutMs)
    },

    isRunning(sessionId: string): boolean {
      return active.has(sessionId)
    },

    /** Cancels every running turn and waits for each to end, up to timeoutMs. */
    async stopAll(reason: StopReason, timeoutMs: number): Promise<boolean> {
      const runs = [...active.values()]
      for (const run of runs) run.cancel(reason)
      return withTimeout(Promise.all(runs.map((r) => r.done)), timeoutMs)
    },

    /**
     * Turns still marked running when the daemon starts belong to a daemon that died. Their claude
     * must not keep driving a conversation nobody ingests, so a live one is stopped; the turn ends
     * `interrupted` with the one turn.ended it is owed.
     */
    reconcile(): number {
      const stale = store.runningTurns().filter((r) => !active.has(r.turn.sessionId))
      for (const { turn, process } of stale) {
        if (process.pid !== null && isSameProcessAlive(process.pid, process.pidStart)) killTree(process.pid)
        eventLog.append(turn.sessionId, turn.id, [
          { kind: 'error', source: 'daemon', message: 'the daemon stopped while this turn was running' },
          {
            kind: 'turn.ended',
            status: 'interrupted',
            durationMs: Date.now() - Date.parse(turn.startedAt),
            exitCode: null,
            signal: null,
          },
        ])
        log.warn('ended a turn left running by an earlier daemon', { turn: turn.id, session: turn.sessionId })
      }
      return stale.length
    },
  }
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms)
    void p.then(() => {
      clearTimeout(t)
      resolve(true)
    })
  })
}
