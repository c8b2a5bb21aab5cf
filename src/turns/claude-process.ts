import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { isSameProcessAlive, processStartTime } from './process.js'

export interface Exit {
  /** null when unknown: a process this daemon did not start cannot be waited for. */
  code: number | null
  signal: NodeJS.Signals | null
}

/** A running claude, whether this daemon started it or inherited it from a daemon that died. */
export interface ClaudeProcess {
  readonly pid: number
  readonly startTime: string | null
  readonly exited: Promise<Exit>
  /** False when there is no stdin to write to (an adopted process). */
  write(line: string): boolean
  closeStdin(): void
  readonly hasStdin: boolean
}

/**
 * Starts claude detached (its own session and process group), stdout and stderr going to spool
 * files that outlive this daemon. stdin stays a pipe: it carries the prompt and the interrupt, and
 * when the daemon dies claude sees EOF, finishes its turn and exits on its own.
 */
export async function spawnClaude(opts: {
  bin: string
  args: string[]
  cwd: string
  env: Record<string, string>
  stdoutPath: string
  stderrPath: string
  onStdinError: (err: Error) => void
}): Promise<ClaudeProcess> {
  const out = openSync(opts.stdoutPath, 'w')
  const err = openSync(opts.stderrPath, 'w')
  let child: ChildProcess
  try {
    child = spawn(opts.bin, opts.args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['pipe', out, err] })
  } finally {
    closeSync(out)
    closeSync(err)
  }
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve)
    child.once('error', reject)
  })
  // Not holding the daemon's event loop open: at shutdown the turn is left to the next daemon.
  child.unref()
  const stdin = child.stdin!
  stdin.on('error', opts.onStdinError)
  let open = true
  return {
    pid: child.pid!,
    startTime: processStartTime(child.pid!),
    exited,
    hasStdin: true,
    write(line) {
      if (!open || stdin.destroyed) return false
      stdin.write(line)
      return true
    },
    closeStdin() {
      if (!open) return
      open = false
      stdin.end()
    },
  }
}

/** A claude started by an earlier daemon: watched by pid and start time, stopped by signals only. */
export function adoptClaude(pid: number, startTime: string | null, pollMs: number): ClaudeProcess {
  // kill(0) and kill(-1) address process groups: only a real pid can be watched.
  if (!Number.isSafeInteger(pid) || pid <= 1) return GONE
  const exited = new Promise<Exit>((resolve) => {
    const check = () => {
      if (isSameProcessAlive(pid, startTime)) setTimeout(check, pollMs).unref()
      else resolve({ code: null, signal: null })
    }
    check()
  })
  return { pid, startTime, exited, hasStdin: false, write: () => false, closeStdin: () => {} }
}

/** Stands for a claude that is known to be gone (or was never recorded as started). */
export const GONE: ClaudeProcess = {
  pid: 0,
  startTime: null,
  exited: Promise.resolve({ code: null, signal: null }),
  hasStdin: false,
  write: () => false,
  closeStdin: () => {},
}
