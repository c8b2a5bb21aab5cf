/**
 * The helper processes (baseline server, baseline insert loop, client process) are bundled with
 * esbuild to plain .mjs under bench/results/.build, so they start with plain `node`: no tsx
 * loader in their start-up time or in their RSS. better-sqlite3 stays external (native).
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { build } from 'esbuild'
import { ROOT, ULIMIT } from './daemon.js'

export const BUILD_DIR = join(ROOT, 'bench/results/.build')
const ENTRIES = {
  'baseline-sse-server': 'bench/baseline-sse-server.ts',
  'baseline-sqlite': 'bench/baseline-sqlite.ts',
  'baseline-spawn': 'bench/baseline-spawn.ts',
  'client-proc': 'bench/lib/client-proc.ts',
} as const
export type Script = keyof typeof ENTRIES

let built: Promise<void> | null = null

export function ensureBuilt(): Promise<void> {
  built ??= build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([k, v]) => [k, join(ROOT, v)])),
    outdir: BUILD_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3'],
    // A bundled ESM file has no require; better-sqlite3 is imported, so nothing needs one.
    logLevel: 'warning',
  }).then(() => undefined)
  return built
}

export function scriptPath(name: Script): string {
  return join(BUILD_DIR, `${name}.mjs`)
}

/** `node <script> args…`, optionally through `sh -c 'ulimit -n …; exec …'`. */
export function nodeCommand(
  name: Script,
  args: string[],
  opts: { ulimit?: boolean; nodeArgs?: string[] } = {}
) {
  const argv = [process.execPath, ...(opts.nodeArgs ?? []), scriptPath(name), ...args]
  return opts.ulimit
    ? { cmd: '/bin/sh', args: ['-c', `${ULIMIT}; exec "$0" "$@"`, ...argv] }
    : { cmd: argv[0]!, args: argv.slice(1) }
}

/** Runs a bundled script to its end and parses its last stdout line as JSON. */
export async function runJson<T>(name: Script, args: string[]): Promise<T> {
  await ensureBuilt()
  const c = nodeCommand(name, args)
  const child = spawn(c.cmd, c.args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s))
  const code = await new Promise<number | null>((r) => child.once('exit', (x) => r(x)))
  if (code !== 0) throw new Error(`${name} exited with ${code}`)
  return JSON.parse(out.trim().split('\n').pop() ?? '') as T
}
