import Database from 'better-sqlite3'
import { applyMigrations, type MigrationReport } from './migrate.js'

export type Db = Database.Database

/**
 * Opens the daemon's database and brings its schema up to date.
 * WAL keeps readers (SSE replays) from blocking the writer; synchronous=NORMAL loses nothing on a
 * process crash and only the last commits on power loss, which is the right trade for a replay log.
 */
export function openDatabase(path: string, migrationsDir: string): { db: Db; migrations: MigrationReport } {
  const db = new Database(path, { timeout: 5000 })
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    // Bounds the -wal file after checkpoints; without it a burst leaves a large file behind for good.
    db.pragma('journal_size_limit = 67108864')
    db.pragma('cache_size = -16000')
    const migrations = applyMigrations(db, migrationsDir)
    return { db, migrations }
  } catch (err) {
    db.close()
    throw err
  }
}
