import { spawn, type ChildProcess } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { leakMark } from './leaks.js'
import { withTimeout } from './wait.js'

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/main.js')

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** The environment for a client of a daemon: its URL and token, nothing of the test process. */
export function clientEnv(
  url: string | null,
  token: string,
  extra: Record<string, string> = {}
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: '/nonexistent',
    ...(url ? { AGENTMUX_URL: url } : {}),
    AGENTMUX_TOKEN: token,
    ...extra,
  }
}

/** A running `agentmux …` (the built binary): its output so far, and a way to wait on it. */
export interface CliProcess {
  child: ChildProcess
  stdout(): string
  stderr(): string
  exited: Promise<CliResult>
  waitForOutput(pred: (out: string) => boolean, label: string, ms?: number): Promise<void>
  kill(): void
}

export function startCli(args: string[], env: Record<string, string>, input?: string): CliProcess {
  // The suite's leak check finds a client left running by this mark.
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...leakMark(), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  const waiters = new Set<() => void>()
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c
    for (const w of [...waiters]) w()
  })
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c))
  if (input !== undefined) child.stdin!.end(input)
  const exited = new Promise<CliResult>((r) =>
    child.once('close', (code) => r({ code, stdout: out, stderr: err }))
  )
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput(pred, label, ms = 30_000) {
      if (pred(out)) return Promise.resolve()
      return withTimeout(
        new Promise<void>((done) => {
          const w = () => {
            if (pred(out)) {
              waiters.delete(w)
              done()
            }
          }
          waiters.add(w)
          void exited.then(w)
        }),
        ms,
        `${label} (stdout so far: ${out.slice(-400)} stderr: ${err.slice(-400)})`
      )
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
}

/** Runs a command to its end (stdin closed, or fed `input`). */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  opts: { input?: string; ms?: number } = {}
): Promise<CliResult> {
  const p = startCli(args, env, opts.input ?? '')
  try {
    return await withTimeout(p.exited, opts.ms ?? 60_000, `agentmux ${args.join(' ')}`)
  } finally {
    p.kill()
  }
}

/** NDJSON output parsed, one value per line. */
export const ndjson = (s: string) =>
  s
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown> & { id: number })
