import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openTestDatabase } from '../helpers/test-database.js'
import { MAX_QUEUED_TURNS } from '../../src/storage/queue.js'
import { createStore, type Store } from '../../src/storage/store.js'
import { sessionRow } from '../helpers/session-row.js'

const dirs: string[] = []
const stores: Store[] = []
afterAll(() => {
  for (const s of stores) s.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

let clock = Date.parse('2026-01-01T00:00:00.000Z')
function newStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'agentmux-queue-unit-'))
  dirs.push(dir)
  const { db } = openTestDatabase(dir)
  // Each call a millisecond later, so start times are distinguishable.
  const store = createStore(db, { now: () => new Date((clock += 1)) })
  stores.push(store)
  store.createSession(sessionRow('ses_a', { title: '' }))
  return store
}

const begin = (
  store: Store,
  turnId: string,
  prompt: string,
  extra: { clientTurnId?: string; queue?: boolean } = {}
) =>
  store.beginTurn({
    sessionId: 'ses_a',
    turnId,
    prompt,
    model: null,
    clientTurnId: extra.clientTurnId ?? null,
    queue: extra.queue ?? true,
  })
const end = (store: Store, turnId: string, status: 'completed' | 'failed' | 'cancelled') =>
  store.append('ses_a', turnId, [
    { kind: 'turn.ended', status, durationMs: 1, exitCode: null, signal: null },
  ])
const kindsOf = (store: Store) =>
  store
    .readEvents('ses_a', 0, 1000)
    .map((e) => JSON.parse(e.json) as { kind: string; turnId: string | null })

describe('the queue in the store', () => {
  it('queues behind a running turn, keeps positions dense, and starts the head when the turn ends', () => {
    const store = newStore()
    expect(begin(store, 'trn_1', 'Title line\nbody').kind).toBe('started')
    expect(store.getSession('ses_a')!.title).toBe('Title line')
    const queued = ['trn_2', 'trn_3', 'trn_4'].map((id) => begin(store, id, `p ${id}`))
    expect(queued.map((r) => (r.kind === 'queued' ? r.turn.position : r.kind))).toEqual([1, 2, 3])
    expect(store.removeQueued('ses_a', 'trn_3').kind).toBe('done')
    expect(store.listTurns('ses_a').map((t) => [t.id, t.status, t.position])).toEqual([
      ['trn_1', 'running', null],
      ['trn_3', 'cancelled', null],
      ['trn_2', 'queued', 1],
      ['trn_4', 'queued', 2],
    ])
    // Not while a turn runs.
    expect(store.advanceQueue('ses_a', null, true)).toEqual({ kind: 'none' })
    end(store, 'trn_1', 'completed')
    const next = store.advanceQueue('ses_a', 'trn_1', true)
    expect(next.kind).toBe('started')
    if (next.kind !== 'started') return
    expect(next.turn).toMatchObject({ id: 'trn_2', status: 'running', position: null })
    expect(Date.parse(next.turn.startedAt)).toBeGreaterThan(
      Date.parse(store.getTurn('trn_1')!.startedAt)
    )
    expect(store.getSession('ses_a')).toMatchObject({
      activeTurnId: 'trn_2',
      queuedTurns: 1,
      turnCount: 2,
    })
    expect(store.getTurn('trn_4')!.position).toBe(1)
  })

  it('pauses after a failure even while stopping, starts nothing paused, and resumes', () => {
    const store = newStore()
    begin(store, 'trn_1', 'one')
    begin(store, 'trn_2', 'two')
    end(store, 'trn_1', 'failed')
    expect(store.advanceQueue('ses_a', 'trn_1', false).kind).toBe('paused')
    expect(store.getSession('ses_a')).toMatchObject({
      status: 'idle',
      queuedTurns: 1,
      queuePaused: true,
    })
    expect(store.advanceQueue('ses_a', 'trn_1', true)).toEqual({ kind: 'none' })
    expect(store.advanceQueue('ses_a', null, true)).toEqual({ kind: 'none' })
    const paused = kindsOf(store).find((e) => e.kind === 'queue.paused')!
    expect(paused).toMatchObject({ turnId: 'trn_1', reason: 'failed' })
    expect(store.editQueued('ses_a', 'trn_2', 'two, edited').kind).toBe('done')
    const r = store.resumeQueue('ses_a')
    expect(r).toMatchObject({ kind: 'ok', resumed: true })
    const started = store.advanceQueue('ses_a', null, true)
    expect(started.kind === 'started' && started.turn.prompt).toBe('two, edited')
    expect(kindsOf(store).map((e) => e.kind)).toEqual([
      'turn.started',
      'turn.queued',
      'turn.ended',
      'queue.paused',
      'turn.edited',
      'queue.resumed',
      'turn.started',
    ])
  })

  it('a completed turn while stopping starts nothing, but leaves the queue unpaused for the next daemon', () => {
    const store = newStore()
    begin(store, 'trn_1', 'one')
    begin(store, 'trn_2', 'two')
    end(store, 'trn_1', 'completed')
    expect(store.advanceQueue('ses_a', 'trn_1', false)).toEqual({ kind: 'none' })
    expect(store.sessionsWithQueue()).toEqual(['ses_a'])
    expect(store.getSession('ses_a')).toMatchObject({ queuedTurns: 1, queuePaused: false })
    // Idle with a queue that is not paused counts as busy: a new prompt waits its turn.
    expect(begin(store, 'trn_3', 'three').kind).toBe('queued')
    expect(begin(store, 'trn_4', 'four', { queue: false })).toEqual({
      kind: 'busy',
      activeTurnId: null,
      queuedTurns: 2,
    })
  })

  it('a new prompt on a paused queue runs first; clearQueue ends every queued turn and the pause', () => {
    const store = newStore()
    begin(store, 'trn_1', 'one')
    begin(store, 'trn_2', 'two')
    begin(store, 'trn_3', 'three')
    end(store, 'trn_1', 'cancelled')
    store.advanceQueue('ses_a', 'trn_1', true)
    const fix = begin(store, 'trn_4', 'fix', { queue: false })
    expect(fix.kind).toBe('started')
    expect(
      kindsOf(store)
        .slice(-2)
        .map((e) => e.kind)
    ).toEqual(['queue.resumed', 'turn.started'])
    expect(store.getSession('ses_a')).toMatchObject({
      activeTurnId: 'trn_4',
      queuePaused: false,
      queuedTurns: 2,
    })
    const cleared = store.clearQueue('ses_a')
    expect(cleared.turnIds).toEqual(['trn_2', 'trn_3'])
    expect(['trn_2', 'trn_3'].map((id) => store.getTurn(id)!.status)).toEqual([
      'cancelled',
      'cancelled',
    ])
    expect(store.sessionsWithQueue()).toEqual([])
    expect(store.removeQueued('ses_a', 'trn_4')).toMatchObject({
      kind: 'not_queued',
      turn: { status: 'running' },
    })
    expect(store.removeQueued('ses_a', 'trn_nope')).toEqual({ kind: 'not_found' })
    expect(store.editQueued('ses_b', 'trn_2', 'x')).toEqual({ kind: 'not_found' })
  })

  it('the same clientTurnId yields the queued turn, and never a second one', () => {
    const store = newStore()
    begin(store, 'trn_1', 'one')
    const q = begin(store, 'trn_2', 'two', { clientTurnId: 'c' })
    const again = begin(store, 'trn_3', 'two', { clientTurnId: 'c', queue: false })
    expect(q.kind).toBe('queued')
    expect(again).toMatchObject({
      kind: 'existing',
      turn: { id: 'trn_2', status: 'queued', position: 1 },
    })
    expect(store.getTurn('trn_3')).toBeNull()
  })

  it(`refuses a prompt beyond ${MAX_QUEUED_TURNS} queued turns, and nothing of it is stored`, () => {
    const store = newStore()
    begin(store, 'trn_run', 'running')
    for (let i = 0; i < MAX_QUEUED_TURNS; i++)
      expect(begin(store, `trn_q${i}`, `p${i}`).kind).toBe('queued')
    const head = store.headEventId('ses_a')
    expect(begin(store, 'trn_over', 'one too many')).toEqual({
      kind: 'queue_full',
      queuedTurns: MAX_QUEUED_TURNS,
    })
    expect(store.getTurn('trn_over')).toBeNull()
    expect(store.headEventId('ses_a')).toBe(head)
    store.removeQueued('ses_a', 'trn_q0')
    expect(begin(store, 'trn_next', 'room again').kind).toBe('queued')
  })
})
