/**
 * Everything the client needs from its process, handed in by main.ts (the only module that
 * touches `process`), so commands run the same in tests and in a terminal.
 */
export interface CliInput extends NodeJS.ReadableStream {
  isTTY?: boolean
  setRawMode?(mode: boolean): unknown
}

export interface CliIo {
  stdin: CliInput
  stdout: { write(chunk: string): unknown; isTTY?: boolean; columns?: number }
  stderr: { write(chunk: string): unknown }
  env: Record<string, string | undefined>
  cwd: string
  home: string
}

/** Documented exit codes (README "Terminal"). `wait` adds 2, 3 and 124. */
export const EXIT = {
  ok: 0,
  /** The daemon refused the request, or the session is unknown or ambiguous. */
  failed: 1,
  needsYou: 2,
  turnFailed: 3,
  usage: 64,
  /** No daemon answered. */
  unavailable: 69,
  /** The token was refused. */
  noPermission: 77,
  timeout: 124,
} as const

/** An error that ends the command with a message and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed
  ) {
    super(message)
    this.name = 'CliError'
  }
}

export const usageError = (message: string) => new CliError(message, EXIT.usage)

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColor(io: CliIo): boolean {
  return io.stdout.isTTY === true && !io.env.NO_COLOR
}
