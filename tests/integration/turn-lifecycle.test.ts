import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import {
  attach,
  createSession,
  kinds,
  postTurn,
  runTurn,
  UNTIL_CANCELLED,
} from '../helpers/session.js'
import { turnEnded } from '../helpers/sse.js'
import { waitUntil } from '../helpers/wait.js'

let d: TestDaemon
beforeAll(async () => {
  d = await startTestDaemon()
})
afterAll(async () => {
  await d?.stop()
})

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('turn lifecycle with the fake claude', () => {
  it('resumes the conversation in the next turn', async () => {
    const s = await createSession(d)
    const first = await runTurn(d, s.id, 'remember the word apricot')
    expect(first.ended.status).toBe('completed')
    const second = await runTurn(d, s.id, 'what did I say? [history]')
    const text = second.events.find((e) => e.kind === 'text')!.text as string
    expect(text).toContain('HISTORY: remember the word apricot')
    const init = second.events.find((e) => e.kind === 'agent.init')!
    expect(init.claudeSessionId).toBe(s.claudeSessionId)
    // Per-turn cost is the difference of claude's cumulative total.
    const r1 = first.events.find((e) => e.kind === 'turn.result')!
    const r2 = second.events.find((e) => e.kind === 'turn.result')!
    expect(r2.totalCostUsd as number).toBeGreaterThan(r1.totalCostUsd as number)
    expect(r2.costUsd as number).toBeCloseTo(
      (r2.totalCostUsd as number) - (r1.totalCostUsd as number),
      9
    )
  })

  it('renders a tool call and its result', async () => {
    const s = await createSession(d)
    const { events, ended } = await runTurn(d, s.id, 'run [tool:echo tool-says-hi]')
    expect(ended.status).toBe('completed')
    const use = events.find((e) => e.kind === 'tool.use')!
    expect(use).toMatchObject({ name: 'Bash', summary: 'echo tool-says-hi' })
    const result = events.find((e) => e.kind === 'tool.result')!
    expect(result).toMatchObject({ toolUseId: use.toolUseId, isError: false, truncated: false })
    expect(result.text).toContain('tool-says-hi')
  })

  it('reports a denied tool', async () => {
    const s = await createSession(d)
    const { events } = await runTurn(d, s.id, 'write [denied:Write]')
    const denied = events.find((e) => e.kind === 'tool.denied')!
    expect(denied).toMatchObject({ name: 'Write' })
    expect(denied.message).toBeTruthy()
  })

  it('reports API retries and an API error as a failed turn', async () => {
    const s = await createSession(d)
    const retried = await runTurn(d, s.id, 'hi [retry:2]')
    expect(retried.events.filter((e) => e.kind === 'agent.retry').map((e) => e.attempt)).toEqual([
      1, 2,
    ])
    expect(retried.ended.status).toBe('completed')
    const failed = await runTurn(d, s.id, 'hi [api-error]')
    expect(failed.ended.status).toBe('failed')
    expect(failed.ended.exitCode).toBe(1)
    expect(failed.events.filter((e) => e.kind === 'error')).toHaveLength(1)
    expect(failed.events.find((e) => e.kind === 'turn.result')!.isError).toBe(true)
  })

  it('keeps going past lines that are not JSON and lines of unknown types', async () => {
    const s = await createSession(d)
    const { events, ended } = await runTurn(d, s.id, 'hi [garbage] [unknown-type]')
    expect(ended.status).toBe('completed')
    const errors = events.filter((e) => e.kind === 'error')
    expect(errors.length).toBeGreaterThanOrEqual(2)
    expect(errors[0]!.message).toContain('not JSON')
    const raw = events.find((e) => e.kind === 'agent.raw')!
    expect(raw.line).toContain('brand_new_type')
  })

  it('reads lines far longer than one read (300 KiB)', async () => {
    const s = await createSession(d)
    const { events, ended } = await runTurn(d, s.id, 'long [big:300]')
    expect(ended.status).toBe('completed')
    const text = events.find((e) => e.kind === 'text')!.text as string
    expect(text.length).toBeGreaterThanOrEqual(300 * 1024)
  })

  it('fails a turn whose claude exits non-zero without a result, with the stderr tail', async () => {
    const s = await createSession(d)
    const { events, ended } = await runTurn(d, s.id, 'hi [stderr:boom-on-stderr] [exit:3]')
    expect(ended).toMatchObject({ status: 'failed', exitCode: 3 })
    const error = events.find((e) => e.kind === 'error')!
    expect(error.message).toContain('exited with code 3')
    expect(error.message).toContain('boom-on-stderr')
  })

  it('a claude that dies before printing anything fails the turn; the next turn starts the conversation', async () => {
    for (const directive of ['[exit-before-output]', '[crash-before-output]']) {
      const s = await createSession(d)
      const dead = await runTurn(d, s.id, `hi ${directive}`)
      expect(dead.ended.status).toBe('failed')
      expect(kinds(dead.events)).not.toContain('agent.init')
      expect(dead.events.filter((e) => e.kind === 'error')).toHaveLength(1)
      const next = await runTurn(d, s.id, 'hello again')
      expect(next.ended.status).toBe('completed')
      expect(next.events.find((e) => e.kind === 'agent.init')!.claudeSessionId).toBe(
        s.claudeSessionId
      )
    }
  })

  it('resumes instead when claude says the session id is already in use', async () => {
    const s = await createSession(d)
    // A conversation exists that the daemon never saw start (claude died after writing it).
    const stateDir = join(d.dataDir, 'fake-claude-state')
    mkdirSync(stateDir, { recursive: true })
    writeFileSync(
      join(stateDir, `${s.claudeSessionId}.json`),
      JSON.stringify({ prompts: ['ghost prompt'], totalCost: 0 })
    )
    const { events, ended } = await runTurn(d, s.id, 'who is there [history]')
    expect(ended.status).toBe('completed')
    expect(events.find((e) => e.kind === 'text')!.text).toContain('HISTORY: ghost prompt')
  })

  it('cancels mid-reply: one turn.ended, status cancelled, partial text kept, session resumable', async () => {
    const s = await createSession(d)
    const turn = await postTurn(d, s.id, `take your time ${UNTIL_CANCELLED}`)
    const sse = await attach(d, s.id)
    await sse.waitForEvent((e) => e.kind === 'text.delta', 'a first delta')
    const c = await d.api.post(`/sessions/${s.id}/cancel`)
    expect(c.status).toBe(200)
    expect(c.body.cancelled).toBe(true)
    expect(c.body.turn.id).toBe(turn.id)
    const ended = await sse.waitForEvent(turnEnded(turn.id), 'turn.ended')
    expect(ended.status).toBe('cancelled')
    const own = sse.events.filter((e) => e.turnId === turn.id)
    expect(own.filter((e) => e.kind === 'turn.ended')).toHaveLength(1)
    expect(own.filter((e) => e.kind === 'error')).toHaveLength(0)
    expect(own.find((e) => e.kind === 'text')?.aborted).toBe(true)
    sse.close()
    expect((await d.api.post(`/sessions/${s.id}/cancel`)).body).toEqual({
      cancelled: false,
      turn: null,
      removedTurnIds: [],
    })
    const next = await runTurn(d, s.id, 'again [history]')
    expect(next.ended.status).toBe('completed')
    expect(next.events.find((e) => e.kind === 'text')!.text).toContain('HISTORY: take your time')
  })

  it('cancels right after the POST, then runs the next turn normally', async () => {
    const s = await createSession(d)
    const turn = await postTurn(d, s.id, `slow one ${UNTIL_CANCELLED}`)
    const c = await d.api.post(`/sessions/${s.id}/cancel`)
    expect(c.body.cancelled).toBe(true)
    const sse = await attach(d, s.id)
    const ended = await sse.waitForEvent(turnEnded(turn.id), 'turn.ended')
    expect(ended.status).toBe('cancelled')
    sse.close()
    const next = await runTurn(d, s.id, 'and now for real')
    expect(next.ended.status).toBe('completed')
  })

  it('escalates to SIGKILL for a claude that ignores interrupts and signals, and kills its tool processes', async () => {
    const s = await createSession(d)
    const pidFile = join(d.dataDir, `orphan-${s.id}.pid`)
    const turn = await postTurn(d, s.id, `stubborn [ignore-signals] [spawn-orphan:${pidFile}]`)
    const orphan = await waitUntil(
      () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0),
      {
        label: 'the tool to start its detached grandchild',
      }
    )
    expect(alive(orphan)).toBe(true)
    await d.api.post(`/sessions/${s.id}/cancel`)
    const sse = await attach(d, s.id)
    const ended = await sse.waitForEvent(turnEnded(turn.id), 'turn.ended')
    sse.close()
    expect(ended).toMatchObject({ status: 'cancelled', signal: 'SIGKILL' })
    await waitUntil(() => !alive(orphan), { label: `orphan ${orphan} to die` })
  })

  it.each([
    {
      what: 'a stalled claude',
      config: { stallTimeoutMs: 400 },
      prompt: 'stall [hang]',
      reason: 'printed nothing',
    },
    {
      what: 'a turn past the turn timeout',
      config: { turnTimeoutMs: 500 },
      prompt: `slow ${UNTIL_CANCELLED}`,
      reason: 'timed out',
    },
  ])('stops $what and fails the turn with the reason', async ({ config, prompt, reason }) => {
    const local = await startTestDaemon({ config })
    try {
      const s = await createSession(local)
      const { events, ended } = await runTurn(local, s.id, prompt)
      expect(ended.status).toBe('failed')
      expect(events.find((e) => e.kind === 'error')!.message).toContain(reason)
    } finally {
      await local.stop()
    }
  })

  it('fails a turn whose claude cannot be spawned', async () => {
    const broken = await startTestDaemon({ claudeBin: FAKE_THEN_MISSING() })
    try {
      const s = await createSession(broken)
      const { events, ended } = await runTurn(broken, s.id, 'hi')
      expect(ended.status).toBe('failed')
      expect(events.find((e) => e.kind === 'error')).toMatchObject({ source: 'daemon' })
    } finally {
      await broken.stop()
    }
  })

  it(
    'allows one turn at a time with {"queue": false} (409) and the same clientTurnId never runs twice',
    { timeout: 120_000 },
    async () => {
      const s = await createSession(d)
      // 20 s: still running at the 409 below, also on a loaded machine; it then ends on its own.
      const prompt = 'slow [slow:20000]'
      const first = await postTurn(d, s.id, prompt, { clientTurnId: 'phone-1' })
      const again = await d.api.post(`/sessions/${s.id}/turns`, {
        prompt,
        clientTurnId: 'phone-1',
      })
      expect(again.status).toBe(202)
      expect(again.body.turn.id).toBe(first.id)
      const other = await d.api.post(`/sessions/${s.id}/turns`, { prompt: 'another', queue: false })
      expect(other.status).toBe(409)
      expect(other.body.error.code).toBe('turn_in_progress')
      const sse = await attach(d, s.id)
      await sse.waitForEvent(turnEnded(first.id), 'first turn to end', 60_000)
      sse.close()
      const afterEnd = await d.api.post(`/sessions/${s.id}/turns`, {
        prompt,
        clientTurnId: 'phone-1',
      })
      expect(afterEnd.body.turn.id).toBe(first.id)
      expect(afterEnd.body.turn.status).toBe('completed')
      const turns = (await d.api.get(`/sessions/${s.id}/turns`)).body.turns
      expect(turns).toHaveLength(1)
    }
  )
})

/** A path that passes the start-up --version check but is gone when a turn spawns. */
function FAKE_THEN_MISSING(): string {
  const dir = join(process.cwd(), 'node_modules', '.cache', 'agentmux-tests')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, `vanishing-claude-${process.pid}.sh`)
  writeFileSync(
    path,
    '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "2.1.330 (Claude Code)"; rm -f "$0"; exit 0; fi\nexit 1\n',
    {
      mode: 0o755,
    }
  )
  return path
}
