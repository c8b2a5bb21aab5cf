import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FAKE_CLAUDE } from './daemon.js'
import { withTimeout } from './wait.js'

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/main.js')

export interface DaemonProcess {
  child: ChildProcess
  url: string
  dataDir: string
  stdout(): string
  stderr(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** The built daemon (dist/, made by `npm test`'s pretest build) as a real child process. */
export async function spawnDaemon(opts: { env?: Record<string, string>; args?: string[]; dataDir?: string } = {}): Promise<DaemonProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'agentmux-proc-'))
  const home = join(dataDir, 'home')
  mkdirSync(home, { recursive: true })
  const child = spawn(process.execPath, [MAIN, 'serve', ...(opts.args ?? [])], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      AGENTMUX_DATA_DIR: dataDir,
      AGENTMUX_PORT: '0',
      AGENTMUX_CLAUDE_BIN: FAKE_CLAUDE,
      AGENTMUX_TOKEN: 'process-token-0123456789',
      AGENTMUX_ALLOWED_ROOTS: dataDir,
      AGENTMUX_CANCEL_GRACE_MS: '300',
      FAKE_CLAUDE_STATE_DIR: join(dataDir, 'fake-claude-state'),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal }))
  )
  const url = await withTimeout(
    new Promise<string>((resolveUrl, reject) => {
      const check = () => {
        const m = /listening on (http:\/\/\S+)/.exec(out)
        if (m) resolveUrl(m[1]!)
      }
      child.stdout!.on('data', check)
      void exited.then(({ code }) => reject(new Error(`daemon exited (${code}) before listening: ${err}`)))
    }),
    15_000,
    'the daemon to print its URL'
  ).catch((e: Error) => {
    if (!child.killed) child.kill('SIGKILL')
    throw e
  })
  return { child, url, dataDir, stdout: () => out, stderr: () => err, exited }
}
