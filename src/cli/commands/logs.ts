import type { WireEvent } from '../../events/types.js'
import type { Command } from '../command.js'
import { followSession } from '../follow.js'
import { jsonLine } from '../format.js'
import { EXIT, usageError } from '../io.js'
import { createEventRenderer } from '../render/events.js'
import { resolveSession } from '../sessions.js'

export const logs: Command = {
  name: 'logs',
  synopsis: 'logs SESSION [-f] [--json] [--tail N]',
  summary: "Print a session's event log.",
  details: `  -f, --follow  keep printing new events as they come (Ctrl-C stops)
  --json        NDJSON: one event a line, each with its id
  --tail N      only the last N events of the log (then follow, with -f)`,
  options: {
    follow: { type: 'boolean', short: 'f' },
    json: { type: 'boolean' },
    tail: { type: 'string' },
  },
  positionals: [1, 1],
  async run(ctx) {
    const tail = ctx.values.tail as string | undefined
    if (tail !== undefined && !/^\d+$/.test(tail))
      throw usageError('--tail takes a number of events')
    const session = await resolveSession(ctx.client(), ctx.args[0]!)
    const renderer = createEventRenderer({ style: ctx.style, write: ctx.out })
    const print = (e: WireEvent) => (ctx.values.json ? ctx.out(jsonLine(e)) : renderer.render(e))
    // With --tail the log is held until caught-up, so only its end is printed.
    let held: WireEvent[] | null = tail === undefined ? null : []
    const stop = new AbortController()
    await followSession(
      ctx.client().target,
      session.id,
      0,
      {
        onEvent(e) {
          if (held) held.push(e)
          else print(e)
        },
        onCaughtUp() {
          if (held) {
            for (const e of held.slice(Math.max(0, held.length - Number(tail)))) print(e)
            held = null
          }
          renderer.flush()
          if (!ctx.values.follow) return 'stop'
        },
      },
      stop.signal
    )
    renderer.flush()
    return EXIT.ok
  },
}
