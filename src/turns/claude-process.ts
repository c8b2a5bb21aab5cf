import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { isSameProcessAlive, processStartTime } from './process.js'
import { openStdinWriter, type StdinFifos, type StdinWriter } from './stdin-fifo.js'

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
  /** False when there is no stdin to write to (claude is gone, or its FIFO is). */
  write(line: string): boolean
  /** Lets go of this daemon's end of stdin; claude keeps running (it holds the FIFO itself). */
  closeStdin(): void
  readonly hasStdin: boolean
}

/**
 * Starts claude detached (its own session and process group), stdout and stderr going to spool
 * files that outlive this daemon, stdin a FIFO that outlives it too (stdin-fifo.ts). Such a claude
 * never sees EOF, so it does not exit after its result on its own: the runner ends it.
 */
export async function spawnClaude(opts: {
  bin: string
  args: string[]
  cwd: string
  env: Record<string, string>
  stdoutPath: string
  stderrPath: string
  stdinPath: string
  fifos: StdinFifos
  onStdinError: (err: Error) => void
}): Promise<ClaudeProcess> {
  const fds: number[] = []
  let child: ChildProcess
  let stdin: StdinWriter | null
  try {
    const input = await opts.fifos.create(opts.stdinPath)
    fds.push(input)
    const out = openSync(opts.stdoutPath, 'w')
    fds.push(out)
    const err = openSync(opts.stderrPath, 'w')
    fds.push(err)
    child = spawn(opts.bin, opts.args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: [input, out, err],
    })
    // Opened while `input` still holds the FIFO, so there is a reader even if claude died at once.
    stdin = openStdinWriter(opts.stdinPath, opts.onStdinError)
  } finally {
    // claude has its own copies now; ours would keep the FIFO readable after claude is gone.
    for (const fd of fds) closeSync(fd)
  }
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal }))
  )
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve)
    child.once('error', reject)
  }).catch((e: unknown) => {
    stdin?.close()
    throw e
  })
  // Not holding the daemon's event loop open: at shutdown the turn is left to the next daemon.
  child.unref()
  return withStdin({ pid: child.pid!, startTime: processStartTime(child.pid!), exited }, stdin)
}

function withStdin(
  p: Pick<ClaudeProcess, 'pid' | 'startTime' | 'exited'>,
  stdin: StdinWriter | null
): ClaudeProcess {
  return {
    ...p,
    hasStdin: stdin !== null,
    write: (line) => stdin?.write(line) ?? false,
    closeStdin: () => stdin?.close(),
  }
}

/**
 * A claude started by an earlier daemon: watched by pid and start time, its stdin FIFO re-opened
 * (null `stdinPath`: a turn from before FIFOs, stopped by signals only).
 */
export function adoptClaude(
  pid: number,
  startTime: string | null,
  pollMs: number,
  stdinPath: string | null,
  onStdinError: (err: Error) => void
): ClaudeProcess {
  // kill(0) and kill(-1) address process groups: only a real pid can be watched.
  if (!Number.isSafeInteger(pid) || pid <= 1) return GONE
  const exited = new Promise<Exit>((resolve) => {
    const check = () => {
      if (isSameProcessAlive(pid, startTime)) setTimeout(check, pollMs).unref()
      else resolve({ code: null, signal: null })
    }
    check()
  })
  const stdin =
    stdinPath && isSameProcessAlive(pid, startTime)
      ? openStdinWriter(stdinPath, onStdinError)
      : null
  return withStdin({ pid, startTime, exited }, stdin)
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
