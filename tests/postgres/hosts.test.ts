import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApi, type Api } from '../helpers/api.js'
import { PROCESS_TOKEN, spawnDaemon, type DaemonProcess } from '../helpers/process-daemon.js'
import { processesWith, realClaudeDaemonEnv } from '../helpers/real-claude.js'
import { openSse, turnEnded, type LogEvent, type SseClient } from '../helpers/sse.js'
import { TEST_BACKEND, testDatabaseUrl } from '../helpers/test-database.js'
import { waitUntil, withTimeout } from '../helpers/wait.js'
import { startMockAnthropic, type MockAnthropic } from '../mock-anthropic/server.js'

/**
 * Issue 14: three daemons (host ids a, b and c) on one PostgreSQL database, each a real process
 * running the real claude against the mock Messages API. A turn on a's session is started
 * through c, followed through b, approved through c; a is killed -9 mid-turn and restarted; the
 * log is the same through all three, and b's client saw exactly it.
 */
const HOSTS = ['a', 'b', 'c'] as const
type HostId = (typeof HOSTS)[number]

let mock: MockAnthropic
let dbDir: string
let databaseUrl: string
const daemons = new Map<HostId, DaemonProcess>()
const dataDirs = new Map<HostId, string>()
const api = (h: HostId): Api => createApi(daemons.get(h)!.url, PROCESS_TOKEN)

function start(h: HostId): Promise<DaemonProcess> {
  return spawnDaemon({
    dataDir: dataDirs.get(h)!,
    env: {
      AGENTMUX_DATABASE_URL: databaseUrl,
      AGENTMUX_HOST_ID: h,
      AGENTMUX_HEARTBEAT_MS: '300',
      AGENTMUX_COMMAND_TIMEOUT_MS: '5000',
      ...realClaudeDaemonEnv(mock.url),
    },
  }).then((p) => {
    daemons.set(h, p)
    return p
  })
}

beforeAll(async () => {
  if (TEST_BACKEND !== 'postgres') return
  mock = await startMockAnthropic()
  dbDir = mkdtempSync(join(tmpdir(), 'agentmux-hosts-'))
  databaseUrl = testDatabaseUrl(dbDir)!
  for (const h of HOSTS) dataDirs.set(h, mkdtempSync(join(tmpdir(), `agentmux-host-${h}-`)))
  // One at a time: the first migrates, the others find the schema done.
  for (const h of HOSTS) await start(h)
})
afterAll(async () => {
  if (process.env.DEBUG_HOSTS)
    for (const [h, p] of daemons) console.log(`--- ${h} ---\n${p.stdout()}\n${p.stderr()}`)
  for (const p of daemons.values()) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM')
    await withTimeout(p.exited, 20_000, 'a daemon to stop').catch(() => p.child.kill('SIGKILL'))
  }
  await mock?.close()
  for (const d of [dbDir, ...dataDirs.values()]) if (d) rmSync(d, { recursive: true, force: true })
})

/** The session's whole log through one daemon, as ids and kinds. */
async function history(h: HostId, sessionId: string): Promise<string[]> {
  const r = await api(h).get(`/sessions/${sessionId}/history?limit=1000`)
  expect(r.status).toBe(200)
  return (r.body.events as LogEvent[]).map((e) => `${e.id} ${e.kind}`)
}

const idsOf = (events: LogEvent[]) => events.map((e) => `${e.id} ${e.kind}`)

describe.skipIf(TEST_BACKEND !== 'postgres')(
  'three hosts on one PostgreSQL',
  { timeout: 240_000 },
  () => {
    it('lists every host and every session, each with its host', async () => {
      const made = new Map<HostId, string>()
      for (const h of HOSTS) {
        const r = await api(h).post('/sessions', { title: `on ${h}` })
        expect(r.status).toBe(201)
        expect(r.body.host).toBe(h)
        made.set(h, r.body.id as string)
      }
      await waitUntil(
        async () => {
          const hosts = (await api('b').get('/hosts')).body.hosts as {
            id: string
            alive: boolean
          }[]
          return hosts.filter((x) => x.alive).length === 3
        },
        { timeoutMs: 10_000, label: 'b to see three live hosts' }
      )
      for (const h of HOSTS) {
        const sessions = (await api(h).get('/sessions')).body.sessions as {
          id: string
          host: string
          hostOnline: boolean
        }[]
        for (const [owner, id] of made)
          expect(sessions.find((s) => s.id === id)).toMatchObject({ host: owner, hostOnline: true })
      }
    })

    it('a turn on a, started through c, followed through b, approved through c, survives kill -9 of a', async () => {
      // A session on a, created through c: a checks the cwd on its own file system.
      const created = await api('c').post('/sessions', { host: 'a', title: 'remote' })
      expect(created.status).toBe(201)
      expect(created.headers.get('x-agentmux-host')).toBe('a')
      const s = created.body as { id: string; cwd: string; host: string; claudeSessionId: string }
      expect(s.host).toBe('a')
      expect(s.cwd.startsWith(daemons.get('a')!.workspacesDir)).toBe(true)

      // 20 s for each of its two rounds: a is killed while the reply still streams, also on a
      // loaded machine (a turn over before the kill would pass without testing the adoption).
      const posted = await api('c').post(`/sessions/${s.id}/turns`, {
        prompt: 'go [tool:bash touch approved.txt] [slow:20000]',
      })
      expect(posted.status).toBe(202)
      const turnId = posted.body.turn.id as string
      // The same answers as locally: a second turn that may not queue is refused by a, through c.
      const refused = await api('c').post(`/sessions/${s.id}/turns`, { prompt: 'no', queue: false })
      expect(refused.status).toBe(409)

      const b: SseClient = await openSse(`${daemons.get('b')!.url}/sessions/${s.id}/events`, {
        token: PROCESS_TOKEN,
      })
      const requested = (await b.waitForEvent(
        (e) => e.kind === 'permission.requested',
        'the approval request, through b',
        90_000
      )) as LogEvent & { requestId: string }
      const approved = await api('c').post(`/sessions/${s.id}/permissions/${requested.requestId}`, {
        decision: 'allow',
      })
      expect(approved.status).toBe(200)
      await b.waitFor(
        (c) => c.events.filter((e) => e.kind === 'text.delta').length >= 3,
        'the reply to stream, through b',
        60_000
      )

      // kill -9 of a mid-turn: its claude goes on; b's stream pauses; a is offline to the others.
      const a = daemons.get('a')!
      a.child.kill('SIGKILL')
      await withTimeout(a.exited, 10_000, 'a to die')
      await waitUntil(
        async () => {
          const r = await api('c').get(`/sessions/${s.id}`)
          return r.body.hostOnline === false
        },
        { timeoutMs: 10_000, label: "c to show a's session offline" }
      )
      const offline = await api('c').post(`/sessions/${s.id}/cancel`, {})
      expect(offline.status).toBe(503)
      expect(offline.body.error.code).toBe('host_offline')

      await start('a')
      const end = await b.waitForEvent(turnEnded(turnId), 'the turn to end, through b', 90_000)
      expect(end).toMatchObject({ status: 'completed' })
      expect(existsSync(join(s.cwd, 'approved.txt'))).toBe(true)

      // The log is the same through every daemon, and b's client got exactly it.
      const log = await history('a', s.id)
      expect(await history('b', s.id)).toEqual(log)
      expect(await history('c', s.id)).toEqual(log)
      expect(idsOf(b.events)).toEqual(log)
      b.close()
      // The restarted a ended the claude it adopted once the turn was over.
      await waitUntil(() => processesWith(s.claudeSessionId).length === 0, {
        timeoutMs: 15_000,
        label: 'the adopted claude to exit',
      })
    })

    it('a live host that does not take a write: 504 after the timeout, and the command never runs', async () => {
      // A host whose heartbeat is fresh but whose daemon claims nothing (it hangs, say).
      const db = new pg.Client({ connectionString: databaseUrl })
      await db.connect()
      try {
        const now = new Date().toISOString()
        await db.query(
          `INSERT INTO hosts (id, url, started_at, last_seen) VALUES ('stuck', 'http://x', $1, $1)`,
          [now]
        )
        await db.query(
          `INSERT INTO sessions (id, title, cwd, claude_session_id, created_at, updated_at, host)
         VALUES ('ses_stuck', 'stuck', '/tmp', 'x', $1, $1, 'stuck')`,
          [now]
        )
        const beat = setInterval(() => {
          void db.query(`UPDATE hosts SET last_seen = $1 WHERE id = 'stuck'`, [
            new Date().toISOString(),
          ])
        }, 200)
        try {
          const r = await api('b').post('/sessions/ses_stuck/turns', { prompt: 'never' })
          expect(r.status).toBe(504)
          expect(r.body).toMatchObject({
            error: { code: 'host_timeout' },
            host: 'stuck',
            withdrawn: true,
          })
        } finally {
          clearInterval(beat)
        }
        const rows = await db.query(`SELECT status FROM commands WHERE host = 'stuck'`)
        expect(rows.rows).toEqual([{ status: 'expired' }])
        expect(
          (await db.query(`SELECT count(*)::int AS n FROM turns WHERE session_id = 'ses_stuck'`))
            .rows
        ).toEqual([{ n: 0 }])
      } finally {
        await db.end()
      }
      // A host that never ran is not waited for.
      const unknown = await api('b').post('/sessions', { host: 'nowhere' })
      expect(unknown.status).toBe(404)
      expect(unknown.body.error.code).toBe('unknown_host')
    })

    it('kill -9 of the daemon a client follows through: it resumes on another with exactly the rest', async () => {
      const s = (await api('a').post('/sessions', { title: 'resume elsewhere' })).body as {
        id: string
        claudeSessionId: string
      }
      // 20 s: b dies before the turn ends, also on a loaded machine, so c has the rest to send.
      const turnId = (
        await api('a').post(`/sessions/${s.id}/turns`, { prompt: 'stream [slow:20000]' })
      ).body.turn.id as string
      const first = await openSse(`${daemons.get('b')!.url}/sessions/${s.id}/events`, {
        token: PROCESS_TOKEN,
      })
      await first.waitFor(
        (c) => c.events.filter((e) => e.kind === 'text.delta').length >= 3,
        'some deltas through b'
      )
      const b = daemons.get('b')!
      b.child.kill('SIGKILL')
      await withTimeout(b.exited, 10_000, 'b to die')
      await first.waitFor((c) => c.closed, 'the stream through b to break')
      const seen = [...first.events]
      const rest = await openSse(`${daemons.get('c')!.url}/sessions/${s.id}/events`, {
        token: PROCESS_TOKEN,
        lastEventId: String(seen[seen.length - 1]!.id),
      })
      await rest.waitForEvent(turnEnded(turnId), 'the turn to end, through c', 60_000)
      rest.close()
      expect(idsOf([...seen, ...rest.events])).toEqual(await history('c', s.id))
      await waitUntil(() => processesWith(s.claudeSessionId).length === 0, {
        timeoutMs: 15_000,
        label: 'claude to exit',
      })
      await start('b')
    })
  }
)
