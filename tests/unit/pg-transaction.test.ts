import { describe, expect, it } from 'vitest'
import { createPgDatabase } from '../../src/storage/pg/database.js'
import type { SyncPg } from '../../src/storage/pg/sync-client.js'

/** A connection that records what it is sent and fails the statements it is told to. */
function recording(failing: Set<string>) {
  const sent: string[] = []
  const conn: SyncPg = {
    query(sql) {
      sent.push(sql)
      if (failing.has(sql)) throw new Error(`${sql} failed`)
      return { rows: [], rowCount: 0 }
    },
    send(sql) {
      sent.push(sql)
    },
    close() {},
  }
  return { conn, sent }
}

describe('transactions on the PostgreSQL backend', () => {
  it('nests as savepoints, and rolls back the inner one only', () => {
    const { conn, sent } = recording(new Set())
    const db = createPgDatabase(conn)
    db.transaction(() => {
      db.prepare('SELECT 1').run()
      expect(() =>
        db.transaction(() => {
          throw new Error('inner')
        })()
      ).toThrow('inner')
    })()
    expect(sent).toEqual([
      'BEGIN',
      'SELECT 1',
      'SAVEPOINT sp1',
      'ROLLBACK TO SAVEPOINT sp1',
      'COMMIT',
    ])
  })

  it('a failed COMMIT leaves the next transaction a transaction of its own', () => {
    const failing = new Set(['COMMIT'])
    const { conn, sent } = recording(failing)
    const db = createPgDatabase(conn)
    expect(() => db.transaction(() => db.prepare('SELECT 1').run())()).toThrow('COMMIT failed')
    failing.clear()
    sent.length = 0
    db.transaction(() => db.prepare('SELECT 2').run())()
    expect(sent).toEqual(['BEGIN', 'SELECT 2', 'COMMIT'])
  })

  it('the error that caused a rollback is the one thrown, even when the rollback fails too', () => {
    const { conn } = recording(new Set(['ROLLBACK']))
    const db = createPgDatabase(conn)
    expect(() =>
      db.transaction(() => {
        throw new Error('the cause')
      })()
    ).toThrow('the cause')
  })
})
