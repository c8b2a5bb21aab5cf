/**
 * Baseline: the raw better-sqlite3 insert loop, nothing in between. Same PRAGMAs as
 * src/storage/database.ts (WAL, synchronous=NORMAL, foreign_keys, journal_size_limit, 16 MB cache),
 * the real schema (migrations/0001_init.sql, so the `events` table, its index and its foreign key
 * are the daemon's), text.delta bodies shaped like the daemon's, `batch` rows per transaction.
 *
 *   tsx bench/baseline-sqlite.ts [--rows 200000] [--batch 1000] [--reps 5]
 *
 * Prints one JSON line: { rowsPerSec: number[], batch, rows }.
 */
import Database from 'better-sqlite3'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ROOT } from './lib/daemon.js'

export interface SqliteBaselineResult {
  rows: number
  batch: number
  rowsPerSec: number[]
}

export function runSqliteBaseline(rows: number, batch: number, reps: number): SqliteBaselineResult {
  const schema = readFileSync(join(ROOT, 'migrations/0001_init.sql'), 'utf8')
  const out: number[] = []
  for (let r = 0; r < reps; r++) {
    const dir = mkdtempSync(join(tmpdir(), 'agentmux-bench-sqlite-'))
    const db = new Database(join(dir, 'baseline.db'))
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma('journal_size_limit = 67108864')
    db.pragma('cache_size = -16000')
    db.exec(schema)
    const sessionId = 'ses_V1StGXR8_Z5jdHi6B-myT'
    const turnId = 'trn_2FJmBcX5kR9sQ0wLpYzAe'
    const now = new Date().toISOString()
    db.prepare(
      `INSERT INTO sessions (id, title, cwd, claude_session_id, created_at, updated_at) VALUES (?, 'b', '/tmp', ?, ?, ?)`
    ).run(sessionId, '3bde84ee-7e22-4651-b96b-350c04e5d461', now, now)
    const insert = db.prepare(
      'INSERT INTO events (session_id, turn_id, kind, body) VALUES (?, ?, ?, ?)'
    )
    const insertBatch = db.transaction((from: number, to: number, ts: string) => {
      for (let i = from; i < to; i++) {
        insert.run(
          sessionId,
          turnId,
          'text.delta',
          `{"sessionId":"${sessionId}","turnId":"${turnId}","kind":"text.delta","ts":"${ts}","text":"w${i} ","index":0}`
        )
      }
    })
    const t0 = performance.now()
    for (let i = 0; i < rows; i += batch)
      insertBatch(i, Math.min(rows, i + batch), new Date().toISOString())
    const secs = (performance.now() - t0) / 1000
    out.push(rows / secs)
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return { rows, batch, rowsPerSec: out }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(`--${name}`)
    return i >= 0 ? Number(process.argv[i + 1]) : dflt
  }
  const res = runSqliteBaseline(arg('rows', 200_000), arg('batch', 1000), arg('reps', 5))
  process.stdout.write(`${JSON.stringify(res)}\n`)
}
