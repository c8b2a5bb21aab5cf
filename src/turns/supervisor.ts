import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { AppError, notFound } from '../errors.js'
import type { EventLog } from '../events/event-log.js'
import type { Logger } from '../log.js'
import type { StopReason, Turn } from '../sessions/types.js'
import type { Store } from '../storage/store.js'
import { startTurnRun } from './runner.js'
import type { Attachment } from '../sessions/attachments.js'
import type { RunnerConfig, TurnRun } from './runner-types.js'

export interface StartTurnInput {
  prompt: string
  model: string | null
  clientTurnId: string | null
  attachments?: readonly Attachment[]
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
  const track = (run: TurnRun) => {
    active.set(run.sessionId, run)
    void run.done.finally(() => {
      if (active.get(run.sessionId) === run) active.delete(run.sessionId)
    })
  }

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
      const runtime = store.getSessionRuntime(sessionId)!
      // The spawn happens synchronously in here; waking readers can wait until it is under way.
      track(startTurnRun({ config: deps.runner, store, eventLog, log }, r.turn, runtime))
      eventLog.published(sessionId, r.committed)
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

    /** Lets go of every running turn without stopping it: the next daemon adopts them. */
    async detachAll(): Promise<void> {
      await Promise.all([...active.values()].map((r) => r.detach()))
    },

    /**
     * Turns still marked running belong to a daemon that died or handed them over. Each is
     * adopted: a live claude is followed from the committed spool offset; a finished one has the
     * rest of its spool ingested and its turn ended (completed with a result, else interrupted).
     */
    adoptRunning(): number {
      const running = store.runningTurns().filter((r) => !active.has(r.turn.sessionId))
      for (const { turn, process } of running) {
        const runtime = store.getSessionRuntime(turn.sessionId)
        if (!runtime) continue
        track(startTurnRun({ config: deps.runner, store, eventLog, log }, turn, runtime, process))
      }
      return running.length
    },

    /** Spool files of turns that are not running are left over from a crash between end and cleanup. */
    async sweepSpool(): Promise<number> {
      const running = new Set(store.runningTurns().map((r) => r.turn.id))
      let removed = 0
      for (const name of await readdir(deps.runner.spoolDir).catch(() => [] as string[])) {
        const turnId = name.split('.')[0]!
        if (running.has(turnId)) continue
        await rm(join(deps.runner.spoolDir, name), { force: true })
        removed++
      }
      return removed
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
