import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createApi } from '../helpers/api.js'
import { inspectDb } from '../helpers/inspect-db.js'
import { PROCESS_TOKEN, spawnDaemon, type DaemonProcess } from '../helpers/process-daemon.js'
import { openSse, type LogEvent, type SseClient } from '../helpers/sse.js'
import { waitUntil, withTimeout } from '../helpers/wait.js'

// The process daemon runs with this token (AGENTMUX_TOKEN, at least 32 characters).
const TOKEN = PROCESS_TOKEN
/** 20 in `npm test`; `npm run test:kill9` runs 200. */
const CYCLES = Number(process.env.KILL9_CYCLES ?? 20)
const SESSIONS = 2

async function kill9(p: DaemonProcess): Promise<void> {
  p.child.kill('SIGKILL')
  await withTimeout(p.exited, 10_000, 'the killed daemon to exit')
}

describe('kill -9 of the daemon at random moments', () => {
  it(
    `loses nothing acknowledged over ${CYCLES} cycles, and every turn ends exactly once`,
    // A cycle took ~1.5 s here beside another suite (a cold start, two turns, the kill). The budget
    // is a deadline for a stuck run, not a speed check: a loaded CI machine once took 164 s for 20.
    { timeout: 60_000 + CYCLES * 10_000 },
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'agentmux-kill9-'))
      const received = new Map<string, LogEvent[]>()
      const sessionIds: string[] = []
      let turnsStarted = 0

      for (let cycle = 0; cycle <= CYCLES; cycle++) {
        const p = await spawnDaemon({ dataDir })
        const api = createApi(p.url, TOKEN)
        if (cycle === 0) {
          for (let i = 0; i < SESSIONS; i++)
            sessionIds.push((await api.post('/sessions', { title: `kill9-${i}` })).body.id)
        }
        const clients: SseClient[] = []
        for (const id of sessionIds) {
          const seen = received.get(id) ?? []
          received.set(id, seen)
          const last = seen[seen.length - 1]
          const c = await openSse(`${p.url}/sessions/${id}/events`, {
            token: TOKEN,
            ...(last ? { lastEventId: String(last.id) } : {}),
          })
          clients.push(c)
        }
        const last = cycle === CYCLES
        if (!last) {
          // Keep the sessions busy: a new turn wherever the previous one has ended (no queue here:
          // tests/durability/queue-kill9.test.ts kills the daemon with turns queued).
          for (const id of sessionIds) {
            const r = await api.post(`/sessions/${id}/turns`, {
              prompt: `cycle ${cycle} [burst:1500] [burst-rate:3000]`,
              clientTurnId: `c${cycle}-${id}`,
              queue: false,
            })
            if (r.status === 202) turnsStarted++
            else expect(r.status).toBe(409)
          }
          // The kill lands at a random moment: mid-spawn, mid-burst, mid-commit, between turns.
          await new Promise((r) => setTimeout(r, 30 + Math.random() * 700))
          await kill9(p)
        } else {
          // The last daemon lives: every adopted turn must end, and its clients must see it.
          const running = async () =>
            (
              await Promise.all(
                sessionIds.map(async (id) => (await api.get(`/sessions/${id}/turns`)).body.turns)
              )
            )
              .flat()
              .filter((t: { status: string }) => t.status === 'running')
          await waitUntil(async () => (await running()).length === 0, {
            timeoutMs: 30_000,
            intervalMs: 100,
            label: 'every turn to end under the last daemon',
          }).catch(async (err: Error) => {
            // What the next look at a rare failure needs: the stuck turns and the daemon's log.
            const stuck = JSON.stringify(await running())
            throw new Error(
              `${err.message}\nstill running: ${stuck}\n--- daemon log ---\n${p.stdout().slice(-4000)}${p.stderr().slice(-4000)}`,
              { cause: err }
            )
          })
          for (const [i, id] of sessionIds.entries()) {
            const head = (await api.get(`/sessions/${id}`)).body.lastEventId
            const lastSeen = (c: SseClient) => c.events.at(-1)?.id ?? received.get(id)!.at(-1)?.id
            await clients[i]!.waitFor((c) => lastSeen(c) === head, `client ${i} to reach the head`)
          }
        }
        for (const [i, id] of sessionIds.entries()) {
          clients[i]!.close()
          received.get(id)!.push(...clients[i]!.events)
        }
        if (last) {
          p.child.kill('SIGTERM')
          await withTimeout(p.exited, 15_000, 'the last daemon to exit')
        }
      }

      const db = inspectDb(dataDir)
      try {
        expect(db.integrity()).toBe('ok')
        let checked = 0
        for (const id of sessionIds) {
          const log = db.events(id)
          const ids = log.map((e) => e.id)
          for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!)
          // What clients got, re-attaching each cycle with their last id, is exactly the log:
          // nothing acknowledged was lost, nothing came twice, nothing was skipped.
          const got = received.get(id)!
          expect(got.map((e) => e.id)).toEqual(ids)
          expect(got.map((e) => JSON.stringify(e))).toEqual(log.map((e) => JSON.stringify(e)))
          checked += got.length
        }
        const turns = db.turns()
        expect(turns.length).toBe(turnsStarted)
        for (const t of turns) {
          expect(t.status).not.toBe('running')
          const ended = db
            .events(t.sessionId)
            .filter((e) => e.kind === 'turn.ended' && e.turnId === t.id)
          expect(ended, `turn ${t.id}`).toHaveLength(1)
        }
        console.log(
          `kill9: ${CYCLES} kills, ${turnsStarted} turns, ${checked} events checked, statuses ${JSON.stringify(countBy(turns.map((t) => t.status)))}`
        )
      } finally {
        db.close()
      }
    }
  )
})

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const x of xs) out[x] = (out[x] ?? 0) + 1
  return out
}
