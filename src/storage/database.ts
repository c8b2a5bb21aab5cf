import { chmodSync, closeSync, existsSync, openSync } from 'node:fs'
import Sqlite from 'better-sqlite3'
import { databaseBytes } from './database-size.js'
import { applyMigrations, type MigrationReport } from './migrate.js'
import type { Database } from './sql.js'

export type Db = Database

/**
 * Opens the daemon's database and brings its schema up to date.
 * WAL keeps readers (SSE replays) from blocking the writer; synchronous=NORMAL loses nothing on a
 * process crash and only the last commits on power loss, which is the right trade for a replay log.
 */
export function openDatabase(
  path: string,
  migrationsDir: string,
  opts: { maxMb?: number } = {}
): { db: Db; migrations: MigrationReport } {
  ownerOnly(path)
  const db = new Sqlite(path, { timeout: 5000 })
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    // Bounds the -wal file after checkpoints; without it a burst leaves a large file behind for good.
    db.pragma('journal_size_limit = 67108864')
    db.pragma('cache_size = -16000')
    const wrapped = sqliteDatabase(db, path)
    const migrations = applyMigrations(wrapped, migrationsDir)
    if (opts.maxMb) {
      // A size cap: past it SQLite answers SQLITE_FULL, exactly as on a full disk.
      const pageSize = db.pragma('page_size', { simple: true }) as number
      db.pragma(
        `max_page_count = ${Math.max(1, Math.floor((opts.maxMb * 1024 * 1024) / pageSize))}`
      )
    }
    return { db: wrapped, migrations }
  } catch (err) {
    db.close()
    throw err
  }
}

/** better-sqlite3 is the interface's model: statements and transactions pass straight through. */
function sqliteDatabase(db: Sqlite.Database, path: string): Database {
  return {
    kind: 'sqlite',
    prepare: (sql) => db.prepare(sql),
    transaction: (fn) => db.transaction(fn),
    exec: (sql) => void db.exec(sql),
    checkpoint: () => void db.pragma('wal_checkpoint(TRUNCATE)'),
    sizeBytes: () => databaseBytes(path),
    close: () => db.close(),
  }
}

/**
 * The log holds every prompt and reply: owner-only, like the dir around it. SQLite creates -wal and
 * -shm with the mode of the database file, so creating that one 0600 covers all three; files an
 * older daemon left 0644 are tightened too.
 */
function ownerOnly(path: string): void {
  if (path === ':memory:') return
  closeSync(openSync(path, 'a', 0o600))
  for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600)
}
