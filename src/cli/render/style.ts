/** ANSI styling that turns into plain text when colour is off. */
export interface Style {
  bold(s: string): string
  dim(s: string): string
  italic(s: string): string
  underline(s: string): string
  red(s: string): string
  green(s: string): string
  yellow(s: string): string
  blue(s: string): string
  magenta(s: string): string
  cyan(s: string): string
  readonly enabled: boolean
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`
const plain = (s: string) => s

export function createStyle(enabled: boolean): Style {
  const f = (open: number, close: number) => (enabled ? sgr(open, close) : plain)
  return {
    bold: f(1, 22),
    dim: f(2, 22),
    italic: f(3, 23),
    underline: f(4, 24),
    red: f(31, 39),
    green: f(32, 39),
    yellow: f(33, 39),
    blue: f(34, 39),
    magenta: f(35, 39),
    cyan: f(36, 39),
    enabled,
  }
}

/**
 * Model and tool output must not drive the terminal: an escape sequence in a tool result could
 * retitle the window, move the cursor or worse. Control characters other than tab and newline
 * are shown as `^X` (C1 controls as `\xNN`).
 */
export function safeText(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f]/g, (c) => {
    const code = c.charCodeAt(0)
    if (code === 0x7f) return '^?'
    if (code < 0x20) return `^${String.fromCharCode(code + 64)}`
    return `\\x${code.toString(16)}`
  })
}
