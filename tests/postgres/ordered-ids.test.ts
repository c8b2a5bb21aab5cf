import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MIGRATIONS, TEST_BACKEND, testDatabaseUrl } from '../helpers/test-database.js'
import { openPostgres } from '../../src/storage/pg/database.js'

/**
 * Issue 14.5: with several writers, ids must become visible in increasing order, or a reader that
 * saw 102 before 101 committed skips 101 forever. Writers here hold their transaction open for a
 * random moment after inserting, which is what makes a sequence commit out of order. The same
 * load on a plain identity column shows the skip the design prevents: the check can fail.
 */
const WRITERS = 8
const INSERTS_PER_WRITER = 60
const READERS = 4

let dir: string
let url: string
let pool: pg.Pool
beforeAll(() => {
  if (TEST_BACKEND !== 'postgres') return
  dir = mkdtempSync(join(tmpdir(), 'agentmux-ordered-'))
  url = testDatabaseUrl(dir)!
  openPostgres(url, join(MIGRATIONS, 'postgres')).db.close()
  pool = new pg.Pool({ connectionString: url, max: WRITERS + READERS + 2 })
})
afterAll(async () => {
  await pool?.end()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

async function write(table: string, session: string, writer: number): Promise<void> {
  const c = await pool.connect()
  try {
    for (let i = 0; i < INSERTS_PER_WRITER; i++) {
      await c.query('BEGIN')
      await c.query(
        `INSERT INTO ${table} (session_id, turn_id, kind, body) VALUES ($1, NULL, 'text', $2)`,
        [session, `{"writer":${writer},"i":${i}}`]
      )
      // Commit a random moment later: the window in which a later id can commit first.
      await c.query('SELECT pg_sleep($1)', [Math.random() * 0.004])
      await c.query('COMMIT')
    }
  } finally {
    c.release()
  }
}

/** Follows the session with a cursor, as an SSE reader does; returns every id it saw, in order. */
async function read(table: string, session: string, done: () => boolean): Promise<number[]> {
  const seen: number[] = []
  let cursor = 0
  for (;;) {
    const finished = done()
    const r = await pool.query<{ id: number }>(
      `SELECT id FROM ${table} WHERE session_id = $1 AND id > $2 ORDER BY id`,
      [session, cursor]
    )
    for (const row of r.rows) seen.push(Number(row.id))
    if (r.rows.length > 0) cursor = Number(r.rows[r.rows.length - 1]!.id)
    if (finished) return seen
  }
}

async function race(table: string, session: string) {
  let writing = true
  const readers = Array.from({ length: READERS }, () => read(table, session, () => !writing))
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => write(table, session, w)))
  writing = false
  const seen = await Promise.all(readers)
  const all = (
    await pool.query<{ id: number }>(`SELECT id FROM ${table} WHERE session_id = $1 ORDER BY id`, [
      session,
    ])
  ).rows.map((r) => Number(r.id))
  return { seen, all }
}

describe.skipIf(TEST_BACKEND !== 'postgres')('event ids on PostgreSQL (many writers)', () => {
  it('every reader following one session with a cursor sees every id, in order, once', async () => {
    await pool.query(`INSERT INTO sessions (id, title, cwd, claude_session_id, created_at, updated_at)
      VALUES ('ses_race', '', '/tmp', 'x', '', '')`)
    const { seen, all } = await race('events', 'ses_race')
    expect(all).toHaveLength(WRITERS * INSERTS_PER_WRITER)
    for (const s of seen) expect(s).toEqual(all)
  })

  it('the same load on an identity column skips ids: the failure the counter row prevents', async () => {
    await pool.query(`CREATE TABLE naive_events (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      session_id TEXT NOT NULL, turn_id TEXT, kind TEXT NOT NULL, body TEXT NOT NULL)`)
    const { seen, all } = await race('naive_events', 'ses_naive')
    expect(all).toHaveLength(WRITERS * INSERTS_PER_WRITER)
    const skipped = seen.map((s) => all.length - s.length)
    expect(Math.max(...skipped)).toBeGreaterThan(0)
  })
})
