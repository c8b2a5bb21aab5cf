import { isAbsolute, resolve } from 'node:path'
import type { Command } from '../command.js'
import { jsonLine } from '../format.js'
import { promptFrom } from '../input.js'
import { EXIT } from '../io.js'
import type { ClientSession, ClientTurn } from '../sessions.js'

export const newSession: Command = {
  name: 'new',
  synopsis:
    'new [--title T] [--cwd DIR] [--model M] [--mode MODE] [--allow TOOL…] [--json | -q] [PROMPT… | -]',
  summary: 'Create a session, and start its first turn when a prompt is given.',
  details: `  --title T      its title (else the first line of the first prompt)
  --cwd DIR      working directory, inside the daemon's allowed roots (default: a fresh one)
  --model M      claude model or alias
  --mode MODE    permission mode: acceptEdits, auto, bypassPermissions, default, dontAsk, manual, plan
  --allow TOOL   a tool rule claude may use without asking (repeatable), e.g. --allow Bash --allow 'Read'
  --json         {"session":Session,"turn":Turn|null}
  -q             the session id only`,
  options: {
    title: { type: 'string' },
    cwd: { type: 'string' },
    model: { type: 'string' },
    mode: { type: 'string' },
    allow: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  },
  positionals: [0, Infinity],
  async run(ctx) {
    const { values: v, io } = ctx
    // Read first: a bad prompt must not leave an empty session behind.
    const prompt = await promptFrom(io, ctx.args, false)
    const body: Record<string, unknown> = {}
    if (v.title !== undefined) body.title = v.title
    if (v.cwd !== undefined)
      body.cwd = isAbsolute(v.cwd as string) ? v.cwd : resolve(io.cwd, v.cwd as string)
    if (v.model !== undefined) body.model = v.model
    if (v.mode !== undefined) body.permissionMode = v.mode
    if (v.allow !== undefined) body.allowedTools = v.allow
    const client = ctx.client()
    const session = await client.post<ClientSession>('/sessions', body)
    let turn: ClientTurn | null = null
    if (prompt !== null) {
      turn = (await client.post<{ turn: ClientTurn }>(`/sessions/${session.id}/turns`, { prompt }))
        .turn
    }
    if (v.json) ctx.out(jsonLine({ session, turn }))
    else if (v.quiet) ctx.out(`${session.id}\n`)
    else {
      ctx.out(`created ${ctx.style.bold(session.id)} in ${session.cwd}\n`)
      if (turn)
        ctx.out(`turn ${turn.id} ${turn.status}; follow it with: agentmux attach ${session.id}\n`)
    }
    return EXIT.ok
  },
}
