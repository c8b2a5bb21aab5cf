import { mkdtempSync, readdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/storage/database.js'
import { batchOf, eventBody } from '../../src/storage/event-json.js'
import { createStore } from '../../src/storage/store.js'
import type { NewEvent } from '../../src/events/types.js'
import { sessionRow } from '../helpers/session-row.js'
import { openTestDatabase } from '../helpers/test-database.js'

const migrations = join(dirname(fileURLToPath(import.meta.url)), '../../migrations')
const tmp = () => mkdtempSync(join(tmpdir(), 'agentmux-unit-'))

function newStore() {
  const { db } = openTestDatabase(tmp())
  const store = createStore(db)
  store.createSession(sessionRow('ses_a'))
  store.createSession(sessionRow('ses_b'))
  return store
}

describe('migrations', () => {
  it('applies every file once, in order, and records name and hash', () => {
    const dir = tmp()
    const first = openDatabase(join(dir, 'db.sqlite'), migrations)
    expect(first.migrations.applied).toEqual(
      readdirSync(migrations)
        .filter((f) => f.endsWith('.sql'))
        .sort()
    )
    const rows = first.db
      .prepare('SELECT name, sha256 FROM schema_migrations ORDER BY name')
      .all() as { name: string; sha256: string }[]
    expect(rows.map((r) => r.name)).toEqual(first.migrations.applied)
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.sha256))).toBe(true)
    expect(first.db.prepare('PRAGMA journal_mode').pluck().get()).toBe('wal')
    expect(first.db.prepare('PRAGMA foreign_keys').pluck().get()).toBe(1)
    first.db.close()
    const again = openDatabase(join(dir, 'db.sqlite'), migrations)
    expect(again.migrations.applied).toEqual([])
    again.db.close()
  })

  it('applies a file merged out of order, and refuses to start when an applied file changed', () => {
    const dir = tmp()
    const mdir = join(dir, 'migrations')
    cpSync(migrations, mdir, { recursive: true })
    writeFileSync(join(mdir, '0003_later.sql'), 'CREATE TABLE later (x);')
    openDatabase(join(dir, 'db.sqlite'), mdir).db.close()
    writeFileSync(join(mdir, '0002_earlier.sql'), 'CREATE TABLE earlier (x);')
    const r = openDatabase(join(dir, 'db.sqlite'), mdir)
    expect(r.migrations.applied).toEqual(['0002_earlier.sql'])
    r.db.close()
    writeFileSync(
      join(mdir, '0003_later.sql'),
      `${readFileSync(join(mdir, '0003_later.sql'), 'utf8')}\n-- edited`
    )
    expect(() => openDatabase(join(dir, 'db.sqlite'), mdir)).toThrow(/0003_later.sql was changed/)
  })
})

describe('event log', () => {
  it('assigns strictly increasing ids per session, across interleaved sessions', () => {
    const store = newStore()
    const ids: Record<string, number[]> = { ses_a: [], ses_b: [] }
    for (let i = 0; i < 50; i++) {
      const sid = i % 3 === 0 ? 'ses_b' : 'ses_a'
      for (const c of store.append(sid, null, [
        { kind: 'agent.notice', subtype: 't', message: String(i) },
      ]))
        ids[sid]!.push(c.id)
    }
    for (const list of Object.values(ids))
      for (let i = 1; i < list.length; i++) expect(list[i]!).toBeGreaterThan(list[i - 1]!)
    expect(store.readEvents('ses_a', 0, 1000).map((e) => e.id)).toEqual(ids.ses_a)
    expect(store.headEventId('ses_a')).toBe(ids.ses_a!.at(-1))
  })

  it('pages after a cursor and serves the stored JSON with the id first', () => {
    const store = newStore()
    const committed = store.append(
      'ses_a',
      null,
      Array.from({ length: 10 }, (_, i) => ({
        kind: 'agent.notice' as const,
        subtype: 's',
        message: `m${i}`,
      }))
    )
    const page = store.readEvents('ses_a', committed[3]!.id, 4)
    expect(page.map((e) => e.id)).toEqual(committed.slice(4, 8).map((e) => e.id))
    const e = JSON.parse(page[0]!.json)
    expect(Object.keys(e).slice(0, 5)).toEqual(['id', 'sessionId', 'turnId', 'kind', 'ts'])
    expect(e).toMatchObject({
      id: committed[4]!.id,
      sessionId: 'ses_a',
      kind: 'agent.notice',
      message: 'm4',
    })
  })

  it('derives session and turn state from the events it commits', () => {
    const store = newStore()
    const begun = store.beginTurn({
      sessionId: 'ses_a',
      turnId: 'trn_1',
      clientTurnId: 'c1',
      prompt: 'hi',
      model: null,
      queue: true,
    })
    expect(begun.kind).toBe('started')
    expect(
      store.beginTurn({
        sessionId: 'ses_a',
        turnId: 'trn_2',
        clientTurnId: null,
        prompt: 'x',
        model: null,
        queue: false,
      })
    ).toEqual({ kind: 'busy', activeTurnId: 'trn_1', queuedTurns: 0 })
    expect(
      store.beginTurn({
        sessionId: 'ses_a',
        turnId: 'trn_3',
        clientTurnId: 'c1',
        prompt: 'x',
        model: null,
        queue: true,
      }).kind
    ).toBe('existing')
    store.append(
      'ses_a',
      'trn_1',
      [
        {
          kind: 'agent.init',
          model: 'm',
          claudeSessionId: 'u-a',
          cwd: '/x',
          tools: [],
          permissionMode: 'default',
          version: '2.1.330',
        },
        { kind: 'text', text: 'the answer' },
        {
          kind: 'turn.result',
          isError: false,
          subtype: 'success',
          terminalReason: 'completed',
          text: 'the answer',
          costUsd: 0.25,
          totalCostUsd: 0.25,
          usage: {
            inputTokens: 100,
            outputTokens: 20,
            cacheReadInputTokens: 5,
            cacheCreationInputTokens: 0,
          },
          durationMs: 10,
          numTurns: 1,
        },
        { kind: 'turn.ended', status: 'completed', durationMs: 12, exitCode: 0, signal: null },
      ],
      { spoolOffset: 1234, translatorState: '{}' }
    )
    const rt = store.getSessionRuntime('ses_a')!
    expect(rt.claudeStarted).toBe(true)
    expect(rt.claudeTotalCost).toBe(0.25)
    expect(rt.session).toMatchObject({
      status: 'idle',
      activeTurnId: null,
      turnCount: 1,
      costUsd: 0.25,
      inputTokens: 105,
      outputTokens: 20,
      preview: 'the answer',
    })
    expect(store.getTurn('trn_1')).toMatchObject({
      status: 'completed',
      costUsd: 0.25,
      exitCode: 0,
      clientTurnId: 'c1',
    })
    expect(store.getTurnProcess('trn_1')!.spoolOffset).toBe(1234)
  })

  it('rolls back a batch that fails half-way: no event, no offset', () => {
    const store = newStore()
    store.beginTurn({
      sessionId: 'ses_a',
      turnId: 'trn_1',
      clientTurnId: null,
      prompt: 'hi',
      model: null,
      queue: true,
    })
    const head = store.headEventId('ses_a')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() =>
      store.append(
        'ses_a',
        'trn_1',
        [
          { kind: 'text', text: 'ok' },
          { kind: 'tool.use', toolUseId: 't', name: 'X', input: cyclic, summary: '' },
        ],
        { spoolOffset: 99 }
      )
    ).toThrow()
    expect(store.headEventId('ses_a')).toBe(head)
    expect(store.getTurnProcess('trn_1')!.spoolOffset).toBe(0)
  })
})

describe('event serialisation', () => {
  it('builds exactly what plain JSON.stringify builds, fast path or not', () => {
    const b = batchOf('ses_x"\\', null, '2026-01-01T00:00:00.000Z')
    const events: NewEvent[] = [
      { kind: 'text.delta', text: 'a "quoted" \n\u2028 é 😀', index: 0 },
      { kind: 'turn.ended', status: 'completed', durationMs: 1, exitCode: 0, signal: null },
      { kind: 'tool.use', toolUseId: 't', name: 'Bash', input: { command: 'ls' }, summary: 'ls' },
      // Not built with kind first: the plain path.
      { text: 'x', kind: 'text' } as NewEvent,
    ]
    for (const e of events) {
      const { kind, ...fields } = e
      expect(eventBody(b, e)).toBe(
        JSON.stringify({ sessionId: b.sessionId, turnId: null, kind, ts: b.ts, ...fields })
      )
    }
  })
})
