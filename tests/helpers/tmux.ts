import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { waitUntil } from './wait.js'

/** A private tmux server (its own socket), for driving terminal programs in tests. */
export function createTmux() {
  const socket = `agentmux-test-${randomBytes(4).toString('hex')}`
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' })
  return {
    tmux,
    /** Starts `argv` in a new detached session of the given size; the pane stays after it exits. */
    start(
      name: string,
      argv: string[],
      env: Record<string, string>,
      size = { x: 120, y: 50 }
    ): void {
      const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`])
      tmux(
        'new-session',
        '-d',
        '-s',
        name,
        '-x',
        String(size.x),
        '-y',
        String(size.y),
        ...envArgs,
        // The shell prints how the program ended: tmux's own #{pane_dead_status} stays empty
        // now and then (tmux 3.3a), which once failed a run with a status of null.
        ['sh', '-c', quote(`"$@"; echo "${EXIT_MARK}$?]"`), 'sh', ...argv.map(quote)].join(' ')
      )
      tmux('set-option', '-t', name, 'remain-on-exit', 'on')
    },
    /** The visible screen, as text (with escape sequences when `escapes`). */
    capture(name: string, escapes = false): string {
      return tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-J', '-S', '-200', '-t', name)
    },
    async waitForScreen(
      name: string,
      pred: (screen: string) => boolean,
      label: string,
      timeoutMs = 60_000
    ): Promise<string> {
      let last = ''
      try {
        return await waitUntil(
          () => {
            last = this.capture(name)
            return pred(last) ? last : null
          },
          { timeoutMs, intervalMs: 200, label }
        )
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- screen ---\n${last}`, { cause: err })
      }
    },
    keys(name: string, ...keys: string[]): void {
      tmux('send-keys', '-t', name, ...keys)
    },
    /** Whether the program ended, and its exit status (128 + n after signal n). */
    paneState(name: string): { dead: boolean; status: number | null } {
      const screen = this.capture(name)
      const at = screen.lastIndexOf(EXIT_MARK)
      const m = at < 0 ? null : /^(\d+)\]/.exec(screen.slice(at + EXIT_MARK.length))
      return m ? { dead: true, status: Number(m[1]) } : { dead: false, status: null }
    },
    kill(): void {
      try {
        tmux('kill-server')
      } catch {
        // already gone
      }
    },
  }
}

const EXIT_MARK = '[agentmux-test-exit '
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
