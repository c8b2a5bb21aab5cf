import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { readAddress } from '../address-file.js'
import { CliError, EXIT, type CliIo } from './io.js'

/** Where the daemon is and how to prove who we are. */
export interface Target {
  /** Called again before every reconnect: a restarted local daemon may listen on a new port. */
  url(): string
  /** Where the URL came from, for error messages. */
  source: string
  token: string
}

/** The same default as the daemon's: AGENTMUX_DATA_DIR, else $XDG_DATA_HOME/agentmux, else ~/.local/share. */
export function dataDir(env: CliIo['env'], home: string): string {
  if (env.AGENTMUX_DATA_DIR) return resolve(env.AGENTMUX_DATA_DIR)
  return env.XDG_DATA_HOME
    ? join(env.XDG_DATA_HOME, 'agentmux')
    : join(home, '.local', 'share', 'agentmux')
}

function readToken(dir: string): string | null {
  try {
    return readFileSync(join(dir, 'token'), 'utf8').trim() || null
  } catch {
    return null
  }
}

/** `--url`, then AGENTMUX_URL, then the address the local daemon wrote; the token never from a flag. */
export function findTarget(io: CliIo, urlFlag: string | undefined): Target {
  const dir = dataDir(io.env, io.home)
  const token = io.env.AGENTMUX_TOKEN || readToken(dir)
  if (!token) {
    throw new CliError(
      `no token: set AGENTMUX_TOKEN, or run this as the daemon's user (it reads ${join(dir, 'token')})`,
      EXIT.noPermission
    )
  }
  const fixed = urlFlag ?? io.env.AGENTMUX_URL
  if (fixed) {
    const url = fixed.replace(/\/+$/, '')
    return { url: () => url, source: urlFlag ? '--url' : 'AGENTMUX_URL', token }
  }
  const fromFile = () => {
    const url = readAddress(dir)
    if (!url) {
      throw new CliError(
        `no daemon running for ${dir} (no address file); start one with \`agentmux serve\`, or pass --url`,
        EXIT.unavailable
      )
    }
    return url
  }
  fromFile()
  return { url: fromFile, source: join(dir, 'address'), token }
}
