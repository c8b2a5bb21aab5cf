import type { Database, RunResult, SqlDb, Statement } from '../sql.js'
import { applyMigrations, type MigrationReport } from '../migrate.js'
import { connectSync, type SyncPg } from './sync-client.js'
import { bindParameters, translate } from './translate.js'

/** Every daemon sharing the database migrates under this lock, one after the other. */
const MIGRATION_LOCK = 7_787_001

/** Opens a PostgreSQL database and brings its schema up to date. */
export function openPostgres(
  url: string,
  migrationsDir: string
): { db: Database; migrations: MigrationReport } {
  const conn = connectSync(url)
  const db = createPgDatabase(conn)
  try {
    conn.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
    try {
      return { db, migrations: applyMigrations(db, migrationsDir) }
    } finally {
      conn.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK])
    }
  } catch (err) {
    db.close()
    throw err
  }
}

export function createPgDatabase(conn: SyncPg): Database {
  let depth = 0

  function prepare(sqlite: string, pluck = false): Statement {
    const t = translate(sqlite)
    const query = (params: unknown[]) => conn.query(t.sql, bindParameters(t, params), pluck)
    const first = (row: unknown) => (pluck ? (row as unknown[])[0] : row)
    return {
      run(...params): RunResult {
        const r = query(params)
        const row = r.rows[0] as { id?: number } | undefined
        return { changes: r.rowCount, lastInsertRowid: t.returnsId ? (row?.id ?? 0) : 0 }
      },
      get: (...params) => {
        const row = query(params).rows[0]
        return row === undefined ? undefined : first(row)
      },
      all: (...params) => query(params).rows.map(first),
      pluck: () => prepare(sqlite, true),
    }
  }

  // Nested calls become savepoints, as in better-sqlite3.
  const transaction: SqlDb['transaction'] =
    (fn) =>
    (...args) => {
      const outer = depth === 0
      const savepoint = `sp${depth}`
      // Not waited for, which saves a round trip per transaction: if it fails, the transaction's
      // next statement fails with its error.
      conn.send(outer ? 'BEGIN' : `SAVEPOINT ${savepoint}`)
      depth++
      let result
      try {
        result = fn(...args)
      } catch (err) {
        depth--
        rollBack(outer, savepoint)
        throw err
      }
      depth--
      // A COMMIT that fails has ended the transaction all the same: depth is right either way.
      conn.query(outer ? 'COMMIT' : `RELEASE SAVEPOINT ${savepoint}`, [])
      return result
    }

  /** Best effort: the error that made us roll back is the one the caller should see. */
  function rollBack(outer: boolean, savepoint: string): void {
    try {
      conn.query(outer ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`, [])
    } catch {
      // the connection is gone: PostgreSQL rolled back when it went
    }
  }

  return {
    kind: 'postgres',
    prepare: (sql) => prepare(sql),
    transaction,
    exec: (sql) => void conn.query(sql, []),
    // PostgreSQL checkpoints on its own schedule.
    checkpoint: () => {},
    sizeBytes: () => {
      const [row] = conn.query('SELECT pg_database_size(current_database())', [], true).rows
      return Number((row as unknown[])[0])
    },
    close: () => conn.close(),
  }
}
