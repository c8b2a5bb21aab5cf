import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import {
  attach,
  createSession,
  history,
  postTurn,
  runTurn,
  UNTIL_CANCELLED,
} from '../helpers/session.js'
import { openSse, turnEnded, type LogEvent } from '../helpers/sse.js'
import { waitUntil, withTimeout } from '../helpers/wait.js'

let d: TestDaemon
beforeAll(async () => {
  d = await startTestDaemon()
})
afterAll(async () => {
  await d?.stop()
})

const ids = (events: LogEvent[]) => events.map((e) => e.id)

/** No gap and no duplicate: exactly the log, in order. */
function expectExactlyTheLog(seen: LogEvent[], log: LogEvent[]) {
  expect(ids(seen)).toEqual(ids(log))
  expect(seen.map((e) => JSON.stringify(e))).toEqual(log.map((e) => JSON.stringify(e)))
}

describe('SSE attach', () => {
  it('answers with SSE headers, a retry line first, replay, caught-up, then the live tail', async () => {
    const s = await createSession(d)
    await runTurn(d, s.id, 'first')
    const firstBytes = await new Promise<{ headers: Record<string, unknown>; text: string }>(
      (resolve, reject) => {
        const req = request(
          `${d.url}/sessions/${s.id}/events`,
          { headers: { Authorization: `Bearer ${d.token}` } },
          (res) => {
            res.setEncoding('utf8')
            res.once('data', (text: string) => {
              resolve({ headers: res.headers, text })
              req.destroy()
            })
          }
        )
        req.on('error', reject)
        req.end()
      }
    )
    expect(firstBytes.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(firstBytes.headers['cache-control']).toBe('no-store')
    expect(firstBytes.headers['x-accel-buffering']).toBe('no')
    expect(firstBytes.headers['content-encoding']).toBeUndefined()
    expect(firstBytes.text).toMatch(/^retry: \d+\n\n/)

    const sse = await attach(d, s.id)
    await sse.waitFor((c) => c.frames.some((f) => f.event === 'caught-up'), 'caught-up')
    const log = await history(d, s.id)
    const caughtUp = sse.frames.find((f) => f.event === 'caught-up')!
    expect(JSON.parse(caughtUp.data)).toEqual({ lastEventId: log[log.length - 1]!.id })
    expectExactlyTheLog(sse.events, log)
    expect(sse.lastEventId).toBe(String(log[log.length - 1]!.id))

    const live = await postTurn(d, s.id, 'second')
    await sse.waitForEvent(turnEnded(live.id), 'live turn.ended')
    const caughtUpIndex = sse.frames.findIndex((f) => f.event === 'caught-up')
    expect(sse.frames.slice(caughtUpIndex + 1).some((f) => f.event === 'message')).toBe(true)
    expectExactlyTheLog(sse.events, await history(d, s.id))
    sse.close()
  })

  it(
    'a client that drops mid-turn and re-attaches with Last-Event-ID gets exactly the rest',
    { timeout: 120_000 },
    async () => {
      const s = await createSession(d)
      // 20 s of streaming: the client drops and re-attaches mid-turn, also on a loaded machine.
      const turn = await postTurn(d, s.id, 'stream [burst:3000] [burst-rate:150]')
      const first = await attach(d, s.id)
      await first.waitFor((c) => c.events.length >= 200, '200 events on the first connection')
      first.close()
      const cursor = first.lastEventId!
      const second = await attach(d, s.id, { lastEventId: cursor })
      await second.waitForEvent(turnEnded(turn.id), 'turn.ended on the second connection', 60_000)
      second.close()
      const union = [...first.events, ...second.events]
      expectExactlyTheLog(union, await history(d, s.id))
    }
  )

  it('accepts ?after= for a fresh EventSource, and Last-Event-ID wins over it', async () => {
    const s = await createSession(d)
    await runTurn(d, s.id, 'one')
    const log = await history(d, s.id)
    const mid = log[3]!.id
    const viaQuery = await attach(d, s.id, { after: mid })
    await viaQuery.waitFor((c) => c.frames.some((f) => f.event === 'caught-up'), 'caught-up')
    expectExactlyTheLog(
      viaQuery.events,
      log.filter((e) => e.id > mid)
    )
    viaQuery.close()
    const both = await openSse(`${d.url}/sessions/${s.id}/events?after=0`, {
      token: d.token,
      lastEventId: String(mid),
    })
    await both.waitFor((c) => c.frames.some((f) => f.event === 'caught-up'), 'caught-up')
    expect(both.events[0]!.id).toBe(log.find((e) => e.id > mid)!.id)
    both.close()
  })

  it('a cursor beyond the head gets event: reset with the head, then continues from there', async () => {
    const s = await createSession(d)
    await runTurn(d, s.id, 'one')
    const log = await history(d, s.id)
    const head = log[log.length - 1]!.id
    const sse = await attach(d, s.id, { lastEventId: String(head + 1000) })
    await sse.waitFor((c) => c.frames.some((f) => f.event === 'caught-up'), 'caught-up')
    expect(sse.frames[0]).toMatchObject({
      event: 'reset',
      data: JSON.stringify({ lastEventId: head }),
    })
    expect(sse.events).toHaveLength(0)
    const t = await postTurn(d, s.id, 'two')
    await sse.waitForEvent(turnEnded(t.id), 'live events after the reset')
    expect(sse.events[0]!.id).toBeGreaterThan(head)
    sse.close()
  })

  it('rejects bad cursors with 400 and unknown sessions with 404, before any stream', async () => {
    const s = await createSession(d)
    for (const bad of ['abc', '-1', '1.5', '1e3', '99999999999999999999', ' ', '0x10']) {
      const r = await d.api.call('GET', `/sessions/${s.id}/events`, undefined, {
        'Last-Event-ID': bad,
      })
      expect(r.status, `Last-Event-ID ${JSON.stringify(bad)}`).toBe(400)
      expect(r.body.error.code).toBe('invalid_request')
    }
    for (const bad of ['abc', '-5', '']) {
      const r = await d.api.get(`/sessions/${s.id}/events?after=${encodeURIComponent(bad)}`)
      expect(r.status, `after=${bad}`).toBe(400)
    }
    const missing = await d.api.get('/sessions/ses_0000000000000000/events')
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('session_not_found')
    expect((await d.api.get('/sessions/not-an-id/events')).status).toBe(400)
  })

  it('two clients attached at once see identical streams', async () => {
    const s = await createSession(d)
    const a = await attach(d, s.id)
    const b = await attach(d, s.id)
    const turn = await postTurn(d, s.id, 'both [burst:500] [tool:echo shared]')
    await a.waitForEvent(turnEnded(turn.id), 'a: turn.ended')
    await b.waitForEvent(turnEnded(turn.id), 'b: turn.ended')
    expect(a.frames).toEqual(b.frames)
    expectExactlyTheLog(a.events, await history(d, s.id))
    a.close()
    b.close()
  })

  it('attaching while events are being appended loses and repeats nothing', async () => {
    const s = await createSession(d)
    const turn = await postTurn(d, s.id, 'fast [burst:20000]')
    const clients = []
    for (let i = 0; i < 5; i++) clients.push(await attach(d, s.id))
    for (const c of clients) await c.waitForEvent(turnEnded(turn.id), 'turn.ended', 30_000)
    const log = await history(d, s.id)
    for (const c of clients) {
      expectExactlyTheLog(c.events, log)
      c.close()
    }
  })

  it('a reader that stops reading neither blocks others nor loses anything when it resumes', async () => {
    const s = await createSession(d)
    const slow = await attach(d, s.id)
    const fast = await attach(d, s.id)
    const rawSlow = slow as unknown as { close(): void }
    // Stop reading the slow socket: the daemon's writes fill it and it must stop writing.
    const socketPause = await pauseClient(d, s.id)
    const turn = await postTurn(d, s.id, 'flood [burst:30000]')
    await fast.waitForEvent(turnEnded(turn.id), 'the fast client to get turn.ended', 30_000)
    const log = await history(d, s.id)
    expectExactlyTheLog(fast.events, log)
    const received = await socketPause.resumeAndCollect(log[log.length - 1]!.id)
    expect(received).toEqual(ids(log))
    slow.close()
    fast.close()
    rawSlow.close()
  })

  it('cleans up a client at once when it disconnects', async () => {
    const s = await createSession(d)
    const before = d.daemon.stats().sseClients
    const clients = await Promise.all([attach(d, s.id), attach(d, s.id), attach(d, s.id)])
    await waitUntil(() => d.daemon.stats().sseClients === before + 3, {
      label: 'three clients registered',
    })
    for (const c of clients) c.close()
    await waitUntil(() => d.daemon.stats().sseClients === before, { label: 'clients cleaned up' })
  })

  it('pages the history for scripts', async () => {
    const s = await createSession(d)
    await runTurn(d, s.id, 'one [burst:50]')
    const all = await history(d, s.id)
    const page = await d.api.get(`/sessions/${s.id}/history?after=0&limit=10`)
    expect(page.body.events).toHaveLength(10)
    expect(page.body.hasMore).toBe(true)
    expect(page.body.lastEventId).toBe(all[9]!.id)
    const rest = await d.api.get(`/sessions/${s.id}/history?after=${all[9]!.id}&limit=1000`)
    expect(rest.body.hasMore).toBe(false)
    expect([...page.body.events, ...rest.body.events]).toEqual(all)
    for (const q of ['limit=0', 'limit=1001', 'limit=x', 'after=-1', 'after=1.5']) {
      expect((await d.api.get(`/sessions/${s.id}/history?${q}`)).status, q).toBe(400)
    }
  })
})

describe('the session list stream (GET /events)', () => {
  it('starts with the list, then caught-up, then updates and deletions', async () => {
    const existing = await createSession(d, { title: 'listed' })
    const feed = await openSse(`${d.url}/events`, { token: d.token })
    await feed.waitFor((c) => c.frames.some((f) => f.event === 'caught-up'), 'caught-up')
    const initial = feed.frames.filter((f) => f.event === 'message').map((f) => JSON.parse(f.data))
    expect(initial.every((m) => m.kind === 'session.updated')).toBe(true)
    expect(initial.map((m) => m.session.id)).toContain(existing.id)

    const s = await createSession(d, { title: 'watched' })
    const updates = () =>
      feed.frames.filter((f) => f.event === 'message').map((f) => JSON.parse(f.data))
    await feed.waitFor(
      () => updates().some((m) => m.session?.id === s.id),
      'session.updated for the new session'
    )
    const turn = await postTurn(d, s.id, 'slow [slow:1500]')
    await feed.waitFor(
      () => updates().some((m) => m.session?.id === s.id && m.session.status === 'running'),
      'running'
    )
    await feed.waitFor(
      () =>
        updates().some(
          (m) => m.session?.id === s.id && m.session.status === 'idle' && m.session.turnCount === 1
        ),
      'idle again',
      20_000
    )
    const last = updates()
      .filter((m) => m.session?.id === s.id)
      .pop()
    expect(last.session.activeTurnId).toBeNull()
    expect(last.session.costUsd).toBeGreaterThan(0)
    void turn
    expect((await d.api.del(`/sessions/${s.id}`)).status).toBe(204)
    await feed.waitFor(
      () => updates().some((m) => m.kind === 'session.deleted' && m.id === s.id),
      'session.deleted'
    )
    feed.close()
  })

  it('DELETE cancels a running turn, ends attached streams, and the session is gone', async () => {
    const s = await createSession(d)
    const turn = await postTurn(d, s.id, `slow ${UNTIL_CANCELLED}`)
    const sse = await attach(d, s.id)
    await sse.waitForEvent((e) => e.kind === 'text.delta', 'a delta')
    const del = await d.api.del(`/sessions/${s.id}`)
    expect(del.status).toBe(204)
    await sse.waitFor((c) => c.closed, 'the stream to end')
    const ended = sse.events.find(turnEnded(turn.id))
    expect(ended?.status).toBe('cancelled')
    expect((await d.api.get(`/sessions/${s.id}`)).status).toBe(404)
    expect((await d.api.get(`/sessions/${s.id}/history`)).status).toBe(404)
  })
})

/** A raw SSE connection whose socket we stop reading, then resume and collect event ids from. */
async function pauseClient(daemon: TestDaemon, sessionId: string) {
  const chunks: string[] = []
  const res = await withTimeout(
    new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const req = request(
        `${daemon.url}/sessions/${sessionId}/events`,
        { headers: { Authorization: `Bearer ${daemon.token}` } },
        resolve
      )
      req.on('error', reject)
      req.end()
    }),
    5000,
    'paused client response'
  )
  res.pause()
  return {
    async resumeAndCollect(lastId: number): Promise<number[]> {
      res.setEncoding('utf8')
      await withTimeout(
        new Promise<void>((resolve) => {
          res.on('data', (c: string) => {
            chunks.push(c)
            if (chunks.join('').includes(`id: ${lastId}\n`)) resolve()
          })
          res.resume()
        }),
        30_000,
        'the paused client to catch up'
      )
      res.destroy()
      return [...chunks.join('').matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))
    },
  }
}
