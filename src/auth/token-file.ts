import { randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const FILE = 'token'
/** 32 random bytes: 256 bits, URL-safe so it can ride in a URL fragment. */
const newToken = () => randomBytes(32).toString('base64url')

export function tokenPath(dataDir: string): string {
  return join(dataDir, FILE)
}

/** The data dir holds the token and every session's log: owner-only. */
export function ensurePrivateDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  // mkdir's mode only applies to a directory it creates; an existing one is tightened too.
  chmodSync(dataDir, 0o700)
}

function write(dataDir: string, token: string): void {
  ensurePrivateDir(dataDir)
  const tmp = `${tokenPath(dataDir)}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(tmp, `${token}\n`, { mode: 0o600 })
  renameSync(tmp, tokenPath(dataDir))
}

/** The stored token, created on first use. */
export function loadOrCreateToken(dataDir: string): string {
  try {
    const t = readFileSync(tokenPath(dataDir), 'utf8').trim()
    if (t.length >= 16) return t
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  const token = newToken()
  write(dataDir, token)
  return token
}

/** Replaces the stored token; every cookie signed with the old one stops working. */
export function rotateToken(dataDir: string): string {
  const token = newToken()
  write(dataDir, token)
  return token
}

export interface TokenSource {
  current(): string
  readonly fromEnvironment: boolean
}

/**
 * The token in force. A token from the environment is fixed; a stored one is re-read when the
 * file changes, so `agentmux token --rotate` takes effect in a running daemon at once.
 */
export function createTokenSource(opts: { dataDir: string; envToken: string | null }): TokenSource {
  if (opts.envToken) {
    const t = opts.envToken
    return { current: () => t, fromEnvironment: true }
  }
  let token = loadOrCreateToken(opts.dataDir)
  let stamp = fileStamp(opts.dataDir)
  return {
    current() {
      const now = fileStamp(opts.dataDir)
      if (now !== stamp) {
        stamp = now
        token = loadOrCreateToken(opts.dataDir)
      }
      return token
    },
    fromEnvironment: false,
  }
}

function fileStamp(dataDir: string): string {
  try {
    const s = statSync(tokenPath(dataDir), { bigint: true })
    return `${s.mtimeNs}:${s.ino}:${s.size}`
  } catch {
    return 'missing'
  }
}
