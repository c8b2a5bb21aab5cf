import { statSync } from 'node:fs'

/** The database and its WAL: what the database really takes on disk. */
export function databaseBytes(dbPath: string): number {
  let total = 0
  for (const p of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) {
    try {
      total += statSync(p).size
    } catch {
      // not there (no WAL yet)
    }
  }
  return total
}
