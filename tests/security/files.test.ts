/**
 * Issue 10, finding 11: the database and its -wal/-shm were 0644 (inside a 0700 dir). They hold
 * every prompt and reply: 0600, for a new data dir and for one an older daemon left behind.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/storage/database.js'
import { TEST_BACKEND } from '../helpers/test-database.js'
import { startTestDaemon } from '../helpers/daemon.js'

const MIGRATIONS = resolve(import.meta.dirname, '../../migrations')
const mode = (f: string) => statSync(f).mode & 0o777
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe.skipIf(TEST_BACKEND === 'postgres')('SQLite database files are owner-only', () => {
  it("a daemon's agentmux.db, -wal and -shm are 0600 once it has written", async () => {
    const t = await startTestDaemon()
    try {
      expect((await t.api.post('/sessions', { title: 'some private words' })).status).toBe(201)
      const db = join(t.dataDir, 'agentmux.db')
      for (const f of [db, `${db}-wal`, `${db}-shm`]) {
        expect(existsSync(f), f).toBe(true)
        expect(mode(f), f).toBe(0o600)
      }
    } finally {
      await t.stop()
    }
  })

  it('files an older daemon left 0644 are tightened when the database opens', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentmux-files-'))
    dirs.push(dir)
    const path = join(dir, 'agentmux.db')
    const first = openDatabase(path, MIGRATIONS)
    first.db.close()
    for (const f of [path, `${path}-wal`, `${path}-shm`]) {
      if (!existsSync(f)) writeFileSync(f, '')
      chmodSync(f, 0o644)
    }
    const again = openDatabase(path, MIGRATIONS)
    try {
      again.db.prepare('CREATE TABLE IF NOT EXISTS t (x)').run()
      for (const f of [path, `${path}-wal`, `${path}-shm`]) expect(mode(f), f).toBe(0o600)
    } finally {
      again.db.close()
    }
  })
})
