import { buildClaudeArgs, interruptLine, isMissingConversation, isSessionIdInUse, userMessageLine } from '../claude/args.js'
import { initialTranslatorState, translateLine, type TranslatorState } from '../claude/translate.js'
import type { NewEvent } from '../events/types.js'
import type { StopReason, Turn, TurnProcessInfo } from '../sessions/types.js'
import { isStorageFull } from '../storage/errors.js'
import type { SessionRuntime } from '../storage/store.js'
import { adoptClaude, GONE, spawnClaude, type ClaudeProcess, type Exit } from './claude-process.js'
import { followSpool } from './follow-spool.js'
import type { TurnRun, TurnRunnerDeps } from './runner-types.js'
import { readTail, removeSpool, spoolPaths } from './spool.js'
import { turnOutcome } from './outcome.js'
import { killTree, signal } from './process.js'

/** How often the end of a turn is retried while the disk is full. */
const STORAGE_RETRY_MS = 2000

/**
 * Runs one claude turn to its end: spawn it (or adopt it from a daemon that died), ingest its
 * spool into the log with the offset in the same transaction, stop it on request, and end the
 * turn exactly once.
 */
export function startTurnRun(
  deps: TurnRunnerDeps,
  turn: Turn,
  runtime: SessionRuntime,
  adopt?: TurnProcessInfo
): TurnRun {
  const { config, store, eventLog } = deps
  const log = deps.log.child({ turn: turn.id, session: turn.sessionId })
  const session = runtime.session

  let state: TranslatorState = adopt?.translatorState
    ? (JSON.parse(adopt.translatorState) as TranslatorState)
    : initialTranslatorState(runtime.claudeTotalCost)
  let resume = runtime.claudeStarted
  let proc: ClaudeProcess | null = null
  let attempt = 0
  let exited = false
  let stopReason: StopReason | null = adopt?.stopReason ?? null
  let stopping = false
  let detached = false
  let finished = false
  let linesSeen = 0
  let missingConversation = false
  let lastOutputAt = Date.now()
  let spawnError: Error | null = null
  let storageError: Error | null = null
  let resultHandled = false
  let lastExit: Exit = { code: null, signal: null }
  let stderr = ''
  const timers = new Set<NodeJS.Timeout>()
  let wakeDetach: () => void = () => {}
  const detachRequested = new Promise<'detached'>((resolve) => {
    wakeDetach = () => resolve('detached')
  })

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t)
      fn()
    }, ms)
    timers.add(t)
  }

  function ingest(lines: string[], endOffset: number): void {
    if (storageError) return
    const events: NewEvent[] = []
    for (const line of lines) {
      if (line.length === 0 || missingConversation) continue
      linesSeen++
      const t = translateLine(line, state)
      // claude found no transcript to resume (its first turn died before writing one): this
      // attempt is retried with --session-id, so its failure is not the turn's.
      if (resume && attempt === 0 && !t.state.sawInit && t.events.some((e) => e.kind === 'turn.result' && isMissingConversation(e.text))) {
        missingConversation = true
        continue
      }
      state = t.state
      for (const e of t.events) events.push(e)
    }
    lastOutputAt = Date.now()
    try {
      eventLog.append(turn.sessionId, turn.id, events, { spoolOffset: endOffset, translatorState: JSON.stringify(state) })
    } catch (err) {
      // Nothing claude says can be saved: stop it rather than let it work unrecorded.
      storageError = err as Error
      log.error('could not save claude output; stopping the turn', { error: storageError.message })
      cancel('storage')
      return
    }
    if (state.sawResult && !resultHandled) {
      resultHandled = true
      // The result ends the turn; closing stdin lets claude exit on its own, or it is stopped.
      proc?.closeStdin()
      later(config.exitGraceMs, () => escalate('SIGTERM'))
    }
  }

  /** SIGINT → SIGTERM → SIGKILL of claude and everything it started, each after a grace period. */
  function escalate(sig: 'SIGINT' | 'SIGTERM' | 'SIGKILL'): void {
    if (exited || !proc) return
    const pid = proc.pid
    if (sig === 'SIGKILL') {
      const killed = killTree(pid)
      log.warn('killed claude', { pid, descendants: killed.length })
      return
    }
    log.info('signalling claude', { pid, signal: sig })
    signal(pid, sig)
    later(config.signalGraceMs, () => escalate(sig === 'SIGINT' ? 'SIGTERM' : 'SIGKILL'))
  }

  function beginStop(): void {
    if (proc?.hasStdin && !state.sawResult && proc.write(interruptLine(`int_${turn.id}`))) {
      later(config.interruptGraceMs, () => escalate('SIGINT'))
    } else {
      escalate('SIGINT')
    }
  }

  function cancel(reason: StopReason): boolean {
    if (finished || detached || (state.sawResult && reason !== 'storage')) return false
    if (stopReason === null) {
      stopReason = reason
      try {
        store.setStopReason(turn.id, reason)
      } catch (err) {
        log.warn('could not record the stop reason', { error: (err as Error).message })
      }
    }
    if (stopping) return true
    stopping = true
    log.info('stopping turn', { reason })
    // A cancel that races the spawn is carried out as soon as the process exists.
    if (proc) beginStop()
    return true
  }

  /** Tails the spool until claude exits (then reads it to the end) or the daemon lets go. */
  async function follow(p: ClaudeProcess, spoolPath: string, startOffset: number): Promise<'exited' | 'detached'> {
    const how = await followSpool({
      path: spoolPath,
      startOffset,
      pollMs: config.pollMs,
      exited: p.exited.then((e) => {
        exited = true
        lastExit = e
      }),
      stop: detachRequested,
      onLines: ingest,
      log,
    })
    return how === 'exited' ? 'exited' : 'detached'
  }

  async function run(): Promise<void> {
    if (config.turnTimeoutMs > 0) {
      const left = config.turnTimeoutMs - (Date.now() - Date.parse(turn.startedAt))
      later(Math.max(0, left), () => cancel('timeout'))
    }
    const stallCheck =
      config.stallTimeoutMs > 0
        ? setInterval(
            () => {
              if (!exited && Date.now() - lastOutputAt > config.stallTimeoutMs) cancel('stall')
            },
            Math.min(5000, Math.max(50, config.stallTimeoutMs / 4))
          )
        : null
    try {
      if (adopt) await runAdopted(adopt)
      else await runSpawned()
    } catch (err) {
      spawnError = err as Error
      log.error('claude could not be started', { error: spawnError.message })
    } finally {
      if (stallCheck) clearInterval(stallCheck)
    }
    if (detached) return
    await finish()
  }

  async function runSpawned(): Promise<void> {
    for (attempt = 0; ; attempt++) {
      const { spoolPath, stderrPath } = spoolPaths(config.spoolDir, turn.id, attempt)
      proc = await spawnClaude({
        bin: config.claudeBin,
        args: buildClaudeArgs({
          claudeSessionId: session.claudeSessionId,
          resume,
          model: turn.model ?? session.model,
          permissionMode: session.permissionMode,
          allowedTools: session.allowedTools,
          appendSystemPrompt: session.appendSystemPrompt,
        }),
        cwd: session.cwd,
        env: config.childEnv,
        stdoutPath: spoolPath,
        stderrPath,
        onStdinError: (err) => log.debug('claude stdin closed', { error: err.message }),
      })
      store.recordSpawn(turn.id, proc.pid, proc.startTime, spoolPath)
      log.info('claude started', { pid: proc.pid, resume, attempt })
      proc.write(userMessageLine(turn.prompt, store.turnAttachments(turn.id)))
      if (stopping) beginStop()
      if ((await follow(proc, spoolPath, 0)) === 'detached') return
      stderr = await readTail(stderrPath)
      if (attempt > 0 || stopping) return
      if (!resume && linesSeen === 0 && isSessionIdInUse(stderr)) {
        // A transcript exists that the daemon never saw begin: continue it.
        log.info('claude session id already in use; resuming it')
        resume = true
      } else if (missingConversation) {
        // The first turn died after system/init but before claude wrote its transcript.
        log.info('no conversation to resume; starting it with --session-id')
        resume = false
        missingConversation = false
        state = { ...state, sawInit: false }
      } else {
        return
      }
      store.setClaudeStarted(turn.sessionId, resume)
      linesSeen = 0
    }
  }

  async function runAdopted(info: TurnProcessInfo): Promise<void> {
    proc = info.pid !== null ? adoptClaude(info.pid, info.pidStart, config.pollMs) : null
    log.info('adopted a turn from an earlier daemon', { pid: info.pid, alive: proc !== null })
    if (stopReason !== null && proc) {
      // A cancel was under way when the earlier daemon went: carry it out.
      stopping = true
      beginStop()
    }
    if (!info.spoolPath) {
      exited = true
      return
    }
    if ((await follow(proc ?? GONE, info.spoolPath, info.spoolOffset)) === 'detached') return
    stderr = await readTail(info.spoolPath.replace(/\.out$/, '.err'))
  }

  async function finish(): Promise<void> {
    finished = true
    for (const t of timers) clearTimeout(t)
    timers.clear()
    const { status, errors } = turnOutcome({
      stopReason,
      spawnError,
      storageError,
      adopted: adopt !== undefined,
      state,
      exit: lastExit,
      stderr,
      turnTimeoutMs: config.turnTimeoutMs,
      stallTimeoutMs: config.stallTimeoutMs,
    })
    const extra: NewEvent[] = [
      ...errors,
      {
        kind: 'turn.ended',
        status,
        durationMs: Date.now() - Date.parse(turn.startedAt),
        exitCode: lastExit.code,
        signal: lastExit.signal,
      },
    ]
    // On a full disk the end is retried until it fits, so the session does not stay "running"
    // for good; if the daemon stops first, the next one adopts the turn and ends it.
    for (let logged = false; ; ) {
      try {
        eventLog.append(turn.sessionId, turn.id, extra)
        break
      } catch (err) {
        if (!isStorageFull(err)) {
          log.error('could not record the end of the turn', { error: (err as Error).message })
          return
        }
        if (!logged) log.error('disk full: the end of the turn will be recorded when there is room', { error: (err as Error).message })
        logged = true
        if (await detachedWithin(STORAGE_RETRY_MS)) return
      }
    }
    log.info('turn ended', { status, exitCode: lastExit.code, signal: lastExit.signal })
    void removeSpool(config.spoolDir, turn.id)
  }

  function detachedWithin(ms: number): Promise<boolean> {
    return Promise.race([detachRequested.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))])
  }

  const done = run().catch((err: Error) => log.error('turn runner failed', { error: err.stack ?? err.message }))

  return {
    turnId: turn.id,
    sessionId: turn.sessionId,
    cancel,
    async detach() {
      detached = true
      for (const t of timers) clearTimeout(t)
      timers.clear()
      wakeDetach()
      await done
    },
    done,
  }
}
