import type { CliIo } from './io.js'
import { usageError } from './io.js'

/** All of stdin as text (for `send SESSION -` and piped prompts). */
export async function readAll(io: CliIo): Promise<string> {
  let text = ''
  io.stdin.setEncoding('utf8')
  for await (const chunk of io.stdin) text += chunk as string
  return text
}

/** The prompt from the words after the session, or from stdin for `-` or when stdin is piped. */
export async function promptFrom(
  io: CliIo,
  words: string[],
  required: boolean
): Promise<string | null> {
  if (words.length === 1 && words[0] === '-') return nonEmpty(await readAll(io))
  if (words.length > 0) return nonEmpty(words.join(' '))
  if (!required) return null
  if (io.stdin.isTTY)
    throw usageError('no prompt: give it as an argument, or pipe it in (use - to read stdin)')
  return nonEmpty(await readAll(io))
}

function nonEmpty(p: string): string {
  if (p.trim() === '') throw usageError('the prompt is empty')
  return p
}
