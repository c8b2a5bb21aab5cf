import type { CliInput } from './io.js'

/**
 * Raw key input on a terminal: single keys, or a line being typed (for a deny message). Ctrl-C
 * and Ctrl-D detach; in raw mode they arrive as bytes, not signals, so the turn is never touched.
 */
export interface Keys {
  /** Reads a line, echoing it; null when Esc is pressed. */
  readLine(prompt: string): Promise<string | null>
  close(): void
}

export function openKeys(
  stdin: CliInput,
  write: (s: string) => void,
  handlers: { onKey(key: string): void; onDetach(): void }
): Keys | null {
  if (!stdin.isTTY || !stdin.setRawMode) return null
  stdin.setRawMode(true)
  stdin.setEncoding('utf8')
  let line: { text: string; done(v: string | null): void } | null = null

  const onData = (data: string) => {
    for (const ch of data) {
      if (ch === '\u0003' || ch === '\u0004') {
        handlers.onDetach()
        return
      }
      if (!line) {
        handlers.onKey(ch)
        continue
      }
      if (ch === '\r' || ch === '\n') {
        const l = line
        line = null
        write('\n')
        l.done(l.text)
      } else if (ch === '\u001b') {
        const l = line
        line = null
        write('\n')
        l.done(null)
      } else if (ch === '\u007f' || ch === '\b') {
        if (line.text.length > 0) {
          line.text = line.text.slice(0, -1)
          write('\b \b')
        }
      } else if (ch >= ' ') {
        line.text += ch
        write(ch)
      }
    }
  }
  stdin.on('data', onData)
  stdin.resume()

  return {
    readLine(prompt) {
      write(prompt)
      return new Promise((done) => {
        line = { text: '', done }
      })
    },
    close() {
      stdin.off('data', onData)
      stdin.setRawMode?.(false)
      stdin.pause()
    },
  }
}
