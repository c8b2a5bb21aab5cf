import { randomBytes } from 'node:crypto'
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** `<dataDir>/address`: the URL a running daemon listens on, so the terminal client can find it. */
export function addressPath(dataDir: string): string {
  return join(dataDir, 'address')
}

export function writeAddress(dataDir: string, url: string): void {
  // Written whole (temp file + rename): a client never reads half a URL.
  const tmp = `${addressPath(dataDir)}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(tmp, `${url}\n`, { mode: 0o600 })
  renameSync(tmp, addressPath(dataDir))
}

export function readAddress(dataDir: string): string | null {
  try {
    return readFileSync(addressPath(dataDir), 'utf8').trim() || null
  } catch {
    return null
  }
}

/** At a clean stop; only our own address, in case another daemon has taken the data dir since. */
export function removeAddress(dataDir: string, url: string): void {
  if (readAddress(dataDir) === url) rmSync(addressPath(dataDir), { force: true })
}
