import { listPending } from '../approvals.js'
import type { Command } from '../command.js'
import { EXIT } from '../io.js'
import { resolveSession } from '../sessions.js'
import { printPending } from './approve.js'

export const pending: Command = {
  name: 'pending',
  synopsis: 'pending SESSION [--json] [-q]',
  summary: 'List the approvals and questions waiting for an answer.',
  details: `  --json   {"permissions":[…]}
  -q       request ids only`,
  options: { json: { type: 'boolean' }, quiet: { type: 'boolean', short: 'q' } },
  positionals: [1, 1],
  async run(ctx) {
    const client = ctx.client()
    const s = await resolveSession(client, ctx.args[0]!)
    const list = await listPending(client, s.id)
    if (ctx.values.quiet) for (const p of list) ctx.out(`${p.requestId}\n`)
    else if (list.length === 0 && !ctx.values.json) ctx.out('nothing pending\n')
    else printPending(ctx, list)
    return EXIT.ok
  },
}
