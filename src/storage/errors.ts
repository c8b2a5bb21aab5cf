import Database from 'better-sqlite3'

/**
 * The disk (or the database's size cap) is full. Reads still work; writes fail until space is
 * freed. ENOSPC comes from plain file writes (spool files, workspaces), SQLITE_FULL from SQLite.
 */
export function isStorageFull(err: unknown): boolean {
  if (err instanceof Database.SqliteError)
    return err.code === 'SQLITE_FULL' || err.code === 'SQLITE_IOERR_WRITE'
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOSPC'
}
