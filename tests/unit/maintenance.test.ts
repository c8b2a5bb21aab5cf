import { describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/log.js'
import { createMaintenance } from '../../src/maintenance.js'
import type { SessionService } from '../../src/sessions/service.js'
import type { Retention } from '../../src/storage/retention.js'
import type { Store } from '../../src/storage/store.js'

describe('idle WAL checkpoints', () => {
  it('checkpoints once after writes stop for the idle period, not while writing', () => {
    let t = 1_000_000
    let lastWrite = 0
    let checkpoints = 0
    const store = { checkpoint: () => checkpoints++ } as unknown as Store
    const m = createMaintenance({
      store,
      retention: {} as Retention,
      service: {} as SessionService,
      log: silentLogger,
      config: { retentionDays: 0, retentionSessions: 0, idleMs: 10_000 },
      lastWriteAt: () => lastWrite,
      now: () => t,
    })
    expect(m.checkpointIfIdle()).toBe(false) // nothing written yet
    lastWrite = t
    t += 5_000
    expect(m.checkpointIfIdle()).toBe(false) // written 5 s ago: still busy
    t += 6_000
    expect(m.checkpointIfIdle()).toBe(true)
    t += 60_000
    expect(m.checkpointIfIdle()).toBe(false) // nothing new since
    lastWrite = t
    t += 11_000
    expect(m.checkpointIfIdle()).toBe(true)
    expect(checkpoints).toBe(2)
  })
})
