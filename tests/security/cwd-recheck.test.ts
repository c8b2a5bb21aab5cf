import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { attach, createSession, history, postTurn } from '../helpers/session.js'
import { turnEnded } from '../helpers/sse.js'

let d: TestDaemon
let outside: string
beforeAll(async () => {
  d = await startTestDaemon()
  outside = mkdtempSync(join(tmpdir(), 'agentmux-outside-'))
})
afterAll(async () => {
  await d?.stop()
  if (outside) rmSync(outside, { recursive: true, force: true })
})

describe('the session directory is checked again at every turn start', () => {
  it(
    'fails a turn whose directory was swapped for a symlink out of the roots; claude never runs there',
    { timeout: 120_000 },
    async () => {
      const proj = join(d.dataDir, 'proj')
      mkdirSync(proj)
      const s = await createSession(d, { cwd: proj })
      // 20 s: the others queue and the directory is swapped while it runs, also on a loaded machine.
      const a = await postTurn(d, s.id, 'first [slow:20000]')
      const b = await postTurn(d, s.id, 'second: must not run outside')
      const c = await postTurn(d, s.id, 'third')
      expect([a.status, b.status, c.status]).toEqual(['running', 'queued', 'queued'])
      // While the first turn runs, the directory becomes a symlink to a place outside the roots.
      renameSync(proj, join(d.dataDir, 'proj-moved'))
      symlinkSync(outside, proj)

      const sse = await attach(d, s.id, { after: 0 })
      const paused = await sse.waitForEvent(
        (e) => e.kind === 'queue.paused',
        'the queue to pause after the refused turn',
        60_000
      )
      expect(paused).toMatchObject({ reason: 'failed', turnId: b.id })
      expect(sse.events.find(turnEnded(a.id))).toMatchObject({ status: 'completed' })
      expect(sse.events.find(turnEnded(b.id))).toMatchObject({ status: 'failed', exitCode: null })
      const bEvents = sse.events.filter((e) => e.turnId === b.id)
      expect(bEvents.map((e) => e.kind)).toEqual([
        'turn.queued',
        'turn.started',
        'error',
        'turn.ended',
        'queue.paused',
      ])
      expect(bEvents[2]).toMatchObject({ source: 'daemon' })
      expect(bEvents[2]!.message).toContain('outside the allowed roots')
      // No claude ran for it, and nothing was written where the symlink points.
      expect(readdirSync(outside)).toEqual([])
      expect((await d.api.get(`/sessions/${s.id}`)).body).toMatchObject({
        status: 'idle',
        queuedTurns: 1,
        queuePaused: true,
      })

      // A direct prompt is refused the same way (the turn fails; it is not run elsewhere).
      const direct = await postTurn(d, s.id, 'direct')
      expect(direct.status).toBe('running')
      await sse.waitForEvent(turnEnded(direct.id), 'the direct turn to fail')
      expect(sse.events.find(turnEnded(direct.id))).toMatchObject({ status: 'failed' })

      // Put the directory back: the queue resumes and runs there.
      unlinkSync(proj)
      renameSync(join(d.dataDir, 'proj-moved'), proj)
      expect((await d.api.post(`/sessions/${s.id}/queue/resume`)).body.resumed).toBe(true)
      await sse.waitForEvent(turnEnded(c.id), 'the last queued turn to end')
      sse.close()
      const log = await history(d, s.id)
      expect(log.find(turnEnded(c.id))).toMatchObject({ status: 'completed' })
      expect(log.find((e) => e.kind === 'agent.init' && e.turnId === c.id)).toMatchObject({
        cwd: proj,
      })
      for (const id of [b.id, direct.id])
        expect(log.some((e) => e.kind === 'agent.init' && e.turnId === id)).toBe(false)
    }
  )

  it('a default workspace removed from under a session fails its turn with a clear error', async () => {
    const s = await createSession(d)
    rmSync(s.cwd, { recursive: true, force: true })
    const t = await postTurn(d, s.id, 'hello')
    const sse = await attach(d, s.id, { after: 0 })
    await sse.waitForEvent(turnEnded(t.id), 'the turn to end')
    sse.close()
    expect(sse.events.find((e) => e.kind === 'error' && e.turnId === t.id)!.message).toContain(
      'no longer exists'
    )
    expect(sse.events.find(turnEnded(t.id))).toMatchObject({ status: 'failed' })
  })
})
