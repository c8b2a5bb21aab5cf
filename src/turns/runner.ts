import { buildClaudeArgs, initializeLine, userMessageLine } from '../claude/args.js'
import type { NewEvent } from '../events/types.js'
import type { Turn, TurnProcessInfo } from '../sessions/types.js'
import { isStorageFull } from '../storage/errors.js'
import type { SessionRuntime } from '../storage/store.js'
import { adoptClaude, GONE, spawnClaude, type ClaudeProcess } from './claude-process.js'
import { followSpool } from './follow-spool.js'
import { killTree } from './process.js'
import { retryDecision } from './retry.js'
import { createTimers, initialRunState, type RunContext } from './run-state.js'
import type { TurnRun, TurnRunnerDeps } from './runner-types.js'
import { readTail, removeSpool, siblingsOf, spoolPaths } from './spool.js'
import { turnOutcome } from './outcome.js'
import { beginStop, endAfterResult, requestStop } from './turn-control.js'
import { ingest } from './turn-ingest.js'

/** How often the end of a turn is retried while the disk is full. */
const STORAGE_RETRY_MS = 2000

/**
 * Runs one claude turn to its end, in phases: spawn it (or adopt it from a daemon that died) →
 * stream its spool into the log, the offset in the same transaction → finish: end the turn
 * exactly once. A stop request can come at any time (turn-control.ts).
 */
export function startTurnRun(
  deps: TurnRunnerDeps,
  turn: Turn,
  runtime: SessionRuntime,
  adopt?: TurnProcessInfo
): TurnRun {
  let wakeDetach: () => void = () => {}
  const ctx: RunContext = {
    deps,
    turn,
    runtime,
    adopt,
    log: deps.log.child({ turn: turn.id, session: turn.sessionId }),
    s: initialRunState(runtime, adopt),
    timers: createTimers(),
    detachRequested: new Promise<'detached'>((resolve) => {
      wakeDetach = () => resolve('detached')
    }),
  }
  const done = run(ctx).catch((err: Error) =>
    ctx.log.error('turn runner failed', { error: err.stack ?? err.message })
  )
  return {
    turnId: turn.id,
    sessionId: turn.sessionId,
    cancel: (reason) => requestStop(ctx, reason),
    control: (line) => (ctx.s.phase === 'streaming' && ctx.s.proc?.write(line)) || false,
    async detach() {
      ctx.s.phase = 'detached'
      ctx.timers.clear()
      wakeDetach()
      await done
    },
    done,
  }
}

async function run(ctx: RunContext): Promise<void> {
  const stopWatchdogs = startWatchdogs(ctx)
  try {
    if (ctx.adopt) await adoptPhase(ctx, ctx.adopt)
    else await spawnPhase(ctx)
  } catch (err) {
    ctx.s.spawnError = err as Error
    // The code only: Node's message for a bad argument quotes the argument, a user's text.
    const code = (ctx.s.spawnError as NodeJS.ErrnoException).code ?? ctx.s.spawnError.name
    ctx.log.error('claude could not be started', { code })
  } finally {
    stopWatchdogs()
    ctx.deps.broker.disconnect(ctx.turn.id)
    ctx.s.proc?.closeStdin()
  }
  if (ctx.s.phase === 'detached') return
  await finishPhase(ctx)
}

/** The turn timeout, and the stall check (paused while claude waits for an answer). */
function startWatchdogs(ctx: RunContext): () => void {
  const { config } = ctx.deps
  if (config.turnTimeoutMs > 0) {
    const left = config.turnTimeoutMs - (Date.now() - Date.parse(ctx.turn.startedAt))
    ctx.timers.later(Math.max(0, left), () => requestStop(ctx, 'timeout'))
  }
  if (config.stallTimeoutMs <= 0) return () => {}
  const check = setInterval(
    () => {
      const { s } = ctx
      if (s.exit) return
      // Silence while a question or approval is open is the user's, not claude's.
      if (ctx.deps.store.permissions.pendingOfTurn(ctx.turn.id).length > 0)
        s.lastOutputAt = Date.now()
      else if (Date.now() - s.lastOutputAt > config.stallTimeoutMs) requestStop(ctx, 'stall')
    },
    Math.min(5000, Math.max(50, config.stallTimeoutMs / 4))
  )
  return () => clearInterval(check)
}

/** Spawns claude, at most twice (retry.ts decides), and streams each attempt. */
async function spawnPhase(ctx: RunContext): Promise<void> {
  const { s, deps, turn } = ctx
  for (s.attempt = 0; ; s.attempt++) {
    const files = spoolPaths(deps.config.spoolDir, turn.id, s.attempt)
    const proc = await spawnAttempt(ctx, files)
    if ((await stream(ctx, proc, files.spoolPath, 0)) === 'detached') return
    s.stderr = await readTail(files.stderrPath)
    const next = retryDecision({
      attempt: s.attempt,
      stopping: s.stopping,
      resume: s.resume,
      linesSeen: s.linesSeen,
      stderr: s.stderr,
      missingConversation: s.missingConversation,
    })
    if (!next.retry) return
    ctx.log.info(
      next.why === 'session_id_in_use'
        ? 'claude session id already in use; resuming it'
        : 'no conversation to resume; starting it with --session-id'
    )
    s.resume = next.resume
    s.missingConversation = false
    if (next.why === 'missing_conversation') s.translator = { ...s.translator, sawInit: false }
    deps.store.setClaudeStarted(turn.sessionId, s.resume)
    s.linesSeen = 0
    s.exit = null
    s.phase = 'spawning'
  }
}

async function spawnAttempt(
  ctx: RunContext,
  files: ReturnType<typeof spoolPaths>
): Promise<ClaudeProcess> {
  const { s, deps, turn, runtime } = ctx
  const session = runtime.session
  const proc = await spawnClaude({
    bin: deps.config.claudeBin,
    args: buildClaudeArgs({
      claudeSessionId: session.claudeSessionId,
      resume: s.resume,
      model: turn.model ?? session.model,
      permissionMode: session.permissionMode,
      allowedTools: [
        ...session.allowedTools,
        ...runtime.sessionRules.filter((r) => !session.allowedTools.includes(r)),
      ],
    }),
    cwd: session.cwd,
    env: deps.config.childEnv,
    stdoutPath: files.spoolPath,
    stderrPath: files.stderrPath,
    stdinPath: files.stdinPath,
    fifos: deps.fifos,
    onStdinError: (err) => ctx.log.debug('claude stdin closed', { error: err.message }),
  })
  s.proc = proc
  if (!proc.hasStdin) {
    // Without its stdin claude would wait for a prompt for ever.
    killTree(proc.pid)
    throw new Error(`could not open claude's stdin (${files.stdinPath})`)
  }
  if (session.appendSystemPrompt)
    proc.write(initializeLine(`init_${turn.id}`, session.appendSystemPrompt))
  proc.write(userMessageLine(turn.prompt, deps.store.turnAttachments(turn.id)))
  // Only now is the pid recorded: a daemon killed in between leaves a turn the next daemon ends
  // `interrupted`. Recorded first, it left a claude alive without its prompt, which the next daemon
  // adopted and waited on for ever (a rare kill -9 harness failure, once on each engine).
  deps.store.recordSpawn(turn.id, proc.pid, proc.startTime, files.spoolPath)
  ctx.log.info('claude started', { pid: proc.pid, resume: s.resume, attempt: s.attempt })
  connectBroker(ctx, proc)
  if (s.stopping) beginStop(ctx)
  return proc
}

/** Answers reach claude through its stdin; a timed-out approval is remembered for the ending. */
function connectBroker(ctx: RunContext, proc: ClaudeProcess): void {
  if (!proc.hasStdin) return
  ctx.deps.broker.connect(ctx.turn.id, (line) => proc.write(line), {
    onTimeout: (message) => {
      ctx.s.approvalTimeout ??= message
    },
  })
}

/** Tails the spool until claude exits (then reads it to the end) or the daemon lets go. */
async function stream(
  ctx: RunContext,
  proc: ClaudeProcess,
  spoolPath: string,
  startOffset: number
): Promise<'exited' | 'detached'> {
  const { s } = ctx
  if (s.phase !== 'detached') s.phase = 'streaming'
  const how = await followSpool({
    path: spoolPath,
    startOffset,
    pollMs: ctx.deps.config.pollMs,
    exited: proc.exited.then((e) => {
      s.exit = e
    }),
    stop: ctx.detachRequested,
    onLines: (lines, endOffset) => ingest(ctx, lines, endOffset),
    log: ctx.log,
  })
  return how === 'exited' ? 'exited' : 'detached'
}

async function adoptPhase(ctx: RunContext, info: TurnProcessInfo): Promise<void> {
  const { s } = ctx
  const files = info.spoolPath ? siblingsOf(info.spoolPath) : null
  const onStdinError = (err: Error) => ctx.log.debug('claude stdin closed', { error: err.message })
  const proc =
    info.pid !== null
      ? adoptClaude(
          info.pid,
          info.pidStart,
          ctx.deps.config.pollMs,
          files?.stdinPath ?? null,
          onStdinError
        )
      : null
  s.proc = proc
  ctx.log.info('adopted a turn from an earlier daemon', {
    pid: info.pid,
    alive: proc !== null,
    stdin: proc?.hasStdin ?? false,
  })
  if (proc) connectBroker(ctx, proc)
  if (s.stopReason !== null && proc) {
    // A cancel was under way when the earlier daemon went: carry it out.
    s.stopping = true
    beginStop(ctx)
  }
  // The earlier daemon saw the result but died before claude exited.
  if (s.translator.sawResult) endAfterResult(ctx)
  if (!files) {
    s.exit = { code: null, signal: null }
    return
  }
  if ((await stream(ctx, proc ?? GONE, files.spoolPath, info.spoolOffset)) === 'detached') return
  s.stderr = await readTail(files.stderrPath)
}

async function finishPhase(ctx: RunContext): Promise<void> {
  const { s, deps, turn, log } = ctx
  s.phase = 'finishing'
  ctx.timers.clear()
  // Requests still open when claude is gone can never be answered.
  deps.broker.resolveOpen(turn.id, 'lost')
  const exit = s.exit ?? { code: null, signal: null }
  const { status, errors } = turnOutcome({
    stopReason: s.stopReason,
    spawnError: s.spawnError,
    storageError: s.storageError,
    approvalTimeout: s.approvalTimeout,
    adopted: ctx.adopt !== undefined,
    state: s.translator,
    exit,
    stderr: s.stderr,
    turnTimeoutMs: deps.config.turnTimeoutMs,
    stallTimeoutMs: deps.config.stallTimeoutMs,
  })
  const extra: NewEvent[] = [
    ...errors,
    {
      kind: 'turn.ended',
      status,
      durationMs: Date.now() - Date.parse(turn.startedAt),
      exitCode: exit.code,
      signal: exit.signal,
    },
  ]
  if (!(await appendEnd(ctx, extra))) return
  s.phase = 'ended'
  log.info('turn ended', { status, exitCode: exit.code, signal: exit.signal })
  void removeSpool(deps.config.spoolDir, turn.id)
}

/**
 * On a full disk the end is retried until it fits, so the session does not stay "running" for
 * good; if the daemon stops first, the next one adopts the turn and ends it.
 */
async function appendEnd(ctx: RunContext, extra: NewEvent[]): Promise<boolean> {
  for (let logged = false; ;) {
    try {
      ctx.deps.eventLog.append(ctx.turn.sessionId, ctx.turn.id, extra)
      return true
    } catch (err) {
      if (!isStorageFull(err)) {
        ctx.log.error('could not record the end of the turn', { error: (err as Error).message })
        return false
      }
      if (!logged)
        ctx.log.error('disk full: the end of the turn will be recorded when there is room', {
          error: (err as Error).message,
        })
      logged = true
      const detached = await Promise.race([
        ctx.detachRequested.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), STORAGE_RETRY_MS)),
      ])
      if (detached) return false
    }
  }
}
