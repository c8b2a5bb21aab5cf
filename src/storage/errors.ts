import Sqlite from 'better-sqlite3'
import { PgError } from './pg/sync-client.js'

/**
 * The disk (or the database's size cap) is full. Reads still work; writes fail until space is
 * freed. ENOSPC comes from plain file writes (spool files, workspaces), SQLITE_FULL from SQLite, class 53 from PostgreSQL.
 */
export function isStorageFull(err: unknown): boolean {
  if (err instanceof Sqlite.SqliteError)
    return err.code === 'SQLITE_FULL' || err.code === 'SQLITE_IOERR_WRITE'
  // disk_full, and the out-of-space class around it
  if (err instanceof PgError) return err.code?.startsWith('531') ?? false
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOSPC'
}
