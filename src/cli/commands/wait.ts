import type { Command, Context } from '../command.js'
import { followSession } from '../follow.js'
import { jsonLine } from '../format.js'
import { EXIT, usageError } from '../io.js'
import { resolveSession, type ClientSession, type ClientTurn } from '../sessions.js'
import { exitForStatus } from '../turn-follow.js'

type Outcome = { code: number; result: string; turnId: string | null }

export const wait: Command = {
  name: 'wait',
  synopsis: 'wait SESSION [--timeout S] [--json]',
  summary: 'Wait until the session is done, or needs you.',
  details: `Exit codes:
  0    done: idle, nothing queued, and the last turn completed (or there was none)
  2    it needs you: an approval or an answer is pending
  3    the last turn failed, was cancelled or was interrupted (or the queue paused)
  124  --timeout S seconds passed first
  --json   {"result":"completed"|"needs_you"|"failed"|"cancelled"|"interrupted"|"timeout","turnId":…}`,
  options: { timeout: { type: 'string' }, json: { type: 'boolean' } },
  positionals: [1, 1],
  async run(ctx) {
    const timeout = ctx.values.timeout as string | undefined
    if (timeout !== undefined && !(Number(timeout) >= 0))
      throw usageError('--timeout takes a number of seconds')
    const client = ctx.client()
    const session = await resolveSession(client, ctx.args[0]!)
    const stop = new AbortController()
    const timer =
      timeout === undefined ? null : setTimeout(() => stop.abort(), Number(timeout) * 1000)
    try {
      const outcome = (await settled(ctx, session)) ?? (await watch(ctx, session, stop.signal))
      return report(ctx, outcome ?? { code: EXIT.timeout, result: 'timeout', turnId: null })
    } finally {
      if (timer) clearTimeout(timer)
    }
  },
}

/** The answer, when the session's state already gives it. */
async function settled(ctx: Context, s: ClientSession): Promise<Outcome | null> {
  if ((s.pendingPermissions ?? 0) > 0)
    return { code: EXIT.needsYou, result: 'needs_you', turnId: s.activeTurnId }
  if (s.status !== 'idle' || ((s.queuedTurns ?? 0) > 0 && !s.queuePaused)) return null
  const { turns } = await ctx.client().get<{ turns: ClientTurn[] }>(`/sessions/${s.id}/turns`)
  const last = [...turns].reverse().find((t) => t.status !== 'queued')
  if (!last) return { code: EXIT.ok, result: 'completed', turnId: null }
  if (s.queuePaused) return { code: EXIT.turnFailed, result: last.status, turnId: last.id }
  return { code: exitForStatus(last.status), result: last.status, turnId: last.id }
}

/** Follows the log from now: an approval request, or a turn end that leaves the session settled. */
async function watch(ctx: Context, s: ClientSession, signal: AbortSignal): Promise<Outcome | null> {
  let outcome: Outcome | null = null
  await followSession(
    ctx.client().target,
    s.id,
    s.lastEventId,
    {
      async onEvent(e) {
        if (e.kind === 'permission.requested') {
          outcome = { code: EXIT.needsYou, result: 'needs_you', turnId: e.turnId }
          return 'stop'
        }
        if (e.kind === 'turn.ended' || e.kind === 'queue.paused') {
          const now = await ctx.client().get<ClientSession>(`/sessions/${s.id}`)
          // The turn that just ended may still show as active for an instant: it is over.
          const idle = now.activeTurnId === e.turnId ? { ...now, status: 'idle' as const } : now
          outcome = await settled(ctx, idle)
          if (outcome) return 'stop'
        }
      },
    },
    signal
  )
  return outcome
}

function report(ctx: Context, o: Outcome): number {
  if (ctx.values.json) ctx.out(jsonLine({ result: o.result, turnId: o.turnId }))
  else ctx.out(`${o.result.replace('_', ' ')}${o.turnId ? ` (${o.turnId})` : ''}\n`)
  return o.code
}
