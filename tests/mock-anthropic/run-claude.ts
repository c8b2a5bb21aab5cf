// Drives the real `claude` binary exactly the way the daemon does, against a mock Messages API:
//   claude -p --output-format stream-json --verbose --include-partial-messages --input-format stream-json ...
// The prompt is written to stdin as one stream-json user line; stdin stays open during the turn and is
// closed once the `result` line has been seen (unless told otherwise).
import { spawn } from 'node:child_process'
import {
  closeSync,
  mkdtempSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const CLAUDE_BIN = realpathSync(join(REPO, 'node_modules', '.bin', 'claude'))
export const BASE_ARGS = [
  '-p',
  '--output-format',
  'stream-json',
  '--verbose',
  '--include-partial-messages',
  '--input-format',
  'stream-json',
]

export interface Dirs {
  home: string
  cwd: string
}

/** A fresh HOME and cwd under one temp dir (realpath'd so sanitizing finds them verbatim). */
export function makeDirs(prefix = 'amx-claude-'): Dirs & { base: string; cleanup(): void } {
  const base = realpathSync(mkdtempSync(join(tmpdir(), prefix)))
  const home = join(base, 'home')
  const cwd = join(base, 'cwd')
  mkdirSync(home)
  mkdirSync(cwd)
  return {
    base,
    home,
    cwd,
    cleanup: () => {
      rmSync(base, { recursive: true, force: true })
      // claude's per-cwd scratch dir ($TMPDIR/claude-<uid>/<cwd-slug>: Bash task outputs)
      rmSync(join(tmpdir(), `claude-${process.getuid?.() ?? 0}`, cwdSlug(cwd)), {
        recursive: true,
        force: true,
      })
    },
  }
}

export function cwdSlug(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, '-')
}

export interface Line {
  /** ms since spawn when the line was observed */
  t: number
  raw: string
  obj: Record<string, unknown> | null
}

export interface RunHandle {
  pid: number
  now(): number
  write(obj: unknown): void
  interrupt(requestId?: string): void
  closeStdin(): void
  kill(signal: NodeJS.Signals): void
  /** named timestamps (ms since spawn): init, result, interrupt, stdinClosed, exit, ... */
  marks: Record<string, number>
}

export interface RunOptions {
  prompt: string
  args?: string[]
  dirs: Dirs
  mockUrl: string
  env?: Record<string, string>
  /** write stdout+stderr to this regular file (stdio ['pipe', fd, fd]) instead of pipes */
  stdoutFile?: string
  /** close stdin when the result line is seen (default true) */
  closeStdinOnResult?: boolean
  /** don't write the user line after spawning (the caller does it in onSpawn) */
  noPrompt?: boolean
  onSpawn?: (run: RunHandle) => void
  onLine?: (line: Line, run: RunHandle) => void
  /** SIGKILL after this long (default 90 s) */
  timeoutMs?: number
}

export interface RunResult {
  argv: string[]
  pid: number
  stdout: string
  stderr: string
  lines: Line[]
  code: number | null
  signal: string | null
  durationMs: number
  marks: Record<string, number>
  /** every line written to claude's stdin, with its time (ms since spawn) */
  stdin: { t: number; line: string }[]
  timedOut: boolean
}

export function userLine(prompt: string): string {
  return JSON.stringify({
    type: 'user',
    message: { role: 'user', content: prompt },
    parent_tool_use_id: null,
    session_id: '',
  })
}

export function claudeEnv(
  dirs: Dirs,
  mockUrl: string,
  extra: Record<string, string> = {}
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: dirs.home,
    ANTHROPIC_API_KEY: 'sk-test',
    ANTHROPIC_BASE_URL: mockUrl,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    ...extra,
  }
}

export function runClaude(opts: RunOptions): Promise<RunResult> {
  const argv = [...BASE_ARGS, ...(opts.args ?? [])]
  const t0 = performance.now()
  const now = (): number => Math.round((performance.now() - t0) * 10) / 10
  const outFd = opts.stdoutFile ? openSync(opts.stdoutFile, 'w') : null
  const child = spawn(CLAUDE_BIN, argv, {
    cwd: opts.dirs.cwd,
    env: claudeEnv(opts.dirs, opts.mockUrl, opts.env),
    stdio: outFd !== null ? ['pipe', outFd, outFd] : ['pipe', 'pipe', 'pipe'],
  })
  if (outFd !== null) closeSync(outFd)
  const marks: Record<string, number> = {}
  const lines: Line[] = []
  let stdout = ''
  let stderr = ''
  let partial = ''
  let stdinOpen = true
  const stdinLog: { t: number; line: string }[] = []
  child.stdin!.on('error', () => undefined)
  const run: RunHandle = {
    pid: child.pid ?? -1,
    now,
    marks,
    write(obj) {
      if (!stdinOpen) return
      const line = typeof obj === 'string' ? obj : JSON.stringify(obj)
      stdinLog.push({ t: now(), line })
      child.stdin!.write(line + '\n')
    },
    interrupt(requestId = 'int-1') {
      marks.interrupt ??= now()
      run.write({
        type: 'control_request',
        request_id: requestId,
        request: { subtype: 'interrupt' },
      })
    },
    closeStdin() {
      if (!stdinOpen) return
      stdinOpen = false
      marks.stdinClosed = now()
      child.stdin!.end()
    },
    kill(signal) {
      marks[`kill_${signal}`] ??= now()
      child.kill(signal)
    },
  }
  const closeOnResult = opts.closeStdinOnResult ?? true
  const onText = (text: string): void => {
    stdout += text
    partial += text
    let nl: number
    while ((nl = partial.indexOf('\n')) >= 0) {
      const raw = partial.slice(0, nl)
      partial = partial.slice(nl + 1)
      if (raw.length === 0) continue
      let obj: Record<string, unknown> | null = null
      try {
        obj = JSON.parse(raw) as Record<string, unknown>
      } catch {
        /* not JSON */
      }
      const line: Line = { t: now(), raw, obj }
      lines.push(line)
      if (obj?.type === 'system' && obj.subtype === 'init') marks.init ??= line.t
      if (obj?.type === 'stream_event') marks.firstStreamEvent ??= line.t
      if (obj?.type === 'control_response') marks.controlResponse ??= line.t
      if (obj?.type === 'result') {
        marks.result ??= line.t
        if (closeOnResult) run.closeStdin()
      }
      opts.onLine?.(line, run)
    }
  }
  let poll: NodeJS.Timeout | null = null
  let readFd: number | null = null
  const drainFile = (): void => {
    if (readFd === null) return
    const buf = Buffer.alloc(1 << 20)
    let n: number
    while ((n = readSync(readFd, buf, 0, buf.length, null)) > 0)
      onText(buf.subarray(0, n).toString('utf8'))
  }
  if (opts.stdoutFile) {
    readFd = openSync(opts.stdoutFile, 'r')
    poll = setInterval(drainFile, 5)
  } else {
    child.stdout!.setEncoding('utf8')
    child.stdout!.on('data', onText)
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (d: string) => {
      stderr += d
    })
  }
  if (!opts.noPrompt) run.write(userLine(opts.prompt))
  opts.onSpawn?.(run)
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, opts.timeoutMs ?? 90_000)
  return new Promise((resolveRun) => {
    let exit: { code: number | null; signal: string | null } | null = null
    child.on('exit', (code, signal) => {
      marks.exit = now()
      exit = { code, signal }
      if (opts.stdoutFile) finish()
    })
    child.on('close', () => {
      if (!opts.stdoutFile) finish()
    })
    let done = false
    function finish(): void {
      if (done || !exit) return
      done = true
      clearTimeout(timer)
      if (poll) clearInterval(poll)
      drainFile()
      if (readFd !== null) closeSync(readFd)
      if (partial.length > 0) onText('\n')
      stdinOpen = false
      child.stdin!.destroy()
      // a killed claude leaves its messaging socket behind
      if (exit.signal)
        rmSync(join(opts.env?.TMPDIR ?? tmpdir(), 'cc-socks', `${run.pid}.sock`), { force: true })
      resolveRun({
        argv,
        pid: run.pid,
        stdout,
        stderr,
        lines,
        code: exit.code,
        signal: exit.signal,
        durationMs: marks.exit!,
        marks,
        stdin: stdinLog,
        timedOut,
      })
    }
  })
}

/** All live descendants of pid (walks the PPid of every /proc/<pid>/stat). */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>()
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      parent.set(Number(d), ppid)
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = []
  const walk = (p: number): void => {
    for (const [c, pp] of parent)
      if (pp === p) {
        out.push(c)
        walk(c)
      }
  }
  walk(pid)
  return out
}
