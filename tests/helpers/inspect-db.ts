import Database from 'better-sqlite3'
import { join } from 'node:path'
import { createPgDatabase } from '../../src/storage/pg/database.js'
import { connectSync } from '../../src/storage/pg/sync-client.js'
import type { SqlDb } from '../../src/storage/sql.js'
import { testDatabaseUrl } from './test-database.js'

/** A stopped (or killed) daemon's database, opened directly to check what it really holds. */
function open(dataDir: string): { db: SqlDb; integrity: () => string } {
  const url = testDatabaseUrl(dataDir)
  if (!url) {
    const db = new Database(join(dataDir, 'agentmux.db'))
    return { db, integrity: () => db.pragma('integrity_check', { simple: true }) as string }
  }
  const db = createPgDatabase(connectSync(url))
  return { db, integrity: () => pgIntegrity(db) }
}

/** amcheck's B-tree check of every index in the daemon's schema; 'ok' when none is corrupt. */
function pgIntegrity(db: SqlDb): string {
  db.exec('CREATE EXTENSION IF NOT EXISTS amcheck SCHEMA public')
  try {
    db.prepare(
      `SELECT public.bt_index_check(c.oid, true) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'btree' AND c.relnamespace = current_schema()::regnamespace`
    ).all()
    return 'ok'
  } catch (err) {
    return (err as Error).message
  }
}

export function inspectDb(dataDir: string) {
  const { db, integrity } = open(dataDir)
  return {
    integrity,
    events: (
      sessionId: string
    ): { id: number; kind?: string; turnId?: string; [k: string]: unknown }[] =>
      (
        db
          .prepare('SELECT id, body FROM events WHERE session_id = ? ORDER BY id')
          .all(sessionId) as { id: number; body: string }[]
      ).map((r) => ({ id: r.id, ...(JSON.parse(r.body) as Record<string, unknown>) })),
    turns: () =>
      db.prepare('SELECT id, session_id AS sessionId, status FROM turns').all() as {
        id: string
        sessionId: string
        status: string
      }[],
    /** The claude pids the daemon recorded, for tests that must end a claude that outlived it. */
    turnPids: () =>
      (db.prepare('SELECT pid FROM turns WHERE pid IS NOT NULL').all() as { pid: number }[]).map(
        (r) => r.pid
      ),
    /** Any other read. */
    all: (sql: string, ...params: unknown[]) => db.prepare(sql).all(...params),
    close: () => db.close(),
  }
}
