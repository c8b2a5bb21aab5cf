/**
 * The subscriber's side of Web Push, written from the RFCs for the tests (not with web-push): a
 * P-256 key pair and auth secret, VAPID JWT verification (RFC 8292) and aes128gcm decryption
 * (RFC 8188 + RFC 8291).
 */
import {
  createDecipheriv,
  createECDH,
  createHmac,
  createPublicKey,
  randomBytes,
  verify,
  type ECDH,
} from 'node:crypto'

export interface Subscriber {
  ecdh: ECDH
  publicKey: Buffer
  auth: Buffer
  /** The body of POST /push/subscriptions for an endpoint. */
  subscription(endpoint: string): {
    endpoint: string
    expirationTime: null
    keys: { p256dh: string; auth: string }
  }
}

export function newSubscriber(): Subscriber {
  const ecdh = createECDH('prime256v1')
  ecdh.generateKeys()
  const publicKey = ecdh.getPublicKey()
  const auth = randomBytes(16)
  return {
    ecdh,
    publicKey,
    auth,
    subscription: (endpoint) => ({
      endpoint,
      expirationTime: null,
      keys: { p256dh: publicKey.toString('base64url'), auth: auth.toString('base64url') },
    }),
  }
}

const hmac = (key: Buffer, data: Buffer) => createHmac('sha256', key).update(data).digest()

/** RFC 8291 §3.4 + RFC 8188 §2: one record (what a push message is), its padding stripped. */
export function decryptAes128gcm(
  body: Buffer,
  sub: Subscriber
): { plaintext: Buffer; recordSize: number; serverKey: Buffer } {
  const salt = body.subarray(0, 16)
  const recordSize = body.readUInt32BE(16)
  const idLen = body[20]!
  const serverKey = body.subarray(21, 21 + idLen)
  const record = body.subarray(21 + idLen)
  if (record.length > recordSize) throw new Error('more than one record')
  const ecdhSecret = sub.ecdh.computeSecret(serverKey)
  const prkKey = hmac(sub.auth, ecdhSecret)
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), sub.publicKey, serverKey])
  const ikm = hmac(prkKey, Buffer.concat([keyInfo, Buffer.from([1])]))
  const prk = hmac(salt, ikm)
  const cek = hmac(prk, Buffer.from('Content-Encoding: aes128gcm\0\x01', 'binary')).subarray(0, 16)
  const nonce = hmac(prk, Buffer.from('Content-Encoding: nonce\0\x01', 'binary')).subarray(0, 12)
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
  decipher.setAuthTag(record.subarray(record.length - 16))
  const padded = Buffer.concat([
    decipher.update(record.subarray(0, record.length - 16)),
    decipher.final(),
  ])
  let end = padded.length - 1
  while (end >= 0 && padded[end] === 0) end--
  // The last record's padding delimiter is 2.
  if (padded[end] !== 2) throw new Error(`bad padding delimiter ${padded[end]}`)
  return { plaintext: padded.subarray(0, end), recordSize, serverKey }
}

/** Splits `vapid t=<jwt>, k=<key>` and verifies the ES256 signature with k. */
export function verifyVapid(authorization: string): {
  header: Record<string, unknown>
  claims: Record<string, unknown>
  key: string
} {
  const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization)
  if (!m) throw new Error(`not a VAPID Authorization header: ${authorization}`)
  const [jwt, key] = [m[1]!, m[2]!]
  const [h, p, s] = jwt.split('.')
  if (!h || !p || !s) throw new Error('malformed JWT')
  const raw = Buffer.from(key, 'base64url')
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 point')
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33).toString('base64url'),
    },
    format: 'jwk',
  })
  const ok = verify(
    'sha256',
    Buffer.from(`${h}.${p}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(s, 'base64url')
  )
  if (!ok) throw new Error('VAPID JWT signature does not verify')
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>,
    claims: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>,
    key,
  }
}
