import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { SqlDb } from './sql.js'

export interface MigrationReport {
  applied: string[]
  known: number
}

const FILE_PATTERN = /^(\d{4})_[a-z0-9_]+\.sql$/

/**
 * Applies `NNNN_name.sql` files in order, one transaction each, and records name + sha256.
 * Recording names (not only the highest number) means a file merged out of order is still applied;
 * a changed hash for an applied file stops start-up, because the schema would no longer match it.
 */
export function applyMigrations(db: SqlDb, dir: string): MigrationReport {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    name TEXT PRIMARY KEY, sha256 TEXT NOT NULL, applied_at TEXT NOT NULL)`)
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
  for (const f of files) {
    if (!FILE_PATTERN.test(f))
      throw new Error(`migration file name ${JSON.stringify(f)} is not NNNN_name.sql`)
  }
  const done = new Map(
    db
      .prepare('SELECT name, sha256 FROM schema_migrations')
      .all()
      .map((r) => {
        const row = r as { name: string; sha256: string }
        return [row.name, row.sha256] as const
      })
  )
  const applied: string[] = []
  const record = db.prepare(
    'INSERT INTO schema_migrations (name, sha256, applied_at) VALUES (?, ?, ?)'
  )
  for (const file of files) {
    const sql = readFileSync(join(dir, file), 'utf8')
    const hash = createHash('sha256').update(sql).digest('hex')
    const previous = done.get(file)
    if (previous !== undefined) {
      if (previous !== hash) {
        throw new Error(
          `migration ${file} was changed after it was applied (sha256 ${previous} → ${hash})`
        )
      }
      continue
    }
    db.transaction(() => {
      db.exec(sql)
      record.run(file, hash, new Date().toISOString())
    })()
    applied.push(file)
  }
  return { applied, known: files.length }
}
