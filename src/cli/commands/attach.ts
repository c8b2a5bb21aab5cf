import type { WireEvent } from '../../events/types.js'
import { decide, decisionForKey, requestOf, type Decision } from '../approvals.js'
import type { Command, Context } from '../command.js'
import { followSession, type FollowState } from '../follow.js'
import { jsonLine } from '../format.js'
import { EXIT, usageError } from '../io.js'
import { openKeys, type Keys } from '../keys.js'
import { createEventRenderer } from '../render/events.js'
import { resolveSession } from '../sessions.js'

export const attach: Command = {
  name: 'attach',
  synopsis: 'attach SESSION [--from-start | --since ID] [--json]',
  summary: 'Watch a session live, like tmux attach: the last turn, then everything as it happens.',
  details: `  --from-start  replay the whole session first
  --since ID    replay from after event ID
  --json        events as NDJSON (each with its id), no keys
Keys on a terminal: y allow once, s allow for the session, n deny (with a message) the oldest
pending approval; Ctrl-C or Ctrl-D detaches. Detaching never cancels: \`agentmux cancel\` does.
Drops and daemon restarts are followed through, with no gap and no duplicate.`,
  options: {
    'from-start': { type: 'boolean' },
    since: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: [1, 1],
  async run(ctx) {
    const since = ctx.values.since as string | undefined
    if (since !== undefined && !/^\d+$/.test(since))
      throw usageError('--since takes an event id (a number)')
    if (since !== undefined && ctx.values['from-start'])
      throw usageError('give --from-start or --since, not both')
    const session = await resolveSession(ctx.client(), ctx.args[0]!)
    const view = createAttachView(ctx, session.id)
    if (!ctx.values.json)
      ctx.err(
        ctx.style.dim(
          `attached to ${session.title || '(untitled)'} (${session.id}); Ctrl-C detaches\n`
        )
      )
    const cursor = since !== undefined ? Number(since) : 0
    // Without a cursor the replay is held until caught-up, to start at the last turn.
    const lastTurnOnly = since === undefined && !ctx.values['from-start']
    try {
      await followSession(
        ctx.client().target,
        session.id,
        cursor,
        {
          onEvent: (e) => view.event(e, lastTurnOnly),
          onCaughtUp: () => view.caughtUp(),
          onState: (s, detail) => view.state(s, detail),
        },
        view.signal
      )
    } finally {
      view.close()
    }
    return EXIT.ok
  },
}

/** The attach screen: renders events, tracks pending approvals, answers them from keys. */
function createAttachView(ctx: Context, sessionId: string) {
  const json = ctx.values.json === true
  const stop = new AbortController()
  const pending: WireEvent[] = []
  let held: WireEvent[] | null = []
  let wasLive = false
  let busy = false
  const keys: Keys | null = json
    ? null
    : openKeys(ctx.io.stdin, ctx.out, { onKey: (k) => void onKey(k), onDetach: () => stop.abort() })
  const renderer = createEventRenderer({
    style: ctx.style,
    write: ctx.out,
    approvalKeys: keys !== null,
  })

  function track(e: WireEvent): void {
    if (e.kind === 'permission.requested') pending.push(e)
    if (e.kind === 'permission.resolved') {
      const i = pending.findIndex((p) => p.requestId === e.requestId)
      if (i >= 0) pending.splice(i, 1)
    }
  }

  function show(e: WireEvent): void {
    track(e)
    if (json) ctx.out(jsonLine(e))
    else renderer.render(e)
  }

  async function onKey(key: string): Promise<void> {
    const req = pending[0]
    const action = req && !busy ? decisionForKey(requestOf(req), key) : null
    if (!req || action === null) return
    busy = true
    try {
      let d: Decision = action as Decision
      if (action === 'deny-with-message') {
        const message = await keys!.readLine(
          ctx.style.yellow('  deny; message for claude (Enter to send, Esc to keep asking): ')
        )
        if (message === null) return
        d = { decision: 'deny', ...(message.trim() ? { message: message.trim() } : {}) }
      }
      await decide(ctx.client(), sessionId, String(req.requestId), d)
    } catch (err) {
      ctx.err(ctx.style.red(`  could not answer: ${(err as Error).message}\n`))
    } finally {
      busy = false
    }
  }

  return {
    signal: stop.signal,
    event(e: WireEvent, lastTurnOnly: boolean): void {
      if (held && lastTurnOnly) {
        held.push(e)
        return
      }
      show(e)
    },
    caughtUp(): void {
      if (held) {
        const from = held.map((e) => e.kind).lastIndexOf('turn.started')
        // Approvals still open from before the last turn matter too (they block it).
        for (const e of held.slice(0, Math.max(0, from))) track(e)
        for (const e of held.slice(Math.max(0, from))) show(e)
        held = null
      }
      if (wasLive && !json) ctx.err(ctx.style.dim('… reconnected\n'))
      wasLive = true
    },
    state(s: FollowState, detail?: string): void {
      if (s === 'reconnecting' && detail && !json) {
        renderer.flush()
        ctx.err(ctx.style.dim(`… reconnecting (${detail})\n`))
      }
    },
    close(): void {
      renderer.flush()
      keys?.close()
    },
  }
}
