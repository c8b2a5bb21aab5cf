/**
 * Linux process facts for detached turns: start times (pid reuse), descendants (tool shells),
 * signals. The one place besides main.ts that uses the process global: to signal other processes.
 */
import { readdirSync, readFileSync } from 'node:fs'

interface ProcStat {
  ppid: number
  startTime: string
}

function readStat(pid: number): ProcStat | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // comm (field 2) may hold spaces and parentheses: split after its closing parenthesis.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(rest[1]), startTime: rest[19] ?? '' }
  } catch {
    return null
  }
}

/** The process start time in clock ticks since boot, or null where /proc is missing. */
export function processStartTime(pid: number): string | null {
  return readStat(pid)?.startTime ?? null
}

/** Alive and the same process: a reused pid has another start time. */
export function isSameProcessAlive(pid: number, startTime: string | null): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (startTime === null) return true
  const stat = readStat(pid)
  if (!stat) return false
  return stat.startTime === startTime
}

/**
 * Every descendant of pid. claude's Bash tool runs its shell in a session of its own, so a process
 * group kill misses it, and once claude is gone it is re-parented to init: collect before killing.
 */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>()
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return []
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue
    const stat = readStat(Number(name))
    if (!stat) continue
    const list = children.get(stat.ppid)
    if (list) list.push(Number(name))
    else children.set(stat.ppid, [Number(name)])
  }
  const found: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child)
      queue.push(child)
    }
  }
  return found
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig)
    return true
  } catch {
    return false
  }
}

/** SIGKILL a process, its process group and every descendant found before the kill. */
export function killTree(pid: number): number[] {
  const victims = descendants(pid)
  signal(-pid, 'SIGKILL')
  signal(pid, 'SIGKILL')
  for (const v of victims) signal(v, 'SIGKILL')
  return victims
}
