import type { Command } from '../command.js'
import { ago, cell, jsonLine, table } from '../format.js'
import { EXIT } from '../io.js'
import { listSessions } from '../sessions.js'

/** Without --all the list stops at the most recently active sessions. */
const DEFAULT_ROWS = 20

export const ls: Command = {
  name: 'ls',
  synopsis: 'ls [--all] [--json] [-q]',
  summary: 'List sessions, most recently active first.',
  details: `  --all       every session (default: the ${DEFAULT_ROWS} most recently active)
  --json      {"sessions":[Session…]} as the API returns it
  -q          session ids only, one a line`,
  options: {
    all: { type: 'boolean' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  },
  positionals: [0, 0],
  async run(ctx) {
    const all = await listSessions(ctx.client())
    const sessions = ctx.values.all ? all : all.slice(0, DEFAULT_ROWS)
    if (ctx.values.json) {
      ctx.out(jsonLine({ sessions }))
      return EXIT.ok
    }
    if (ctx.values.quiet) {
      for (const s of sessions) ctx.out(`${s.id}\n`)
      return EXIT.ok
    }
    if (sessions.length === 0) {
      ctx.out('no sessions; start one with `agentmux new "a prompt"`\n')
      return EXIT.ok
    }
    const now = Date.now()
    const rows = [['ID', 'TITLE', 'STATUS', 'APPROVALS', 'QUEUED', 'ACTIVE', 'HOST', 'CWD']]
    for (const s of sessions) {
      rows.push([
        s.id,
        cell(s.title || '(untitled)'),
        s.status,
        String(s.pendingPermissions ?? 0),
        String(s.queuedTurns ?? 0),
        ago(s.updatedAt, now),
        // Offline, its turns cannot start until that host's daemon is back.
        s.hostOnline === false ? `${s.host} (offline)` : (s.host ?? ''),
        cell(s.cwd, 60),
      ])
    }
    const { style } = ctx
    const [head, ...body] = table(rows).split('\n')
    ctx.out(`${style.bold(head!)}\n`)
    body.forEach((l, i) => {
      const s = sessions[i]!
      ctx.out(
        `${(s.pendingPermissions ?? 0) > 0 ? style.yellow(l) : s.status === 'running' ? style.green(l) : l}\n`
      )
    })
    if (sessions.length < all.length)
      ctx.out(style.dim(`… ${all.length - sessions.length} more (--all)\n`))
    return EXIT.ok
  },
}
