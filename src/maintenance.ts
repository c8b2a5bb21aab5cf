import type { Logger } from './log.js'
import type { SessionService } from './sessions/service.js'
import type { Retention } from './storage/retention.js'
import type { Store } from './storage/store.js'

const DAY_MS = 24 * 3600 * 1000

export interface MaintenanceConfig {
  retentionDays: number
  retentionSessions: number
  /** How often retention runs. */
  retentionEveryMs?: number
  /** How often the WAL is checked; it is checkpointed when nothing was written for `idleMs`. */
  checkpointEveryMs?: number
  idleMs?: number
}

/**
 * Keeps the data dir bounded: retention deletes idle old sessions and old turns' events, and an
 * idle WAL is checkpointed back to zero (journal_size_limit bounds it after busy periods).
 */
export function createMaintenance(deps: {
  store: Store
  retention: Retention
  service: SessionService
  log: Logger
  config: MaintenanceConfig
  lastWriteAt: () => number
  now?: () => number
}) {
  const { store, retention, service, log, config } = deps
  const now = deps.now ?? Date.now
  const timers: NodeJS.Timeout[] = []
  let lastCheckpoint = 0

  async function runRetention(): Promise<{ sessions: number; events: number }> {
    const cutoff =
      config.retentionDays > 0
        ? new Date(now() - config.retentionDays * DAY_MS).toISOString()
        : null
    const expired = retention.expiredSessions(cutoff, config.retentionSessions)
    for (const id of expired) await service.remove(id)
    const events = cutoff ? retention.pruneEventsBefore(cutoff) : 0
    if (expired.length > 0 || events > 0)
      log.info('retention', { sessions: expired.length, events })
    return { sessions: expired.length, events }
  }

  function checkpointIfIdle(): boolean {
    const last = deps.lastWriteAt()
    if (last <= lastCheckpoint || now() - last < (config.idleMs ?? 10_000)) return false
    store.checkpoint()
    lastCheckpoint = now()
    return true
  }

  const guard = (what: string, fn: () => unknown) => async () => {
    try {
      await fn()
    } catch (err) {
      log.error(`${what} failed`, { error: (err as Error).message })
    }
  }

  return {
    runRetention,
    checkpointIfIdle,
    start(): void {
      timers.push(setTimeout(guard('retention', runRetention), 0))
      timers.push(
        setInterval(guard('retention', runRetention), config.retentionEveryMs ?? 3600_000)
      )
      timers.push(
        setInterval(guard('checkpoint', checkpointIfIdle), config.checkpointEveryMs ?? 30_000)
      )
      for (const t of timers) t.unref()
    },
    stop(): void {
      for (const t of timers) clearTimeout(t)
    },
  }
}
