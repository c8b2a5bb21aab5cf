import { createPublicKey } from 'node:crypto'
import { Hono } from 'hono'
import type { HttpBindings } from '@hono/node-server'
import { AppError, badRequest } from '../../errors.js'
import type { Outbox } from '../../storage/outbox.js'
import { PushSubscriptionBody, PushUnsubscribeBody } from '../schemas.js'
import { readJson } from '../validate.js'

/** A p256dh that is not a point on P-256 would make every push to it fail: refuse it now. */
function onCurve(p256dh: string): boolean {
  const raw = Buffer.from(p256dh, 'base64url')
  try {
    createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: raw.subarray(1, 33).toString('base64url'),
        y: raw.subarray(33).toString('base64url'),
      },
      format: 'jwk',
    })
    return true
  } catch {
    return false
  }
}

/** One per browser of one owner: more means something is subscribing in a loop. */
export const MAX_PUSH_SUBSCRIPTIONS = 64

/** Web Push: the daemon's VAPID key, and the browsers that want notifications. */
export function pushRoutes(deps: { outbox: Outbox; publicKey: string; now?: () => Date }) {
  const app = new Hono<{ Bindings: HttpBindings }>()
  const now = deps.now ?? (() => new Date())

  app.get('/push/vapid-public-key', (c) => c.json({ publicKey: deps.publicKey }))

  app.post('/push/subscriptions', async (c) => {
    const body = await readJson(c, PushSubscriptionBody)
    if (!onCurve(body.keys.p256dh))
      throw badRequest(
        'invalid_request',
        'invalid request body: keys.p256dh is not a P-256 public key'
      )
    const subs = deps.outbox.subscriptions()
    if (subs.length >= MAX_PUSH_SUBSCRIPTIONS && !subs.some((s) => s.endpoint === body.endpoint)) {
      throw new AppError(
        409,
        'too_many_subscriptions',
        `at most ${MAX_PUSH_SUBSCRIPTIONS} push subscriptions; remove one first`
      )
    }
    deps.outbox.addSubscription(
      { endpoint: body.endpoint, p256dh: body.keys.p256dh, auth: body.keys.auth },
      now().toISOString()
    )
    return c.json({ endpoint: body.endpoint }, 201)
  })

  // Idempotent: a page that lost track of its subscription can always clear it.
  app.delete('/push/subscriptions', async (c) => {
    const body = await readJson(c, PushUnsubscribeBody)
    deps.outbox.removeSubscription(body.endpoint)
    return c.body(null, 204)
  })

  return app
}
