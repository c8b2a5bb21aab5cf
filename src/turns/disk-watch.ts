import type { Logger } from '../log.js'

/** Below this much free space claude's next lines may not fit: the disk counts as full. */
export const MIN_FREE_BYTES = 256 * 1024

export interface DiskWatch {
  /** Looks now (a write just failed for want of space); true when the disk is full. */
  check(): boolean
  start(): void
  stop(): void
}

/**
 * claude writes its output into spool files and goes on when a write fails (it ignores a broken
 * stdout), so on a full disk its lines can be lost while the daemon's own writes still fit and
 * nothing fails here. Such a turn might never end (its result may be the line lost), so while the
 * spool's file system is full the running turns are stopped, as a failed database write stops its
 * own turn.
 */
export function createDiskWatch(deps: {
  /** Free bytes for the daemon's user on the spool's file system. */
  freeBytes: () => number
  /** Stops the running turns; returns how many it stopped. */
  stopTurns: () => number
  log: Logger
  everyMs?: number
}): DiskWatch {
  let timer: NodeJS.Timeout | null = null
  let wasFull = false

  function check(): boolean {
    let free: number
    try {
      free = deps.freeBytes()
    } catch (err) {
      deps.log.warn('could not read the free disk space', { error: (err as Error).message })
      return false
    }
    const full = free < MIN_FREE_BYTES
    if (full) {
      const turns = deps.stopTurns()
      if (!wasFull) deps.log.error('the disk is full: running turns are stopped', { free, turns })
    } else if (wasFull) deps.log.info('there is disk space again', { free })
    wasFull = full
    return full
  }

  return {
    check,
    start() {
      timer ??= setInterval(check, deps.everyMs ?? 2000)
      timer.unref()
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = null
    },
  }
}
