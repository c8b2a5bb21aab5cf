import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connectSync, type SyncPg } from '../../src/storage/pg/sync-client.js'
import { TEST_BACKEND, testDatabaseUrl } from '../helpers/test-database.js'

/**
 * The synchronous bridge when PostgreSQL does not answer in time. A CI run once saw the PostgreSQL
 * backend answer a session query with rows of another query (a daemon's feed read a session row
 * without its columns). Whatever the cause, the bridge now rules it out: every link has a flag of
 * its own, every answer names its request, and a backend given up on is ended so the locks it held
 * go with it. The second test fails without that last part (its UPDATE waits out its timeout).
 */
const TIMEOUT_MS = 1_500

let dir: string
let url: string
const opened: SyncPg[] = []
beforeAll(() => {
  if (TEST_BACKEND !== 'postgres') return
  dir = mkdtempSync(join(tmpdir(), 'agentmux-bridge-'))
  url = testDatabaseUrl(dir)!
})
afterAll(() => {
  for (const c of opened) c.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function connect(timeoutMs: number): SyncPg {
  const c = connectSync(url, timeoutMs)
  opened.push(c)
  return c
}

const value = (c: SyncPg, sql: string, params: unknown[] = []) =>
  (c.query(sql, params, true).rows[0] as unknown[])[0]

describe.skipIf(TEST_BACKEND !== 'postgres')('the PostgreSQL bridge past its timeout', () => {
  it('answers every later query with its own answer, also while the old one finishes', () => {
    const c = connect(TIMEOUT_MS)
    expect(() => c.query('SELECT pg_sleep(2)', [])).toThrow(/did not answer within 1500 ms/)
    // Through the moment the abandoned query would have answered (2 s after it was sent).
    const until = Date.now() + 1_500
    for (let n = 0; Date.now() < until; n++) {
      expect(value(c, 'SELECT $1::int + 1', [n])).toBe(n + 1)
    }
  })

  it('ends the abandoned backend, so the locks it held do not block the next writer', () => {
    const setup = connect(5_000)
    setup.query('CREATE TABLE IF NOT EXISTS bridge_lock (id int PRIMARY KEY, n int)', [])
    setup.query('INSERT INTO bridge_lock VALUES (1, 0) ON CONFLICT (id) DO NOTHING', [])
    const c = connect(TIMEOUT_MS)
    c.send('BEGIN')
    c.query('UPDATE bridge_lock SET n = n + 1 WHERE id = 1', [])
    // Holds the row lock for 30 s unless its backend is ended.
    expect(() => c.query('SELECT pg_sleep(30)', [])).toThrow(/did not answer/)
    // Another connection writes the same row: it waits for the lock, within its own timeout.
    expect(setup.query('UPDATE bridge_lock SET n = n + 10 WHERE id = 1', []).rowCount).toBe(1)
    expect(value(c, 'SELECT n FROM bridge_lock WHERE id = 1')).toBe(10)
    const sleeping = value(
      setup,
      `SELECT count(*)::int FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'`
    )
    expect(sleeping).toBe(0)
  })
})
