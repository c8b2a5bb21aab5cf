import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { CommittedEvent } from '../events/types.js'
import type { EventLog } from '../events/event-log.js'
import type { PermissionBroker } from '../approvals/broker.js'
import { setPermissionModeLine } from '../claude/args.js'
import type { Logger } from '../log.js'
import { checkTurnCwd } from '../sessions/cwd.js'
import type { StopReason, Turn } from '../sessions/types.js'
import type { BeginTurnResult } from '../storage/queue.js'
import type { Store } from '../storage/store.js'
import { startTurnRun } from './runner.js'
import type { Attachment } from '../sessions/attachments.js'
import type { RunnerConfig, TurnRun } from './runner-types.js'
import { spoolTurnId } from './spool.js'
import { createStdinFifos } from './stdin-fifo.js'

export interface StartTurnInput {
  prompt: string
  model: string | null
  clientTurnId: string | null
  /** false: a busy session refuses the prompt instead of queueing it. */
  queue: boolean
  attachments?: readonly Attachment[]
}

/** Where a session's claude may run: the allowed roots, or the workspaces dir for default ones. */
export interface CwdPolicy {
  allowedRoots: string[]
  dataDir: string
}

export type Supervisor = ReturnType<typeof createSupervisor>

/**
 * Owns the running turns, at most one per session, and starts queued turns as earlier ones end.
 * It only spawns: what a request may do is decided by the store, and said in HTTP by the service.
 */
export function createSupervisor(deps: {
  store: Store
  eventLog: EventLog
  log: Logger
  runner: RunnerConfig
  newTurnId: () => string
  cwd: CwdPolicy
  broker: PermissionBroker
}) {
  const { store, eventLog, log, broker } = deps
  const fifos = createStdinFifos(deps.runner.spoolDir)
  const active = new Map<string, TurnRun>()
  /** Set while the daemon stops: turns that end then do not start queued ones. */
  let closing = false

  const track = (run: TurnRun) => {
    active.set(run.sessionId, run)
    void run.done.finally(() => {
      if (active.get(run.sessionId) === run) active.delete(run.sessionId)
      advance(run.sessionId, run.turnId)
    })
  }

  /** Spawns a turn the store has just started; `committed` holds its turn.started. */
  function launch(turn: Turn, committed: CommittedEvent[]): void {
    const runtime = store.getSessionRuntime(turn.sessionId)!
    const policy = deps.cwd
    // A default workspace must still be the very directory it was created as (not swapped for a
    // symlink): checked against itself, so moving AGENTMUX_WORKSPACES_DIR later breaks no session.
    const roots = runtime.cwdIsDefault ? [runtime.session.cwd] : policy.allowedRoots
    const where = checkTurnCwd(runtime.session.cwd, roots, policy.dataDir)
    if (!where.ok) {
      eventLog.published(turn.sessionId, committed)
      log.warn('turn not started: session directory refused', {
        session: turn.sessionId,
        turn: turn.id,
      })
      eventLog.append(turn.sessionId, turn.id, [
        { kind: 'error', message: where.message, source: 'daemon' },
        { kind: 'turn.ended', status: 'failed', durationMs: 0, exitCode: null, signal: null },
      ])
      advance(turn.sessionId, turn.id)
      return
    }
    const resolved = { ...runtime, session: { ...runtime.session, cwd: where.cwd } }
    // The spawn happens synchronously in here; waking readers can wait until it is under way.
    track(
      startTurnRun({ config: deps.runner, store, eventLog, log, broker, fifos }, turn, resolved)
    )
    eventLog.published(turn.sessionId, committed)
  }

  /** After a turn ended: pause the queue or start its next turn, in one store transaction. */
  function advance(sessionId: string, endedTurnId: string | null): void {
    try {
      const r = store.advanceQueue(sessionId, endedTurnId, !closing)
      if (r.kind === 'paused') eventLog.published(sessionId, r.committed)
      if (r.kind === 'started') launch(r.turn, r.committed)
    } catch (err) {
      log.error('could not advance the queue', {
        session: sessionId,
        error: (err as Error).message,
      })
    }
  }

  return {
    /** 202 semantics: a started turn's process is starting when this returns; a queued one is stored. */
    startTurn(sessionId: string, input: StartTurnInput): BeginTurnResult {
      const r = store.beginTurn({ sessionId, turnId: deps.newTurnId(), ...input })
      if (r.kind === 'started') launch(r.turn, r.committed)
      if (r.kind === 'queued') eventLog.published(sessionId, r.committed)
      return r
    },

    /** Starts the next queued turn of an idle session whose queue is not paused. */
    advance(sessionId: string): void {
      if (!active.has(sessionId)) advance(sessionId, null)
    },

    /** At start-up, after adoption: idle sessions with turns queued start their next one. */
    resumeQueues(): number {
      let started = 0
      for (const sessionId of store.sessionsWithQueue()) {
        if (active.has(sessionId)) continue
        advance(sessionId, null)
        if (active.has(sessionId)) started++
      }
      return started
    },

    cancel(sessionId: string, reason: StopReason): { cancelled: boolean; turn: Turn | null } {
      const run = active.get(sessionId)
      if (!run) return { cancelled: false, turn: null }
      const cancelled = run.cancel(reason)
      return { cancelled, turn: store.getTurn(run.turnId) }
    },

    /** A permission mode change reaches the running claude too (set_permission_mode). */
    setPermissionMode(sessionId: string, mode: string): boolean {
      return (
        active.get(sessionId)?.control(setPermissionModeLine(`mode_${Date.now()}`, mode)) ?? false
      )
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

    /** Cancels every running turn without waiting; returns how many were running. */
    cancelAll(reason: StopReason): number {
      const runs = [...active.values()]
      for (const run of runs) run.cancel(reason)
      return runs.length
    },

    /** Cancels every running turn and waits for each to end, up to timeoutMs. */
    async stopAll(reason: StopReason, timeoutMs: number): Promise<boolean> {
      closing = true
      const runs = [...active.values()]
      for (const run of runs) run.cancel(reason)
      return withTimeout(Promise.all(runs.map((r) => r.done)), timeoutMs)
    },

    /** Lets go of every running turn without stopping it: the next daemon adopts them. */
    async detachAll(): Promise<void> {
      closing = true
      await Promise.all([...active.values()].map((r) => r.detach()))
      await fifos.close()
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
        track(
          startTurnRun(
            { config: deps.runner, store, eventLog, log, broker, fifos },
            turn,
            runtime,
            process
          )
        )
      }
      return running.length
    },

    /** Spool files of turns that are not running are left over from a crash between end and cleanup. */
    async sweepSpool(): Promise<number> {
      const running = new Set(store.runningTurns().map((r) => r.turn.id))
      let removed = 0
      for (const name of await readdir(deps.runner.spoolDir).catch(() => [] as string[])) {
        const turnId = spoolTurnId(name)
        if (running.has(turnId)) continue
        await rm(join(deps.runner.spoolDir, name), { force: true })
        removed++
      }
      void fifos.refill()
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
