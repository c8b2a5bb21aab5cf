import { createECDH, randomBytes } from 'node:crypto'
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

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
  // What web-push's generateVAPIDKeys does, without loading web-push (~200 ms) at start-up.
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  const priv = ecdh.getPrivateKey()
  // A scalar with leading zero bytes comes back shorter; web-push wants exactly 32 bytes.
  const keys: VapidKeys = {
    publicKey: ecdh.getPublicKey().toString('base64url'),
    privateKey: Buffer.concat([Buffer.alloc(32 - priv.length), priv]).toString('base64url'),
  }
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  writeFileSync(tmp, `${JSON.stringify(keys)}\n`, { mode: 0o600 })
  renameSync(tmp, path)
  return keys
}
