import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createHub } from '../../src/events/hub.js'
import type { CommittedEvent } from '../../src/events/types.js'
import { createSpoolReader } from '../../src/turns/spool.js'

const ev = (id: number): CommittedEvent => ({ id, json: `{"id":${id}}` })

describe('hub', () => {
  it('serves from memory only cursors its ring covers, and wakes subscribers', () => {
    const hub = createHub({ ringEvents: 4 })
    let wakes = 0
    const unsubscribe = hub.subscribe('s', { wake: () => wakes++, end: () => {} })
    expect(hub.read('s', 0, 10)).toBeNull()
    hub.publish('s', [ev(10), ev(12), ev(15)])
    expect(wakes).toBe(1)
    expect(hub.read('s', 9, 10)!.map((e) => e.id)).toEqual([10, 12, 15])
    expect(hub.read('s', 12, 10)!.map((e) => e.id)).toEqual([15])
    expect(hub.read('s', 8, 10)).toBeNull()
    hub.publish('s', [ev(16), ev(20)])
    // Ring of 4: 10 was dropped, so only cursors ≥ 10 are covered.
    expect(hub.read('s', 9, 10)).toBeNull()
    expect(hub.read('s', 10, 2)!.map((e) => e.id)).toEqual([12, 15])
    unsubscribe()
    expect(hub.read('s', 15, 10)).toBeNull()
  })

  it('keeps nothing for sessions nobody watches', () => {
    const hub = createHub()
    hub.publish('s', [ev(1)])
    expect(hub.read('s', 0, 10)).toBeNull()
  })
})

describe('spool reader', () => {
  it('returns complete lines only, resumes at the byte offset, and flushes a last partial line when final', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'spool-')), 'out')
    writeFileSync(path, '{"a":1}\n{"b":"é')
    const r = createSpoolReader(path, 0, 8)
    const got: string[] = []
    let end: number
    for (;;) {
      const c = await r.read(false)
      got.push(...c.lines)
      end = c.endOffset
      if (!c.more) break
    }
    expect(got).toEqual(['{"a":1}'])
    expect(end).toBe(8)
    appendFileSync(path, '"}\n{"c":3}')
    const more: string[] = []
    for (;;) {
      const c = await r.read(false)
      more.push(...c.lines)
      if (!c.more) break
    }
    expect(more).toEqual(['{"b":"é"}'])
    const last = await r.read(true)
    expect(last.lines).toEqual(['{"c":3}'])
    expect(last.endOffset).toBe(Buffer.byteLength('{"a":1}\n{"b":"é"}\n{"c":3}'))
    await r.close()
    const resumed = createSpoolReader(path, 8)
    expect((await resumed.read(true)).lines).toEqual(['{"b":"é"}', '{"c":3}'])
    await resumed.close()
  })
})
