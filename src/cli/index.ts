import { commandHelp, runCommand, type Command } from './command.js'
import { answer, approve, deny } from './commands/approve.js'
import { attach } from './commands/attach.js'
import { exportCommand } from './commands/export.js'
import { logs } from './commands/logs.js'
import { ls } from './commands/ls.js'
import { newSession } from './commands/new.js'
import { pending } from './commands/pending.js'
import { send } from './commands/send.js'
import { cancel, rename, resume, rm } from './commands/simple.js'
import { wait } from './commands/wait.js'
import { EXIT, type CliIo } from './io.js'

export type { CliIo } from './io.js'

const COMMANDS: Command[] = [
  ls,
  newSession,
  send,
  attach,
  logs,
  wait,
  pending,
  approve,
  deny,
  answer,
  cancel,
  resume,
  rm,
  rename,
  exportCommand,
]
const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]))

/** The terminal client's commands (everything but `serve`, `token` and `help`). */
export function isClientCommand(name: string): boolean {
  return BY_NAME.has(name)
}

/** `agentmux <command> …`; resolves to the exit code. */
export function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  const command = BY_NAME.get(name ?? '')
  if (!command) {
    io.stderr.write(`agentmux: unknown command ${JSON.stringify(name)}\n${clientUsage()}\n`)
    return Promise.resolve(EXIT.usage)
  }
  return runCommand(command, rest, io)
}

/** The command list for `agentmux help`. */
export function clientUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return `client commands (agentmux <command> --help for each):\n${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}`
}

export function helpFor(name: string): string | null {
  const c = BY_NAME.get(name)
  return c ? commandHelp(c) : null
}
