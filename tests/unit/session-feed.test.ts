import { describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../src/log.js'
import { createSessionFeed } from '../../src/sessions/feed.js'
import type { FeedMessage, Session } from '../../src/sessions/types.js'
import { waitUntil } from '../helpers/wait.js'

describe('the session-list feed', () => {
  it('coalesces changes, and a session that cannot be read costs only its own update', async () => {
    const lines: string[] = []
    const reads: string[] = []
    const feed = createSessionFeed({
      getSession: (id) => {
        reads.push(id)
        if (id === 'broken') throw new Error('the database did not answer')
        return { id, title: id } as Session
      },
      log: createLogger({ write: (l) => lines.push(l) }),
      flushMs: 10,
    })
    const got: FeedMessage[] = []
    feed.subscribe((m) => got.push(m))
    for (const id of ['a', 'broken', 'a', 'b', 'a']) feed.changed(id)
    await waitUntil(() => got.length === 2, { label: 'two updates', timeoutMs: 5_000 })
    expect(got.map((m) => (m.kind === 'session.updated' ? m.session.id : m.kind))).toEqual([
      'a',
      'b',
    ])
    expect(reads).toEqual(['a', 'broken', 'b'])
    expect(lines.join('')).toMatch(/warn session list update failed session=broken/)
    feed.close()
  })

  it('reads nothing once closed (the store closes right after it)', () => {
    vi.useFakeTimers()
    const reads: string[] = []
    const feed = createSessionFeed({
      getSession: (id) => {
        reads.push(id)
        return null
      },
      log: createLogger({ write: () => {} }),
      flushMs: 1,
    })
    feed.changed('before')
    feed.close()
    feed.changed('after')
    vi.runAllTimers()
    vi.useRealTimers()
    expect(reads).toEqual([])
  })
})
