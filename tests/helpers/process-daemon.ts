import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'
import { FAKE_CLAUDE } from './daemon.js'
import { killByEnv, leakMark } from './leaks.js'
import { testDatabaseEnv } from './test-database.js'
import { withTimeout } from './wait.js'

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/main.js')
export const PROCESS_TOKEN = 'process-token-0123456789abcdef0123456789'

export interface DaemonProcess {
  child: ChildProcess
  url: string
  dataDir: string
  workspacesDir: string
  stdout(): string
  stderr(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

// What this file's spawns created, ended after the test file (a test that fails midway included).
const children = new Set<ChildProcess>()
const dirs = new Set<string>()
const marks = new Set<string>()
afterAll(async () => {
  await Promise.all([...children].map(killGroup))
  // claude runs in process groups of its own and may outlive a daemon that was killed: the mark
  // each daemon passes down (no AGENTMUX_ prefix, so it survives into claude's env) finds them.
  for (const mark of marks) killByEnv(mark)
  marks.clear()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  dirs.clear()
})

/** SIGKILL for the daemon's whole group (its claude children run in groups of their own). */
async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid!, 'SIGKILL')
  } catch {
    child.kill('SIGKILL')
  }
  await new Promise((r) => child.once('exit', r))
}

/**
 * The built daemon (dist/, made by `npm test`'s pretest build) as a real child process, leader of
 * its own process group. A data dir it creates is removed after the test file; a given one is the
 * caller's. Its default workspaces live beside the data dir (never inside: config refuses that).
 */
export async function spawnDaemon(
  opts: { env?: Record<string, string>; args?: string[]; dataDir?: string } = {}
): Promise<DaemonProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'agentmux-proc-'))
  if (!opts.dataDir) dirs.add(dataDir)
  const workspacesDir = `${dataDir}-workspaces`
  dirs.add(workspacesDir)
  const home = join(dataDir, 'home')
  mkdirSync(home, { recursive: true })
  const mark = `SPAWNED_BY_DAEMON_IN=${dataDir}`
  marks.add(mark)
  const child = spawn(process.execPath, [MAIN, 'serve', ...(opts.args ?? [])], {
    env: {
      ...leakMark(),
      SPAWNED_BY_DAEMON_IN: dataDir,
      PATH: process.env.PATH ?? '',
      HOME: home,
      AGENTMUX_DATA_DIR: dataDir,
      AGENTMUX_WORKSPACES_DIR: workspacesDir,
      AGENTMUX_PORT: '0',
      AGENTMUX_CLAUDE_BIN: FAKE_CLAUDE,
      AGENTMUX_TOKEN: PROCESS_TOKEN,
      AGENTMUX_ALLOWED_ROOTS: dataDir,
      AGENTMUX_CANCEL_GRACE_MS: '300',
      FAKE_CLAUDE_STATE_DIR: join(dataDir, 'fake-claude-state'),
      ...testDatabaseEnv(dataDir),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  children.add(child)
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      children.delete(child)
      r({ code, signal })
    })
  )
  const url = await withTimeout(
    new Promise<string>((resolveUrl, reject) => {
      const check = () => {
        const m = /listening on (http:\/\/\S+)/.exec(out)
        if (m) resolveUrl(m[1]!)
      }
      child.stdout!.on('data', check)
      void exited.then(({ code }) =>
        reject(new Error(`daemon exited (${code}) before listening: ${err}`))
      )
    }),
    15_000,
    'the daemon to print its URL'
  ).catch(async (e: Error) => {
    await killGroup(child)
    throw e
  })
  return { child, url, dataDir, workspacesDir, stdout: () => out, stderr: () => err, exited }
}
