import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from '../command.js'
import { EXIT, usageError } from '../io.js'
import { resolveSession } from '../sessions.js'

export const exportCommand: Command = {
  name: 'export',
  synopsis: 'export SESSION [--format md|jsonl] [-o FILE]',
  summary: 'Write a session out: a readable Markdown transcript, or the exact event log.',
  details: `  --format md     prompts, replies, tool calls with their results, approvals, costs (default)
  --format jsonl  every stored event, one JSON object a line, as the log holds it
  -o FILE         write to FILE (mode 0600) instead of stdout`,
  options: { format: { type: 'string' }, output: { type: 'string', short: 'o' } },
  positionals: [1, 1],
  async run(ctx) {
    const format = (ctx.values.format as string | undefined) ?? 'md'
    if (format !== 'md' && format !== 'jsonl') throw usageError('--format is md or jsonl')
    const client = ctx.client()
    const s = await resolveSession(client, ctx.args[0]!)
    const body = await (
      await client.request('GET', `/sessions/${s.id}/export?format=${format}`)
    ).text()
    const file = ctx.values.output as string | undefined
    if (file === undefined || file === '-') ctx.out(body)
    else {
      // A transcript can hold secrets the agent saw: owner-only, like the daemon's own files.
      writeFileSync(resolve(ctx.io.cwd, file), body, { mode: 0o600 })
      ctx.err(`wrote ${file}\n`)
    }
    return EXIT.ok
  },
}
