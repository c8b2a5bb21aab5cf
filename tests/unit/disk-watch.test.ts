import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/log.js'
import { createDiskWatch, MIN_FREE_BYTES } from '../../src/turns/disk-watch.js'

describe('the disk watch', () => {
  it('stops the running turns while the spool file system is full, and says so once', () => {
    const lines: string[] = []
    let free = 10 * MIN_FREE_BYTES
    let stops = 0
    const watch = createDiskWatch({
      freeBytes: () => free,
      stopTurns: () => (stops++, 2),
      log: createLogger({ write: (l) => lines.push(l) }),
    })
    expect(watch.check()).toBe(false)
    expect(stops).toBe(0)
    free = MIN_FREE_BYTES - 1
    expect(watch.check()).toBe(true)
    // Still full: a turn started meanwhile is stopped too, without a second alarm in the log.
    expect(watch.check()).toBe(true)
    expect(stops).toBe(2)
    free = MIN_FREE_BYTES
    expect(watch.check()).toBe(false)
    expect(stops).toBe(2)
    const said = lines.join('')
    expect(said.match(/the disk is full/g)).toHaveLength(1)
    expect(said).toMatch(/error the disk is full: running turns are stopped free=262143 turns=2/)
    expect(said).toMatch(/info there is disk space again free=262144/)
  })

  it('a file system it cannot read is not taken for a full one', () => {
    const lines: string[] = []
    let stops = 0
    const watch = createDiskWatch({
      freeBytes: () => {
        throw new Error('ENOENT: no such file or directory')
      },
      stopTurns: () => (stops++, 1),
      log: createLogger({ write: (l) => lines.push(l) }),
    })
    expect(watch.check()).toBe(false)
    expect(stops).toBe(0)
    expect(lines.join('')).toMatch(/warn could not read the free disk space/)
  })
})
