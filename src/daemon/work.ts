import { statfsSync } from 'node:fs'
import { createPermissionBroker, type PermissionBroker } from '../approvals/broker.js'
import { newRuleId, newSessionId, newTurnId } from '../ids.js'
import type { Logger } from '../log.js'
import { createMaintenance } from '../maintenance.js'
import { createSessionService } from '../sessions/service.js'
import type { Config } from '../settings.js'
import { createRetention } from '../storage/retention.js'
import { createDiskWatch } from '../turns/disk-watch.js'
import { createSupervisor, type Supervisor } from '../turns/supervisor.js'
import type { Core } from './core.js'

export type Work = Awaited<ReturnType<typeof startWork>>

/**
 * What runs turns: approvals, the supervisor (which first takes over what an earlier daemon left
 * running, open or queued), the session service the routes call, and the housekeeping timers
 * (retention, the disk watch), created here and started once the daemon listens.
 */
export async function startWork(
  config: Config,
  core: Core,
  deps: {
    log: Logger
    claudeBin: string
    childEnv: Record<string, string>
    spoolDir: string
  }
) {
  const { log } = deps
  const { store, eventLog } = core
  const broker = createPermissionBroker({
    store,
    eventLog,
    log,
    timeoutMs: config.approvalTimeoutMs,
    newRuleId,
  })
  const supervisor = createSupervisor({
    store,
    eventLog,
    log,
    newTurnId,
    cwd: { allowedRoots: config.allowedRoots, dataDir: config.dataDir },
    broker,
    runner: {
      claudeBin: deps.claudeBin,
      childEnv: deps.childEnv,
      spoolDir: deps.spoolDir,
      turnTimeoutMs: config.turnTimeoutMs,
      stallTimeoutMs: config.stallTimeoutMs,
      interruptGraceMs: config.cancelGraceMs,
      signalGraceMs: config.cancelGraceMs,
      exitGraceMs: Math.max(5000, config.cancelGraceMs),
      pollMs: 500,
      approvalTimeoutMs: config.approvalTimeoutMs,
    },
  })
  await takeOver(supervisor, broker, log)

  const service = createSessionService({
    store,
    supervisor,
    eventLog,
    hub: core.hub,
    feed: core.feed,
    newSessionId,
    workspacesDir: config.workspacesDir,
    allowedRoots: config.allowedRoots,
    dataDir: config.dataDir,
    hostId: config.hostId,
  })
  const maintenance = createMaintenance({
    store,
    retention: createRetention(core.db, config.hostId),
    service,
    log,
    lastWriteAt: eventLog.lastWriteAt,
    config: { retentionDays: config.retentionDays, retentionSessions: config.retentionSessions },
  })
  const disk = createDiskWatch({
    freeBytes: () => {
      const fs = statfsSync(deps.spoolDir)
      return fs.bavail * fs.bsize
    },
    stopTurns: () => supervisor.cancelAll('storage'),
    log,
  })
  return { broker, supervisor, service, maintenance, disk }
}

/** The turns, approvals and queues an earlier daemon left, in the order that keeps each right. */
async function takeOver(
  supervisor: Supervisor,
  broker: PermissionBroker,
  log: Logger
): Promise<void> {
  const adopted = supervisor.adoptRunning()
  if (adopted > 0) log.info('adopted turns from an earlier daemon', { count: adopted })
  // Tool approvals left open by an earlier daemon time out on their stored schedule.
  broker.restore()
  await supervisor.sweepSpool()
  // After adoption, so a session whose turn is still running keeps its queue waiting behind it.
  const resumed = supervisor.resumeQueues()
  if (resumed > 0) log.info('started queued turns left by an earlier daemon', { count: resumed })
}
