/**
 * Finding the processes a test run left behind. Every process the suite spawns carries
 * LEAK_MARK=<run id> in its environment (inherited from the workers, or added by the helpers that
 * spawn with an explicit env). The name has no AGENTMUX_ prefix on purpose: the daemon strips those
 * from claude's environment, and claude's processes are the ones most likely to leak.
 */
import { readdirSync, readFileSync } from 'node:fs'

export const LEAK_MARK = 'SUITE_LEAK_MARK'

/** The marker for an explicit child environment: `{ ...leakMark(), PATH, ... }`. */
export function leakMark(): Record<string, string> {
  const id = process.env[LEAK_MARK]
  return id ? { [LEAK_MARK]: id } : {}
}

export interface Survivor {
  pid: number
  cmdline: string
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    return null // gone, or not ours to read
  }
}

/**
 * Live processes that carry the run's mark, or (for children spawned with a bare env) whose
 * command line runs one of this checkout's daemon, fake claude or claude binaries, minus `exclude`.
 */
export function findSurvivors(runId: string, root: string, exclude: Set<number>): Survivor[] {
  const ours = [
    `${root}/dist/src/main.js`,
    `${root}/tests/fixtures/`,
    `${root}/node_modules/.bin/claude`,
  ]
  const out: Survivor[] = []
  for (const name of readdirSync('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid) || exclude.has(pid)) continue
    const stat = read(`/proc/${pid}/stat`)
    if (stat === null || /\) Z /.test(stat)) continue // a zombie is already dead
    const cmdline = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim()
    const environ = read(`/proc/${pid}/environ`) ?? ''
    const marked = environ.split('\0').includes(`${LEAK_MARK}=${runId}`)
    if (marked || ours.some((p) => cmdline.includes(p))) out.push({ pid, cmdline })
  }
  return out
}

/** This process and its ancestors: the runner itself is not a leak. */
export function selfAndAncestors(): Set<number> {
  const pids = new Set<number>()
  let pid = process.pid
  while (pid > 1 && !pids.has(pid)) {
    pids.add(pid)
    const stat = read(`/proc/${pid}/stat`)
    const m = stat ? /\) \S+ (\d+)/.exec(stat) : null
    pid = m ? Number(m[1]) : 0
  }
  return pids
}

/** SIGKILLs every process whose environment holds `entry` (`NAME=value`); returns how many. */
export function killByEnv(entry: string): number {
  let killed = 0
  for (const name of readdirSync('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid) || pid === process.pid) continue
    if (!(read(`/proc/${pid}/environ`) ?? '').split('\0').includes(entry)) continue
    try {
      process.kill(pid, 'SIGKILL')
      killed++
    } catch {
      // gone meanwhile
    }
  }
  return killed
}
