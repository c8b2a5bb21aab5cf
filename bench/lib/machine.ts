/** How busy the machine is apart from us: the benchmarks share 2 cores with whatever else runs. */
import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { sleep } from './daemon.js'

function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!
  const f = line.trim().split(/\s+/).slice(1).map(Number)
  const idle = f[3]! + (f[4] ?? 0)
  const total = f.reduce((a, b) => a + b, 0)
  return { busy: total - idle, total }
}

/** Machine-wide CPU busy % (of all cores) over `ms`, measured while this process only sleeps. */
export async function backgroundBusyPct(ms = 1000): Promise<number> {
  const a = cpuTimes()
  await sleep(ms)
  const b = cpuTimes()
  return ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100
}

/** Machine-wide CPU busy % between two snapshots. */
export function busySince(): () => number {
  const a = cpuTimes()
  return () => {
    const b = cpuTimes()
    return ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100
  }
}

export const CORES = cpus().length
