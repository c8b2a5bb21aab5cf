import Database from 'better-sqlite3'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createApi } from '../helpers/api.js'
import { inspectDb } from '../helpers/inspect-db.js'
import { openDaemonDatabase } from '../helpers/test-database.js'
import { createStore } from '../../src/storage/store.js'
import { PROCESS_TOKEN, spawnDaemon, type DaemonProcess } from '../helpers/process-daemon.js'
import { waitUntil, withTimeout } from '../helpers/wait.js'

const TOKEN = PROCESS_TOKEN
const dataDir = mkdtempSync(join(tmpdir(), 'agentmux-queue-kill9-'))
const idleDataDir = mkdtempSync(join(tmpdir(), 'agentmux-queue-idle-'))
const daemons: DaemonProcess[] = []

/** A failed run can leave a detached claude of a killed daemon: end its process group. */
function killLeftoverClaudes(dir: string): void {
  if (!existsSync(join(dir, 'agentmux.db'))) return
  const db = new Database(join(dir, 'agentmux.db'), { readonly: true })
  try {
    const pids = db
      .prepare(`SELECT pid FROM turns WHERE status = 'running' AND pid IS NOT NULL`)
      .pluck()
      .all() as number[]
    for (const pid of pids) {
      try {
        // Only a claude of this data dir (a pid may have been reused since).
        if (!readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`=${dir}/`)) continue
        process.kill(-pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  } finally {
    db.close()
  }
}

afterAll(async () => {
  for (const p of daemons) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    await withTimeout(p.exited, 10_000, 'a daemon to exit')
  }
  for (const dir of [dataDir, idleDataDir]) killLeftoverClaudes(dir)
  rmSync(dataDir, { recursive: true, force: true })
  rmSync(idleDataDir, { recursive: true, force: true })
})

describe('the queue across kill -9 of the daemon', () => {
  it(
    'runs 3 queued turns in order after a restart, each ending exactly once',
    { timeout: 180_000 },
    async () => {
      const first = await spawnDaemon({ dataDir })
      daemons.push(first)
      let api = createApi(first.url, TOKEN)
      const sessionId = (await api.post('/sessions', { title: 'queue kill9' })).body.id as string
      // 20 s: still running when the others are queued and when the daemon is killed, also on a
      // loaded machine; it ends on its own afterwards.
      const running = (
        await api.post(`/sessions/${sessionId}/turns`, { prompt: 'first [slow:20000]' })
      ).body.turn
      expect(running.status).toBe('running')
      const queued: { id: string; status: string; position: number }[] = []
      for (const [i, p] of ['second', 'third', 'fourth [history]'].entries()) {
        const r = await api.post(`/sessions/${sessionId}/turns`, {
          prompt: p,
          clientTurnId: `k-${i}`,
        })
        expect(r.status).toBe(202)
        queued.push(r.body.turn)
      }
      expect(queued.map((t) => [t.status, t.position])).toEqual([
        ['queued', 1],
        ['queued', 2],
        ['queued', 3],
      ])

      first.child.kill('SIGKILL')
      await withTimeout(first.exited, 10_000, 'the killed daemon to exit')
      // The queue is on disk, untouched by the kill.
      const before = inspectDb(dataDir)
      try {
        const statuses = Object.fromEntries(before.turns().map((t) => [t.id, t.status]))
        for (const t of queued) expect(statuses[t.id]).toBe('queued')
      } finally {
        before.close()
      }

      const second = await spawnDaemon({ dataDir })
      daemons.push(second)
      api = createApi(second.url, TOKEN)
      // A retry of a queued prompt after the restart is still that turn.
      const retry = await api.post(`/sessions/${sessionId}/turns`, {
        prompt: 'third',
        clientTurnId: 'k-1',
      })
      expect(retry.body.turn.id).toBe(queued[1]!.id)
      await waitUntil(
        async () => {
          const s = (await api.get(`/sessions/${sessionId}`)).body
          return s.status === 'idle' && s.queuedTurns === 0
        },
        { timeoutMs: 90_000, intervalMs: 100, label: 'the queue to drain under the new daemon' }
      )
      second.child.kill('SIGTERM')
      await withTimeout(second.exited, 15_000, 'the second daemon to exit')

      const db = inspectDb(dataDir)
      try {
        expect(db.integrity()).toBe('ok')
        const log = db.events(sessionId)
        const ids = [running.id, ...queued.map((t) => t.id)]
        const starts = log.filter((e) => e.kind === 'turn.started').map((e) => e.turnId)
        expect(starts).toEqual(ids)
        for (const id of ids) {
          const ended = log.filter((e) => e.kind === 'turn.ended' && e.turnId === id)
          expect(ended, `turn.ended of ${id}`).toHaveLength(1)
        }
        // One turn at a time: each queued turn starts after the one before it ended.
        for (let i = 1; i < ids.length; i++) {
          const prevEnd = log.find((e) => e.kind === 'turn.ended' && e.turnId === ids[i - 1])!.id
          const start = log.find((e) => e.kind === 'turn.started' && e.turnId === ids[i])!.id
          expect(start).toBeGreaterThan(prevEnd)
        }
        const statuses = Object.fromEntries(db.turns().map((t) => [t.id, t.status]))
        for (const t of queued) expect(statuses[t.id]).toBe('completed')
        // The adopted first turn finished on its own while no daemon watched it.
        expect(['completed', 'interrupted']).toContain(statuses[running.id])
        const reply = log.find((e) => e.kind === 'text' && e.turnId === queued[2]!.id)!
          .text as string
        expect(reply).toContain('HISTORY: second\nHISTORY: third')
      } finally {
        db.close()
      }
    }
  )

  it(
    'at start-up, an idle session whose queue is not paused starts its next turn',
    { timeout: 60_000 },
    async () => {
      const first = await spawnDaemon({ dataDir: idleDataDir })
      daemons.push(first)
      const sessionId = (await createApi(first.url, TOKEN).post('/sessions', {})).body.id as string
      first.child.kill('SIGTERM')
      await withTimeout(first.exited, 15_000, 'the first daemon to exit')
      // The state a daemon leaves when a turn completes while it stops: ended, the next one queued,
      // nothing started (a stopping daemon starts nothing) and the queue not paused.
      const { db } = openDaemonDatabase(idleDataDir)
      const store = createStore(db)
      const turn = (id: string, prompt: string) =>
        store.beginTurn({
          sessionId,
          turnId: id,
          prompt,
          model: null,
          clientTurnId: null,
          queue: true,
        })
      turn('trn_0000000000000001', 'before the restart')
      turn('trn_0000000000000002', 'queued over the restart')
      store.append(sessionId, 'trn_0000000000000001', [
        { kind: 'turn.ended', status: 'completed', durationMs: 1, exitCode: 0, signal: null },
      ])
      expect(store.advanceQueue(sessionId, 'trn_0000000000000001', false)).toEqual({ kind: 'none' })
      store.close()

      const second = await spawnDaemon({ dataDir: idleDataDir })
      daemons.push(second)
      const api = createApi(second.url, TOKEN)
      await waitUntil(
        async () =>
          (await api.get(`/sessions/${sessionId}/turns`)).body.turns[1].status === 'completed',
        {
          timeoutMs: 30_000,
          label: 'the queued turn to run under the new daemon',
        }
      )
      expect((await api.get(`/sessions/${sessionId}`)).body).toMatchObject({
        status: 'idle',
        queuedTurns: 0,
        turnCount: 2,
      })
      second.child.kill('SIGTERM')
      await withTimeout(second.exited, 15_000, 'the second daemon to exit')
    }
  )
})
