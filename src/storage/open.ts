import { join } from 'node:path'
import { openDatabase } from './database.js'
import type { MigrationReport } from './migrate.js'
import { openPostgres } from './pg/database.js'
import type { Database } from './sql.js'

/**
 * The daemon's database: PostgreSQL when a URL is given (several daemons may share it), else
 * SQLite in the data dir. Both take their migrations from migrations/ (postgres/ for PostgreSQL).
 */
export function openStorage(opts: {
  dataDir: string
  databaseUrl: string | null
  migrationsDir: string
  maxMb: number
}): { db: Database; migrations: MigrationReport } {
  if (opts.databaseUrl) return openPostgres(opts.databaseUrl, join(opts.migrationsDir, 'postgres'))
  return openDatabase(join(opts.dataDir, 'agentmux.db'), opts.migrationsDir, { maxMb: opts.maxMb })
}
