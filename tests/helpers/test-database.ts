import { createHash } from 'node:crypto'
import { join, resolve } from 'node:path'
import { openDatabase } from '../../src/storage/database.js'
import { openPostgres } from '../../src/storage/pg/database.js'
import { connectSync } from '../../src/storage/pg/sync-client.js'
import type { Database } from '../../src/storage/sql.js'
import type { MigrationReport } from '../../src/storage/migrate.js'

/**
 * The suite runs twice: on SQLite, then with AGENTMUX_TEST_DATABASE=postgres on the PostgreSQL
 * cluster that tests/setup/global.ts starts. Each data dir gets a schema of its own in that
 * cluster, named after the dir, so a daemon restarted on the same dir finds its data again.
 */
export const TEST_BACKEND: 'sqlite' | 'postgres' =
  process.env.AGENTMUX_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite'
export const MIGRATIONS = resolve(import.meta.dirname, '../../migrations')

/** The cluster's URL, set by the global setup for the PostgreSQL run. */
function clusterUrl(): string {
  const url = process.env.AGENTMUX_TEST_PG_URL
  if (!url) throw new Error('AGENTMUX_TEST_PG_URL is not set: the global setup starts PostgreSQL')
  return url
}

/** The AGENTMUX_DATABASE_URL for a daemon on this data dir: null on SQLite. */
export function testDatabaseUrl(dataDir: string): string | null {
  if (TEST_BACKEND === 'sqlite') return null
  const schema = `t_${createHash('sha256').update(dataDir).digest('hex').slice(0, 20)}`
  const admin = connectSync(clusterUrl())
  try {
    admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`, [])
  } finally {
    admin.close()
  }
  const u = new URL(clusterUrl())
  u.searchParams.set('options', `-c search_path=${schema}`)
  return u.toString()
}

/** The daemon's environment for this backend. */
export function testDatabaseEnv(dataDir: string): Record<string, string> {
  const url = testDatabaseUrl(dataDir)
  return url ? { AGENTMUX_DATABASE_URL: url } : {}
}

/** A store's database for unit tests, in `dir` (SQLite) or in a schema named after it. */
export function openTestDatabase(dir: string): { db: Database; migrations: MigrationReport } {
  const url = testDatabaseUrl(dir)
  if (url) return openPostgres(url, join(MIGRATIONS, 'postgres'))
  return openDatabase(join(dir, 'db.sqlite'), MIGRATIONS)
}

/** The database a daemon on this data dir uses, opened beside it (the daemon stopped or killed). */
export function openDaemonDatabase(dataDir: string): { db: Database; migrations: MigrationReport } {
  const url = testDatabaseUrl(dataDir)
  if (url) return openPostgres(url, join(MIGRATIONS, 'postgres'))
  return openDatabase(join(dataDir, 'agentmux.db'), MIGRATIONS)
}
