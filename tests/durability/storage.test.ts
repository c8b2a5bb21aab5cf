import { execFileSync } from 'node:child_process'
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it, type TestContext } from 'vitest'
import { createApi } from '../helpers/api.js'
import { startTestDaemon } from '../helpers/daemon.js'
import { inspectDb } from '../helpers/inspect-db.js'
import { TEST_BACKEND } from '../helpers/test-database.js'
import { PROCESS_TOKEN, spawnDaemon } from '../helpers/process-daemon.js'
import {
  attach,
  createSession,
  history,
  postTurn,
  runTurn,
  UNTIL_CANCELLED,
} from '../helpers/session.js'
import { openSse, turnEnded } from '../helpers/sse.js'
import { waitUntil, withTimeout } from '../helpers/wait.js'

// The process daemon runs with this token (AGENTMUX_TOKEN, at least 32 characters).
const TOKEN = PROCESS_TOKEN

// SQLite's own files: PostgreSQL keeps its log and its disk-full handling to itself.
describe.skipIf(TEST_BACKEND === 'postgres')('crash safety of the SQLite log', () => {
  it('a torn WAL tail (garbage after a kill -9) opens cleanly with the committed prefix', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'agentmux-torn-'))
    const p = await spawnDaemon({ dataDir })
    const api = createApi(p.url, TOKEN)
    const s = (await api.post('/sessions')).body
    const turn = (await api.post(`/sessions/${s.id}/turns`, { prompt: 'fill [burst:800]' })).body
      .turn
    const sse = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
    await sse.waitForEvent(turnEnded(turn.id), 'turn.ended')
    sse.close()
    p.child.kill('SIGKILL')
    await withTimeout(p.exited, 10_000, 'kill')
    const wal = join(dataDir, 'agentmux.db-wal')
    expect(existsSync(wal) && statSync(wal).size > 0).toBe(true)
    // A write that was cut off: random bytes after the last good frame.
    appendFileSync(wal, randomBytes(12_345))
    const again = await spawnDaemon({ dataDir })
    const api2 = createApi(again.url, TOKEN)
    expect((await api2.get('/healthz')).status).toBe(200)
    const log = (await api2.get(`/sessions/${s.id}/history?limit=1000`)).body.events
    expect(log.map((e: { id: number }) => e.id)).toEqual(sse.events.map((e) => e.id))
    const next = (await api2.post(`/sessions/${s.id}/turns`, { prompt: 'after the tear' })).body
      .turn
    const sse2 = await openSse(`${again.url}/sessions/${s.id}/events`, {
      token: TOKEN,
      lastEventId: String(log.at(-1).id),
    })
    expect((await sse2.waitForEvent(turnEnded(next.id), 'the next turn')).status).toBe('completed')
    sse2.close()
    again.child.kill('SIGTERM')
    await withTimeout(again.exited, 15_000, 'exit')
    const db = inspectDb(dataDir)
    expect(db.integrity()).toBe('ok')
    db.close()
  })
})

describe.skipIf(TEST_BACKEND === 'postgres')('disk full (SQLite)', () => {
  it('at the database size cap: the turn fails with a clear error, reads go on, writes get 507, and it recovers', async () => {
    const d = await startTestDaemon({ config: { dbMaxMb: 2 } })
    try {
      const filler = await createSession(d)
      // Fill most of the cap with a session we can delete later to free pages.
      const f = await runTurn(d, filler.id, 'filler [burst:6000]')
      expect(f.ended.status).toBe('completed')
      const s = await createSession(d)
      const turn = await postTurn(d, s.id, 'too much [burst:40000]')
      // Reads keep working while the disk is full.
      // A rolled-back batch frees its pages, so a small write may still fit now and then: take the
      // first refusal itself rather than assume the next request meets the same full page count.
      const refused = await waitUntil(
        async () => {
          const r = await d.api.post('/sessions')
          return r.status === 507 ? r : null
        },
        { timeoutMs: 60_000, label: 'writes to be refused with 507' }
      )
      expect(refused.body.error.code).toBe('storage_full')
      expect((await d.api.get(`/sessions/${filler.id}/history?limit=5`)).status).toBe(200)
      const before = await history(d, filler.id)
      expect(before.length).toBe(f.events.length)
      // Free space; the end of the stopped turn is recorded on its own.
      expect((await d.api.del(`/sessions/${filler.id}`)).status).toBe(204)
      const sse = await attach(d, s.id)
      const ended = await sse.waitForEvent(
        turnEnded(turn.id),
        'the end of the turn once there is room',
        30_000
      )
      sse.close()
      expect(ended.status).toBe('failed')
      const error = sse.events.filter((e) => e.turnId === turn.id && e.kind === 'error').pop()!
      expect(error.message).toContain('could not be saved')
      expect(sse.events.filter(turnEnded(turn.id))).toHaveLength(1)
      const next = await runTurn(d, s.id, 'small again')
      expect(next.ended.status).toBe('completed')
    } finally {
      await d.stop()
    }
  })

  it('on a full file system (tmpfs): the daemon keeps serving reads and nothing committed is damaged', async (ctx) => {
    const fs = tmpfsDataDir(
      ctx,
      'DISK-FULL TMPFS TEST (the size-cap test above covers SQLITE_FULL)'
    )
    if (!fs) return
    const { mnt, dataDir } = fs
    const p = await spawnDaemon({ dataDir })
    try {
      const api = createApi(p.url, TOKEN)
      const keep = (await api.post('/sessions')).body
      const kept = (await api.post(`/sessions/${keep.id}/turns`, { prompt: 'before [burst:300]' }))
        .body.turn
      const sse = await openSse(`${p.url}/sessions/${keep.id}/events`, { token: TOKEN })
      await sse.waitForEvent(turnEnded(kept.id), 'the first turn')
      sse.close()
      const s = (await api.post('/sessions')).body
      // 20 s of streaming: the file system fills while the turn still streams, also on a loaded machine.
      const big = (
        await api.post(`/sessions/${s.id}/turns`, { prompt: 'big [burst:40000] [burst-rate:2000]' })
      ).body.turn
      const live = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
      await live.waitFor(
        (c) => c.events.filter((e) => e.kind === 'text.delta').length > 100,
        'the turn to be streaming'
      )
      // Fill the file system while the turn streams into it.
      const filler = fill(mnt)
      // Writes are refused cleanly; reads still work, and what was committed is intact.
      await waitUntil(async () => (await api.post('/sessions')).status === 507, {
        timeoutMs: 15_000,
        label: 'writes to be refused',
      })
      expect((await api.get('/sessions')).status).toBe(200)
      const log = (await api.get(`/sessions/${keep.id}/history?limit=1000`)).body.events
      expect(log.map((e: { id: number }) => e.id)).toEqual(sse.events.map((e) => e.id))
      rmSync(filler)
      const ended = await live.waitForEvent(
        turnEnded(big.id),
        'the big turn to end once there is room',
        30_000
      )
      live.close()
      expect(ended.status).toBe('failed')
      const events = (
        await api.get(`/sessions/${s.id}/history?limit=1000&after=${live.events.at(-40)?.id ?? 0}`)
      ).body.events
      expect(events.filter(turnEnded(big.id))).toHaveLength(1)
      console.log(
        `tmpfs disk full mid-turn: ${live.events
          .filter((e) => e.kind === 'error')
          .map((e) => e.message)
          .join(' | ')}`
      )
      // With room again, everything works.
      expect((await api.post('/sessions')).status).toBe(201)
    } finally {
      p.child.kill('SIGTERM')
      await withTimeout(p.exited, 15_000, 'exit')
      const db = inspectDb(dataDir)
      expect(db.integrity()).toBe('ok')
      db.close()
      unmount(mnt)
    }
  })
})

// The spool is in the data dir on either backend.
describe('a full disk under the spool', () => {
  it('stops a turn whose claude is silent (nothing of the daemon fails), and ends it once there is room', async (ctx) => {
    const fs = tmpfsDataDir(ctx, 'DISK-FULL SPOOL TEST')
    if (!fs) return
    const { mnt, dataDir } = fs
    const p = await spawnDaemon({ dataDir })
    try {
      const api = createApi(p.url, TOKEN)
      const s = (await api.post('/sessions')).body
      // claude goes on when a spool write fails: a lost line is as silent as this.
      const turn = (await api.post(`/sessions/${s.id}/turns`, { prompt: 'quiet [hang]' })).body.turn
      const live = await openSse(`${p.url}/sessions/${s.id}/events`, { token: TOKEN })
      await live.waitFor((c) => c.events.some((e) => e.kind === 'agent.init'), 'claude to start')
      const filler = fill(mnt)
      await waitUntil(() => p.stderr().includes('the disk is full: running turns are stopped'), {
        timeoutMs: 15_000,
        label: 'the daemon to stop the turn for want of space',
      })
      rmSync(filler)
      const ended = await live.waitForEvent(turnEnded(turn.id), 'the end of the turn', 30_000)
      live.close()
      expect(ended.status).toBe('failed')
      const errors = live.events.filter((e) => e.turnId === turn.id && e.kind === 'error')
      expect(errors.map((e) => e.message)).toEqual([
        "claude's output could not be saved (the disk is full); the turn was stopped",
      ])
      const next = (await api.post(`/sessions/${s.id}/turns`, { prompt: 'room again' })).body.turn
      const after = await openSse(`${p.url}/sessions/${s.id}/events`, {
        token: TOKEN,
        lastEventId: String(ended.id),
      })
      expect((await after.waitForEvent(turnEnded(next.id), 'the next turn')).status).toBe(
        'completed'
      )
      after.close()
    } finally {
      p.child.kill('SIGTERM')
      await withTimeout(p.exited, 15_000, 'exit')
      unmount(mnt)
    }
  })
})

/**
 * A data dir on a 6 MB tmpfs to fill; where mounting is not allowed (not root) the test is skipped
 * and says so.
 */
function tmpfsDataDir(ctx: TestContext, what: string): { mnt: string; dataDir: string } | null {
  const mnt = mkdtempSync(join(tmpdir(), 'agentmux-tmpfs-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6m', 'tmpfs', mnt], { stdio: 'ignore' })
  } catch {
    rmSync(mnt, { recursive: true, force: true })
    console.warn(`${what} NOT RUN: cannot mount a tmpfs here (needs root)`)
    ctx.skip()
    return null
  }
  const dataDir = join(mnt, 'data')
  mkdirSync(dataDir)
  return { mnt, dataDir }
}

/** Fills the file system with one file, which it returns for the test to remove. */
function fill(mnt: string): string {
  const filler = join(mnt, 'filler')
  try {
    execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' })
  } catch {
    // dd stops with ENOSPC: the file system is full
  }
  return filler
}

function unmount(mnt: string): void {
  execFileSync('umount', ['-l', mnt], { stdio: 'ignore' })
  rmSync(mnt, { recursive: true, force: true })
}

describe('retention', () => {
  it('keeps at most N sessions (least recently active go first) and never a running one', async () => {
    const d = await startTestDaemon({ config: { retentionSessions: 2 } })
    try {
      const a = await createSession(d, { title: 'a' })
      const b = await createSession(d, { title: 'b' })
      const c = await createSession(d, { title: 'c' })
      await runTurn(d, a.id, 'touch a')
      const busy = await postTurn(d, b.id, `slow ${UNTIL_CANCELLED}`)
      const feed = await openSse(`${d.url}/events`, { token: d.token })
      await feed.waitFor((x) => x.frames.some((f) => f.event === 'caught-up'), 'caught-up')
      const r = await d.daemon.runRetention()
      expect(r.sessions).toBe(1)
      const ids = (await d.api.get('/sessions')).body.sessions
        .map((s: { id: string }) => s.id)
        .sort()
      expect(ids).toEqual([a.id, b.id].sort())
      await feed.waitFor(
        (x) => x.frames.some((f) => f.data.includes('session.deleted') && f.data.includes(c.id)),
        'session.deleted for c'
      )
      feed.close()
      await d.api.post(`/sessions/${b.id}/cancel`)
      void busy
    } finally {
      await d.stop()
    }
  })

  it('prunes old turns from a kept session; a cursor in the pruned range gets event: reset', async () => {
    const d = await startTestDaemon({ config: { retentionDays: 1 / 86_400 } })
    try {
      const s = await createSession(d)
      const old = await runTurn(d, s.id, 'old turn')
      // Age-based retention needs time to pass: the cutoff is one second.
      await waitUntil(() => Date.now() - Date.parse(old.ended.ts) > 1500, {
        timeoutMs: 5000,
        label: 'the first turn to age',
      })
      const fresh = await runTurn(d, s.id, 'fresh turn')
      const r = await d.daemon.runRetention()
      expect(r.events).toBe(old.events.length)
      const kept = await history(d, s.id)
      expect(kept.map((e) => e.id)).toEqual(fresh.events.map((e) => e.id))
      const prunedThrough = old.events.at(-1)!.id
      const stale = await attach(d, s.id, { lastEventId: String(old.events[2]!.id) })
      await stale.waitFor((x) => x.frames.some((f) => f.event === 'caught-up'), 'caught-up')
      expect(stale.frames[0]).toMatchObject({
        event: 'reset',
        data: JSON.stringify({ lastEventId: prunedThrough }),
      })
      expect(stale.events.map((e) => e.id)).toEqual(kept.map((e) => e.id))
      stale.close()
      const fromStart = await attach(d, s.id)
      await fromStart.waitFor((x) => x.frames.some((f) => f.event === 'caught-up'), 'caught-up')
      expect(fromStart.frames.some((f) => f.event === 'reset')).toBe(false)
      fromStart.close()
      expect((await d.api.get(`/sessions/${s.id}/turns`)).body.turns).toHaveLength(2)
    } finally {
      await d.stop()
    }
  })
})
