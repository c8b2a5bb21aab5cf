import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import {
  decryptAes128gcm,
  newSubscriber,
  verifyVapid,
  type Subscriber,
} from '../helpers/push-service.js'
import { startReceiver, type Received, type Receiver } from '../helpers/receiver.js'
import { attach, createSession, runTurn } from '../helpers/session.js'
import { openSse } from '../helpers/sse.js'
import { waitUntil } from '../helpers/wait.js'

let d: TestDaemon
let service: Receiver
let sub: Subscriber
let gone: Subscriber
let publicKey: string

beforeAll(async () => {
  // One push service: /good accepts, /gone answers 410 like an expired subscription.
  service = await startReceiver({ respond: (_, r) => (r.path.startsWith('/gone') ? 410 : 201) })
  d = await startTestDaemon({
    config: { notifyRetryMs: 50, vapidSubject: 'mailto:owner@example.com' },
  })
  sub = newSubscriber()
  gone = newSubscriber()
})
afterAll(async () => {
  await d?.stop()
  await service?.close()
})

const to = (path: string) => service.requests.filter((r) => r.path === path)

/** Waits until the notifier has looked at every event up to `eventId` and sent everything due. */
async function settled(eventId: number): Promise<void> {
  await waitUntil(
    () => {
      const s = d.daemon.stats().notify
      return s.cursor >= eventId && s.pending === 0
    },
    { timeoutMs: 15_000, label: `the notifier to settle past event ${eventId}` }
  )
}

function open(r: Received, s: Subscriber) {
  return JSON.parse(decryptAes128gcm(r.body, s).plaintext.toString('utf8')) as Record<
    string,
    unknown
  >
}

describe('Web Push', () => {
  it('serves the VAPID public key, kept in the data dir', async () => {
    const r = await d.api.get('/push/vapid-public-key')
    expect(r.status).toBe(200)
    publicKey = r.body.publicKey
    const raw = Buffer.from(publicKey, 'base64url')
    expect(raw.length).toBe(65)
    expect(raw[0]).toBe(4)
    expect(statSync(join(d.dataDir, 'vapid.json')).mode & 0o777).toBe(0o600)
  })

  it('refuses malformed subscriptions with 400 and accepts good ones with 201', async () => {
    const good = sub.subscription(`${service.url}/good`)
    const bad = [
      {},
      { endpoint: `${service.url}/x` },
      { ...good, endpoint: 'not a url' },
      { ...good, endpoint: 'http://push.example.com/x' },
      { ...good, keys: { ...good.keys, p256dh: good.keys.p256dh.slice(0, 40) } },
      { ...good, keys: { ...good.keys, auth: Buffer.alloc(8).toString('base64url') } },
      // 65 bytes starting with 4, but not a point on the curve.
      {
        ...good,
        keys: {
          ...good.keys,
          p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url'),
        },
      },
    ]
    for (const b of bad) {
      const r = await d.api.post('/push/subscriptions', b)
      expect(r.status, JSON.stringify(b)).toBe(400)
      expect(r.body.error.code).toBe('invalid_request')
    }
    expect((await d.api.post('/push/subscriptions', good)).status).toBe(201)
    expect(
      (await d.api.post('/push/subscriptions', gone.subscription(`${service.url}/gone`))).status
    ).toBe(201)
  })

  it('sends an encrypted, VAPID-signed push when a turn ends, and drops a 410 subscription at once', async () => {
    const s = await createSession(d, { title: 'Push me' })
    const { ended } = await runTurn(d, s.id, 'hello push')
    await settled(ended.id)

    expect(to('/good')).toHaveLength(1)
    expect(to('/gone')).toHaveLength(1)
    const r = to('/good')[0]!
    expect(r.headers['content-encoding']).toBe('aes128gcm')
    expect(r.headers['ttl']).toBe(String(24 * 60 * 60))
    expect(r.headers['urgency']).toBe('normal')
    expect(r.headers['topic']).toMatch(/^[A-Za-z0-9_-]{1,32}$/)

    const jwt = verifyVapid(r.headers['authorization'] as string)
    expect(jwt.key).toBe(publicKey)
    expect(jwt.header).toEqual({ typ: 'JWT', alg: 'ES256' })
    expect(jwt.claims.aud).toBe(service.url)
    expect(jwt.claims.sub).toBe('mailto:owner@example.com')
    const exp = jwt.claims.exp as number
    expect(exp).toBeGreaterThan(Date.now() / 1000)
    expect(exp).toBeLessThanOrEqual(Date.now() / 1000 + 24 * 60 * 60)

    const payload = open(r, sub)
    expect(payload).toMatchObject({
      kind: 'turn.ended',
      title: '✓ Push me',
      tag: `${s.id}:turn`,
      url: `${d.url}/#/s/${s.id}`,
      sessionId: s.id,
      requestId: null,
      urgent: false,
    })
    expect(typeof payload.body).toBe('string')
    // The subscriber's key really was needed: another key pair cannot open it.
    expect(() => open(r, gone)).toThrow()

    // The 410 subscription is gone: the next turn reaches only the good one.
    const next = await runTurn(d, s.id, 'again')
    await settled(next.ended.id)
    expect(to('/good')).toHaveLength(2)
    expect(to('/gone')).toHaveLength(1)
  })

  it('skips the push while a visible page is attached to the session, not while a hidden one is', async () => {
    const s = await createSession(d, { title: 'Watched' })
    const before = to('/good').length
    const page = await openSse(`${d.url}/sessions/${s.id}/events?after=0&visible=1`, {
      token: d.token,
    })
    try {
      const { ended } = await runTurn(d, s.id, 'while watched')
      await settled(ended.id)
      expect(to('/good').length).toBe(before)
    } finally {
      page.close()
    }
    // Hidden pages attach without visible=1: the push goes out.
    const hidden = await attach(d, s.id)
    try {
      await waitUntil(() => d.daemon.stats().sseClients === 1, {
        label: 'only the hidden stream left',
      })
      const { ended } = await runTurn(d, s.id, 'while hidden')
      await settled(ended.id)
      expect(to('/good').length).toBe(before + 1)
    } finally {
      hidden.close()
    }
  })

  it('DELETE /push/subscriptions stops pushes to that endpoint', async () => {
    const r = await d.api.call('DELETE', '/push/subscriptions', { endpoint: `${service.url}/good` })
    expect(r.status).toBe(204)
    const before = to('/good').length
    const s = await createSession(d)
    const { ended } = await runTurn(d, s.id, 'nobody listens')
    await settled(ended.id)
    expect(to('/good').length).toBe(before)
    expect((await d.api.call('DELETE', '/push/subscriptions', { nope: 1 })).status).toBe(400)
  })

  it('refuses more than 64 subscriptions with 409, but an existing one may renew its keys', async () => {
    // The tests above removed theirs (410, DELETE): the table is empty here.
    const endpoints = Array.from({ length: 64 }, (_, i) => `https://push.example.com/cap-${i}`)
    for (const e of endpoints)
      expect(
        (await d.api.post('/push/subscriptions', newSubscriber().subscription(e))).status
      ).toBe(201)
    const over = await d.api.post(
      '/push/subscriptions',
      newSubscriber().subscription('https://push.example.com/one-more')
    )
    expect(over.status).toBe(409)
    expect(over.body.error.code).toBe('too_many_subscriptions')
    expect(
      (await d.api.post('/push/subscriptions', newSubscriber().subscription(endpoints[0]!))).status
    ).toBe(201)
    for (const e of endpoints)
      expect((await d.api.call('DELETE', '/push/subscriptions', { endpoint: e })).status).toBe(204)
  })
})
