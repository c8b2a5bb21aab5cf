import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import webpush from 'web-push'

export interface VapidKeys {
  /** base64url, uncompressed P-256 point (65 bytes): what the browser's pushManager.subscribe takes. */
  publicKey: string
  privateKey: string
}

/**
 * The daemon's VAPID key pair, generated once into the data dir (0600). It must outlive restarts:
 * every browser's subscription is bound to this public key.
 */
export function loadOrCreateVapidKeys(dataDir: string): VapidKeys {
  const path = join(dataDir, 'vapid.json')
  if (existsSync(path)) {
    const k = JSON.parse(readFileSync(path, 'utf8')) as Partial<VapidKeys>
    if (typeof k.publicKey === 'string' && typeof k.privateKey === 'string') {
      return { publicKey: k.publicKey, privateKey: k.privateKey }
    }
    throw new Error(`${path} is not a VAPID key pair; move it away to generate a new one`)
  }
  const keys = webpush.generateVAPIDKeys()
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(tmp, `${JSON.stringify(keys)}\n`, { mode: 0o600 })
  renameSync(tmp, path)
  return keys
}
