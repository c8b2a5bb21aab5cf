import type { Command } from '../command.js'
import { jsonLine } from '../format.js'
import { EXIT } from '../io.js'
import { resolveSession, type ClientSession, type ClientTurn } from '../sessions.js'

export const cancel: Command = {
  name: 'cancel',
  synopsis: 'cancel SESSION [--clear-queue] [--json]',
  summary: "Cancel the session's running turn.",
  details: `  --clear-queue  also drop the turns queued behind it
  --json         {"cancelled":bool,"turn":Turn|null}`,
  options: { 'clear-queue': { type: 'boolean' }, json: { type: 'boolean' } },
  positionals: [1, 1],
  async run(ctx) {
    const client = ctx.client()
    const s = await resolveSession(client, ctx.args[0]!)
    const body = ctx.values['clear-queue'] ? { clearQueue: true } : undefined
    const r = await client.post<{ cancelled: boolean; turn: ClientTurn | null }>(
      `/sessions/${s.id}/cancel`,
      body
    )
    if (ctx.values.json) ctx.out(jsonLine(r))
    else ctx.out(r.cancelled ? `cancelling ${r.turn?.id ?? 'the turn'}\n` : 'no turn was running\n')
    return EXIT.ok
  },
}

export const rm: Command = {
  name: 'rm',
  synopsis: 'rm SESSION',
  summary: 'Delete a session, its log and its turns (a running turn is cancelled first).',
  details: '',
  options: {},
  positionals: [1, 1],
  async run(ctx) {
    const client = ctx.client()
    const s = await resolveSession(client, ctx.args[0]!)
    await client.del(`/sessions/${s.id}`)
    ctx.out(`deleted ${s.id}\n`)
    return EXIT.ok
  },
}

export const rename: Command = {
  name: 'rename',
  synopsis: 'rename SESSION TITLE… [--json]',
  summary: 'Give a session a new title.',
  details: '  --json   the updated Session',
  options: { json: { type: 'boolean' } },
  positionals: [2, Infinity],
  async run(ctx) {
    const client = ctx.client()
    const [name, ...words] = ctx.args
    const s = await resolveSession(client, name!)
    const updated = await client.patch<ClientSession>(`/sessions/${s.id}`, {
      title: words.join(' '),
    })
    if (ctx.values.json) ctx.out(jsonLine(updated))
    else ctx.out(`${updated.id} is now ${JSON.stringify(updated.title)}\n`)
    return EXIT.ok
  },
}

export const resume: Command = {
  name: 'resume',
  synopsis: 'resume SESSION',
  summary:
    'Run a paused queue again (it pauses when a turn fails or is cancelled with turns queued).',
  details: '',
  options: { json: { type: 'boolean' } },
  positionals: [1, 1],
  async run(ctx) {
    const client = ctx.client()
    const s = await resolveSession(client, ctx.args[0]!)
    const r = await client.post<unknown>(`/sessions/${s.id}/queue/resume`)
    if (ctx.values.json) ctx.out(jsonLine(r))
    else ctx.out(`queue of ${s.id} resumed\n`)
    return EXIT.ok
  },
}
