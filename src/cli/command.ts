import { parseArgs, type ParseArgsConfig } from 'node:util'
import { createClient, type Client } from './client.js'
import { findTarget } from './connect.js'
import { CliError, EXIT, usageError, useColor, type CliIo } from './io.js'
import { createStyle, type Style } from './render/style.js'

type Options = NonNullable<ParseArgsConfig['options']>
export type Values = Record<string, string | boolean | string[] | undefined>

/** What a command gets: parsed arguments, the connection, and where to write. */
export interface Context {
  io: CliIo
  values: Values
  args: string[]
  style: Style
  /** Connects on first use, so `--help` and argument errors never need a daemon. */
  client(): Client
  out(s: string): void
  err(s: string): void
}

export interface Command {
  name: string
  /** `agentmux <name> …` synopsis. */
  synopsis: string
  /** One line for the command list. */
  summary: string
  /** Further lines for `agentmux <name> --help`: options and exit codes. */
  details: string
  options: Options
  /** How many positional arguments it takes, at least and at most. */
  positionals: [number, number]
  run(ctx: Context): Promise<number>
}

export const COMMON_OPTIONS = {
  url: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options

export function commandHelp(c: Command): string {
  return `usage: agentmux ${c.synopsis}\n\n${c.summary}\n${c.details ? `\n${c.details}\n` : ''}
  --url URL   the daemon (else AGENTMUX_URL, else the address the local daemon wrote)
  -h, --help  this help
The token comes from AGENTMUX_TOKEN or the daemon's token file, never from a flag.`
}

/** Parses, then runs; every failure becomes a message on stderr and a documented exit code. */
export async function runCommand(c: Command, argv: string[], io: CliIo): Promise<number> {
  let values: Values
  let args: string[]
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...c.options },
      allowPositionals: true,
      strict: true,
    })
    values = parsed.values as Values
    args = parsed.positionals
  } catch (err) {
    io.stderr.write(`agentmux ${c.name}: ${(err as Error).message}\n${commandHelp(c)}\n`)
    return EXIT.usage
  }
  if (values.help) {
    io.stdout.write(`${commandHelp(c)}\n`)
    return EXIT.ok
  }
  let client: Client | null = null
  const ctx: Context = {
    io,
    values,
    args,
    style: createStyle(useColor(io)),
    client: () => (client ??= createClient(findTarget(io, values.url as string | undefined))),
    out: (s) => io.stdout.write(s),
    err: (s) => io.stderr.write(s),
  }
  try {
    if (args.length < c.positionals[0] || args.length > c.positionals[1]) {
      throw usageError(
        `expected ${c.positionals[0] === c.positionals[1] ? c.positionals[0] : `${c.positionals[0]} to ${c.positionals[1]}`} arguments, got ${args.length}`
      )
    }
    return await c.run(ctx)
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr.write(`agentmux ${c.name}: ${err.message}\n`)
      if (err.exitCode === EXIT.usage) io.stderr.write(`${commandHelp(c)}\n`)
      return err.exitCode
    }
    io.stderr.write(`agentmux ${c.name}: ${(err as Error).stack ?? String(err)}\n`)
    return EXIT.failed
  }
}
