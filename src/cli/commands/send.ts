import { randomUUID } from 'node:crypto'
import type { Command } from '../command.js'
import { jsonLine } from '../format.js'
import { promptFrom } from '../input.js'
import { EXIT } from '../io.js'
import { resolveSession, type ClientTurn } from '../sessions.js'
import { exitForStatus, followTurn } from '../turn-follow.js'

export const send: Command = {
  name: 'send',
  synopsis: 'send SESSION [PROMPT… | -] [--wait] [--no-queue] [--model M] [--json | -q]',
  summary: 'Send a prompt: it starts a turn, or queues behind the running one.',
  details: `  PROMPT       the words after SESSION; "-" (or nothing, with stdin piped) reads stdin
  --wait       stream the reply and exit when the turn ends: 0 completed, 3 failed or cancelled
  --no-queue   fail (exit 1) instead of queueing when a turn is running
  --model M    model for this turn only
  --json       {"turn":Turn}; with --wait, the turn's events as NDJSON
  -q           the turn id only`,
  options: {
    wait: { type: 'boolean' },
    'no-queue': { type: 'boolean' },
    model: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  },
  positionals: [1, Infinity],
  async run(ctx) {
    const [name, ...words] = ctx.args
    const prompt = (await promptFrom(ctx.io, words, true))!
    const client = ctx.client()
    const session = await resolveSession(client, name!)
    // A clientTurnId makes the request safe to repeat: the daemon never runs it twice.
    const body: Record<string, unknown> = { prompt, clientTurnId: `cli-${randomUUID()}` }
    if (ctx.values.model !== undefined) body.model = ctx.values.model
    if (ctx.values['no-queue']) body.queue = false
    const { turn } = await client.post<{ turn: ClientTurn }>(`/sessions/${session.id}/turns`, body)
    if (!ctx.values.wait) {
      if (ctx.values.json) ctx.out(jsonLine({ turn }))
      else if (ctx.values.quiet) ctx.out(`${turn.id}\n`)
      else
        ctx.out(
          `turn ${turn.id} ${turn.status}${turn.status === 'queued' ? ` (#${turn.position})` : ''}\n`
        )
      return EXIT.ok
    }
    if (ctx.values.quiet) ctx.out(`${turn.id}\n`)
    // The session's last id before this turn: its turn.started (or turn.queued) comes after it.
    const status = await followTurn(
      ctx,
      session.id,
      session.lastEventId,
      turn.id,
      new AbortController().signal
    )
    return exitForStatus(status)
  },
}
