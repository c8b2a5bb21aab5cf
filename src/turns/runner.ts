import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, watch, type FSWatcher } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { buildClaudeArgs, interruptLine, isSessionIdInUse, userMessageLine } from '../claude/args.js'
import { initialTranslatorState, translateLine, type TranslatorState } from '../claude/translate.js'
import type { EventLog } from '../events/event-log.js'
import type { NewEvent } from '../events/types.js'
import type { Logger } from '../log.js'
import type { StopReason, Turn } from '../sessions/types.js'
import type { SessionRuntime, Store } from '../storage/store.js'
import { createSpoolReader } from './spool.js'
import { killTree, processStartTime, signal } from './process.js'

export interface RunnerConfig {
  claudeBin: string
  childEnv: Record<string, string>
  spoolDir: string
  /** 0 disables. */
  turnTimeoutMs: number
  /** No output for this long cancels the turn; 0 disables. */
  stallTimeoutMs: number
  /** How long the stdin interrupt gets before signals. */
  interruptGraceMs: number
  /** Between SIGINT, SIGTERM and SIGKILL. */
  signalGraceMs: number
  /** How long claude may take to exit after its result before it is stopped. */
  exitGraceMs: number
  /** Fallback poll of the spool in case a file-change notification is missed. */
  pollMs: number
}

export interface TurnRunnerDeps {
  config: RunnerConfig
  store: Store
  eventLog: EventLog
  log: Logger
}

export interface TurnRun {
  readonly turnId: string
  readonly sessionId: string
  cancel(reason: StopReason): boolean
  /** Resolves after turn.ended is committed. */
  readonly done: Promise<void>
}

const STDERR_TAIL_BYTES = 4096

interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

const CANCEL_REASONS: StopReason[] = ['user', 'delete', 'shutdown']

/** Runs one claude turn to its end: spawn detached, ingest the spool, stop on request, end exactly once. */
export function startTurnRun(deps: TurnRunnerDeps, turn: Turn, runtime: SessionRuntime): TurnRun {
  const { config, store, eventLog } = deps
  const log = deps.log.child({ turn: turn.id, session: turn.sessionId })
  const session = runtime.session
  const spoolPath = join(config.spoolDir, `${turn.id}.out`)
  const stderrPath = join(config.spoolDir, `${turn.id}.err`)

  let state: TranslatorState = initialTranslatorState(runtime.claudeTotalCost)
  let resume = runtime.claudeStarted
  let child: ChildProcess | null = null
  let stdinOpen = false
  let exited = false
  let stopReason: StopReason | null = null
  let stopping = false
  let linesSeen = 0
  let lastOutputAt = Date.now()
  const timers = new Set<NodeJS.Timeout>()
  let finished = false
  let spawnError: Error | null = null
  let lastExit: Exit = { code: null, signal: null }
  let stderr = ''

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t)
      fn()
    }, ms)
    timers.add(t)
  }

  function closeStdin(): void {
    if (!stdinOpen || !child?.stdin) return
    stdinOpen = false
    child.stdin.end()
  }

  function ingest(lines: string[], endOffset: number): void {
    const events: NewEvent[] = []
    for (const line of lines) {
      if (line.length === 0) continue
      linesSeen++
      const t = translateLine(line, state)
      state = t.state
      for (const e of t.events) events.push(e)
    }
    lastOutputAt = Date.now()
    eventLog.append(turn.sessionId, turn.id, events, { spoolOffset: endOffset, translatorState: JSON.stringify(state) })
    if (state.sawResult && stdinOpen) {
      // The result ends the turn; closing stdin lets claude exit on its own.
      closeStdin()
      later(config.exitGraceMs, () => escalate('SIGTERM'))
    }
  }

  /** SIGINT → SIGTERM → SIGKILL of claude and everything it started, each after a grace period. */
  function escalate(sig: 'SIGINT' | 'SIGTERM' | 'SIGKILL'): void {
    if (exited || !child?.pid) return
    const pid = child.pid
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
    if (stdinOpen && !state.sawResult && child?.stdin) {
      child.stdin.write(interruptLine(`int_${turn.id}`))
      later(config.interruptGraceMs, () => escalate('SIGINT'))
    } else {
      escalate('SIGINT')
    }
  }

  /** False when there is nothing left to cancel: the turn ended or claude already gave its result. */
  function cancel(reason: StopReason): boolean {
    if (finished || state.sawResult) return false
    if (stopReason === null) {
      stopReason = reason
      store.setStopReason(turn.id, reason)
    }
    if (stopping) return true
    stopping = true
    log.info('stopping turn', { reason })
    // A cancel that races the spawn is carried out as soon as the process exists.
    if (child) beginStop()
    return true
  }

  async function runAttempt(): Promise<{ exit: Exit; stderr: string }> {
    const outFd = openSync(spoolPath, 'w')
    const errFd = openSync(stderrPath, 'w')
    const args = buildClaudeArgs({
      claudeSessionId: session.claudeSessionId,
      resume,
      model: turn.model ?? session.model,
      permissionMode: session.permissionMode,
      allowedTools: session.allowedTools,
      appendSystemPrompt: session.appendSystemPrompt,
    })
    let proc: ChildProcess
    try {
      // detached: its own session and process group, so it outlives the daemon and a kill of
      // the group reaches claude without reaching us.
      proc = spawn(config.claudeBin, args, {
        cwd: session.cwd,
        env: config.childEnv,
        detached: true,
        stdio: ['pipe', outFd, errFd],
      })
    } finally {
      closeSync(outFd)
      closeSync(errFd)
    }
    const exitPromise = new Promise<Exit>((resolve) => proc.once('exit', (code, sig) => resolve({ code, signal: sig })))
    await new Promise<void>((resolve, reject) => {
      proc.once('spawn', resolve)
      proc.once('error', reject)
    })
    child = proc
    proc.stdin!.on('error', (err) => log.debug('claude stdin closed', { error: err.message }))
    store.recordSpawn(turn.id, proc.pid!, processStartTime(proc.pid!), spoolPath)
    log.info('claude started', { pid: proc.pid, resume })
    stdinOpen = true
    proc.stdin!.write(userMessageLine(turn.prompt))
    if (stopping) beginStop()

    const reader = createSpoolReader(spoolPath, 0)
    let draining: Promise<void> | null = null
    let again = false
    const drain = async (final: boolean) => {
      for (;;) {
        const chunk = await reader.read(final)
        if (chunk.lines.length > 0) ingest(chunk.lines, chunk.endOffset)
        if (!chunk.more) break
      }
    }
    const pump = (): void => {
      if (draining) {
        again = true
        return
      }
      draining = (async () => {
        do {
          again = false
          await drain(false)
        } while (again)
      })()
        .catch((err: Error) => log.error('spool read failed', { error: err.message }))
        .finally(() => {
          draining = null
        })
    }
    let watcher: FSWatcher | null = null
    try {
      watcher = watch(spoolPath, pump)
    } catch (err) {
      log.warn('no file watch on spool; polling', { error: (err as Error).message })
    }
    const poll = setInterval(pump, config.pollMs)
    pump()
    const exit = await exitPromise
    exited = true
    clearInterval(poll)
    watcher?.close()
    while (draining) await draining
    await drain(true)
    await reader.close()
    return { exit, stderr: await readTail(stderrPath) }
  }

  const done = (async () => {
    if (config.turnTimeoutMs > 0) {
      const left = config.turnTimeoutMs - (Date.now() - Date.parse(turn.startedAt))
      later(Math.max(0, left), () => cancel('timeout'))
    }
    let stallCheck: NodeJS.Timeout | null = null
    if (config.stallTimeoutMs > 0) {
      stallCheck = setInterval(
        () => {
          if (!exited && Date.now() - lastOutputAt > config.stallTimeoutMs) cancel('stall')
        },
        Math.min(5000, Math.max(50, config.stallTimeoutMs / 4))
      )
    }
    try {
      for (let attempt = 0; ; attempt++) {
        const r = await runAttempt()
        lastExit = r.exit
        stderr = r.stderr
        // A transcript exists that we did not know of (claude wrote it but died before init):
        // claude refuses --session-id, so continue that conversation instead.
        if (!resume && linesSeen === 0 && attempt === 0 && !stopping && isSessionIdInUse(stderr)) {
          log.info('claude session id already in use; resuming it')
          resume = true
          store.setClaudeStarted(turn.sessionId, true)
          continue
        }
        break
      }
    } catch (err) {
      spawnError = err as Error
      log.error('claude could not be started', { error: spawnError.message })
    } finally {
      if (stallCheck) clearInterval(stallCheck)
    }
    finish()
  })()

  function finish(): void {
    finished = true
    for (const t of timers) clearTimeout(t)
    timers.clear()
    const extra: NewEvent[] = []
    const cancelled = stopReason !== null && CANCEL_REASONS.includes(stopReason)
    let status: 'completed' | 'failed' | 'cancelled'
    if (cancelled) {
      status = 'cancelled'
    } else if (spawnError) {
      status = 'failed'
      extra.push({ kind: 'error', source: 'daemon', message: `claude could not be started: ${spawnError.message}` })
    } else if (stopReason === 'timeout' || stopReason === 'stall') {
      status = 'failed'
      extra.push({
        kind: 'error',
        source: 'daemon',
        message:
          stopReason === 'timeout'
            ? `turn timed out after ${Math.round(config.turnTimeoutMs / 1000)} s and was stopped`
            : `claude printed nothing for ${Math.round(config.stallTimeoutMs / 1000)} s; the turn was stopped`,
      })
    } else {
      status = state.sawResult && !state.resultIsError ? 'completed' : 'failed'
      const badExit = lastExit.code !== 0 || lastExit.signal !== null
      if (!state.sawResult || (badExit && !state.reportedError)) {
        const how = lastExit.signal ? `was killed by ${lastExit.signal}` : `exited with code ${lastExit.code}`
        const detail = stderr.trim() || (state.sawResult ? '' : 'no result')
        extra.push({ kind: 'error', source: 'agent', message: `claude ${how}${detail ? `: ${detail}` : ''}` })
      }
    }
    extra.push({
      kind: 'turn.ended',
      status,
      durationMs: Date.now() - Date.parse(turn.startedAt),
      exitCode: lastExit.code,
      signal: lastExit.signal,
    })
    eventLog.append(turn.sessionId, turn.id, extra)
    log.info('turn ended', { status, exitCode: lastExit.code, signal: lastExit.signal })
    void rm(spoolPath, { force: true })
    void rm(stderrPath, { force: true })
  }

  return { turnId: turn.id, sessionId: turn.sessionId, cancel, done }
}

async function readTail(path: string): Promise<string> {
  try {
    const buf = await readFile(path)
    return buf.subarray(Math.max(0, buf.length - STDERR_TAIL_BYTES)).toString('utf8')
  } catch {
    return ''
  }
}
