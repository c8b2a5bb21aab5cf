/**
 * Baseline for the per-turn overhead: a minimal node program that spawns the same wrapper with the
 * daemon's spawn options (detached, stdin a pipe, stdout/stderr to spool files, the same env) and
 * nothing else. Prints {"spawnToStartMs":[…]}: spawn() call → the wrapper's own start stamp.
 *
 *   node baseline-spawn.mjs --wrapper <path> --log <file> --reps 30 --dir <spool dir>
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const arg = (name: string, d = ''): string => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : d
}
const wrapper = arg('wrapper')
const log = arg('log')
const dir = arg('dir')
const reps = Number(arg('reps', '30'))
const out: number[] = []
for (let i = 0; i < reps; i++) {
  writeFileSync(log, '')
  const outFd = openSync(join(dir, `b${i}.out`), 'w')
  const errFd = openSync(join(dir, `b${i}.err`), 'w')
  const t = performance.timeOrigin + performance.now()
  const p = spawn(wrapper, ['--version'], {
    cwd: dir,
    env: { ...process.env, BENCH_SPAWN_LOG: log },
    detached: true,
    stdio: ['pipe', outFd, errFd],
  })
  closeSync(outFd)
  closeSync(errFd)
  p.stdin!.end()
  await new Promise((r) => p.once('exit', r))
  const stamp = Number(readFileSync(log, 'utf8').trim().split('\n')[0]) * 1000
  out.push(stamp - t)
}
process.stdout.write(`${JSON.stringify({ spawnToStartMs: out })}\n`)
