/**
 * The real daemon (dist/src/main.js) as a child process on a real loopback port, so its RSS is its
 * own. Started through `sh -c 'ulimit -n …; exec node …'` so it may hold 10k sockets; the pid we
 * keep is node's (exec replaces the shell).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root: the first folder upwards holding package.json and migrations/ (works from bundles too). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return dir
    const up = resolve(dir, '..')
    if (up === dir) throw new Error('bench: repository root not found')
    dir = up
  }
}
export const ROOT = findRoot()
/** The daemon entry point; AGENTMUX_BENCH_MAIN points the benchmarks at another build (A/B runs). */
export const MAIN = process.env.AGENTMUX_BENCH_MAIN ?? join(ROOT, 'dist/src/main.js')
export const FAKE_CLAUDE = join(ROOT, 'tests/fixtures/fake-claude.mjs')
export const TOKEN = 'bench-token-0123456789abcdef-0123456789'
/** Default workspaces must be outside the data dir (config refuses otherwise): one shared dir for all runs. */
export const BENCH_WORKSPACES = join(tmpdir(), 'agentmux-bench-workspaces')
/** Raise the fd limit as far as this machine allows (the hard limit may be below 65536). */
export const ULIMIT = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"'

export interface DaemonHandle {
  child: ChildProcess
  pid: number
  url: string
  port: number
  dataDir: string
  /** Wall-clock ms when spawn() was called. */
  spawnedAt: number
  stdout(): string
  stderr(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  rssKb(): number
  hwmKb(): number
  stop(opts?: { keepData?: boolean }): Promise<void>
}

export interface DaemonOptions {
  dataDir?: string
  claudeBin?: string
  env?: Record<string, string>
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[]
  /** Another build's main.js (A/B experiments); default MAIN. */
  main?: string
  port?: number
}

/** VmRSS / VmHWM of a live process, in kB (0 when it is gone). */
export function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8')
    )
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

export function newDataDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `agentmux-bench-${tag}-`))
}

const DAEMON_NODE_FLAGS = ['--max-semi-space-size=4']

/** Spawns the daemon; resolves once it printed its URL. */
export async function startDaemon(opts: DaemonOptions = {}): Promise<DaemonHandle> {
  const dataDir = opts.dataDir ?? newDataDir('d')
  const home = join(dataDir, 'home')
  mkdirSync(home, { recursive: true })
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AGENTMUX_DATA_DIR: dataDir,
    AGENTMUX_WORKSPACES_DIR: BENCH_WORKSPACES,
    AGENTMUX_PORT: String(opts.port ?? 0),
    AGENTMUX_CLAUDE_BIN: opts.claudeBin ?? FAKE_CLAUDE,
    AGENTMUX_TOKEN: TOKEN,
    AGENTMUX_ALLOWED_ROOTS: dataDir,
    AGENTMUX_LOG_LEVEL: 'warn',
    FAKE_CLAUDE_STATE_DIR: join(dataDir, 'fake-claude-state'),
    ...opts.env,
  }
  // The node flags of `npm start` (package.json), so the numbers are those of the daemon users run.
  const argv = [...DAEMON_NODE_FLAGS, ...(opts.nodeArgs ?? []), opts.main ?? MAIN, 'serve']
  const spawnedAt = Date.now()
  const child = spawn('/bin/sh', ['-c', `${ULIMIT}; exec "$0" "$@"`, process.execPath, ...argv], {
    env,
    cwd: dataDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c
    if (out.length > 400_000) out = out.slice(-200_000)
  })
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    err += c
    if (err.length > 200_000) err = err.slice(-100_000)
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal }))
  )
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`daemon did not start in 20 s: ${err}`)), 20_000)
    const check = () => {
      if (!out.includes('listening on')) return
      const m = /listening on (http:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        res(m[1]!)
      }
    }
    child.stdout!.on('data', check)
    void exited.then(({ code }) => {
      clearTimeout(timer)
      rej(new Error(`daemon exited (${code}) before listening: ${err}`))
    })
  }).catch((e: Error) => {
    child.kill('SIGKILL')
    throw e
  })
  const pid = child.pid!
  return {
    child,
    pid,
    url,
    port: Number(new URL(url).port),
    dataDir,
    spawnedAt,
    stdout: () => out,
    stderr: () => err,
    exited,
    rssKb: () => procStatusKb(pid, 'VmRSS'),
    hwmKb: () => procStatusKb(pid, 'VmHWM'),
    async stop(o = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
        await exited
        clearTimeout(t)
      }
      if (!o.keepData) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export const agent = new Agent({ keepAlive: true, maxSockets: 16 })

export interface JsonResponse {
  status: number
  body: unknown
}

/**
 * One JSON request with the bearer token. `onSent` is called right before the request is handed
 * to the socket (for send-time stamps).
 */
export function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  onSent?: () => void
): Promise<JsonResponse> {
  return new Promise((res, rej) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json'
      headers['Content-Length'] = String(Buffer.byteLength(payload))
    }
    const req = request(new URL(path, base), { method, headers, agent }, (r) => {
      let text = ''
      r.setEncoding('utf8')
      r.on('data', (c: string) => (text += c))
      r.on('end', () => {
        let parsed: unknown = text
        try {
          parsed = text ? JSON.parse(text) : null
        } catch {
          // keep the text
        }
        res({ status: r.statusCode ?? 0, body: parsed })
      })
    })
    req.on('error', rej)
    onSent?.()
    req.end(payload)
  })
}

export async function createSession(base: string, title = 'bench'): Promise<string> {
  const r = await api(base, 'POST', '/sessions', { title })
  if (r.status !== 201) throw new Error(`POST /sessions: ${r.status} ${JSON.stringify(r.body)}`)
  return (r.body as { id: string }).id
}

export async function startTurn(
  base: string,
  sessionId: string,
  prompt: string,
  onSent?: () => void
): Promise<string> {
  const r = await api(base, 'POST', `/sessions/${sessionId}/turns`, { prompt }, onSent)
  if (r.status !== 202) throw new Error(`POST turns: ${r.status} ${JSON.stringify(r.body)}`)
  return (r.body as { turn: { id: string } }).turn.id
}

/** Polls until the session has no running turn. */
export async function waitIdle(
  base: string,
  sessionId: string,
  timeoutMs = 120_000
): Promise<void> {
  const t0 = Date.now()
  for (;;) {
    const r = await api(base, 'GET', `/sessions/${sessionId}`)
    if ((r.body as { status?: string }).status === 'idle') return
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`session ${sessionId} still running after ${timeoutMs} ms`)
    await sleep(50)
  }
}

export async function headEventId(base: string, sessionId: string): Promise<number> {
  const r = await api(base, 'GET', `/sessions/${sessionId}`)
  return (r.body as { lastEventId: number }).lastEventId
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A free loopback port (bind 0, read it, close). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net')
  return new Promise((res, rej) => {
    const s = createServer()
    s.once('error', rej)
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => res(p))
    })
  })
}

/** User+system CPU time of a process in ms (from /proc/<pid>/stat; clock ticks assumed 100 Hz). */
export function cpuMs(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) * 10
  } catch {
    return NaN
  }
}
