import { createHash, createHmac } from 'node:crypto'
import type { PushSubscriptionRow } from '../storage/outbox.js'
import { pushPayload, webhookBody, type Notice } from './messages.js'
import type { VapidKeys } from './vapid.js'

/** What one delivery attempt came to. `gone`: the push service forgot the subscription. */
export type Outcome = { kind: 'ok' } | { kind: 'retry'; error: string } | { kind: 'gone' }

const TIMEOUT_MS = 15_000
const HOUR_S = 60 * 60

/** fetch refuses a URL with credentials in it: `https://user:pass@host/topic` becomes Basic auth. */
function withoutCredentials(url: string, headers: Record<string, string>): string {
  const u = new URL(url)
  if (!u.username && !u.password) return url
  const user = decodeURIComponent(u.username)
  const pass = decodeURIComponent(u.password)
  headers.Authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`
  u.username = ''
  u.password = ''
  return u.toString()
}

/** One POST; `gone` (push): 404/410 means the subscription will never come back. */
async function post(
  url: string,
  headers: Record<string, string>,
  body: string | Uint8Array,
  gone = false
): Promise<Outcome> {
  try {
    const target = withoutCredentials(url, headers)
    const res = await fetch(target, {
      method: 'POST',
      headers,
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    // The body is not needed, but it must be read or dropped to free the connection.
    await res.body?.cancel().catch(() => {})
    if (gone && (res.status === 404 || res.status === 410)) return { kind: 'gone' }
    if (res.status >= 200 && res.status < 300) return { kind: 'ok' }
    return { kind: 'retry', error: `HTTP ${res.status}` }
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } }
    return { kind: 'retry', error: e.cause?.code ?? e.cause?.message ?? e.message }
  }
}

/** The same key on every retry of a delivery, so the receiver can drop duplicates. */
export function idempotencyKey(n: Notice): string {
  return `agentmux-event-${n.eventId}`
}

export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

export function sendWebhook(url: string, n: Notice, secret: string | null): Promise<Outcome> {
  const body = webhookBody(n)
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    'User-Agent': 'agentmux',
    'Idempotency-Key': idempotencyKey(n),
  }
  if (secret) headers['X-Agentmux-Signature'] = signature(body, secret)
  return post(url, headers, body)
}

/** HTTP headers are Latin-1; ntfy decodes RFC 2047 encoded words for anything else. */
function headerText(s: string): string {
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`
}

const NTFY_TAGS: Record<string, string> = {
  completed: 'white_check_mark',
  failed: 'x',
  cancelled: 'stop_button',
}

export function sendNtfy(url: string, n: Notice): Promise<Outcome> {
  const request = n.event === 'permission.requested'
  const title = request ? `${n.title} needs you` : `${n.title}: turn ${n.status ?? 'ended'}`
  return post(
    url,
    {
      'Content-Type': 'text/plain; charset=utf-8',
      Title: headerText(title),
      Priority: request ? 'high' : 'default',
      Tags: request ? 'bell' : (NTFY_TAGS[n.status ?? ''] ?? 'information_source'),
      Click: n.url,
    },
    n.summary
  )
}

/** A push Topic is at most 32 base64url characters; longer or odder ids are hashed down. */
export function pushTopic(n: Notice): string {
  const raw = n.requestId ?? `${n.sessionId}-turn`
  if (/^[A-Za-z0-9_-]{1,32}$/.test(raw)) return raw
  return createHash('sha256').update(raw).digest('base64url').slice(0, 32)
}

export interface PushSender {
  send(sub: PushSubscriptionRow, n: Notice): Promise<Outcome>
}

/** RFC 8030/8291/8292 via web-push (encryption and the VAPID JWT), sent with fetch. */
export function createPushSender(opts: { keys: VapidKeys; subject: string }): PushSender {
  const vapidDetails = {
    subject: opts.subject,
    publicKey: opts.keys.publicKey,
    privateKey: opts.keys.privateKey,
  }
  // Loaded on the first push: evaluating web-push and its crypto dependencies takes ~200 ms, which
  // a daemon with no subscription should not pay at start-up.
  let lib: Promise<typeof import('web-push')> | null = null
  return {
    async send(sub, n) {
      lib ??= import('web-push').then(
        (m) => (m as { default?: typeof import('web-push') }).default ?? m
      )
      const webpush = await lib
      const details = webpush.generateRequestDetails(
        { endpoint: sub.endpoint, keys: { p256dh: sub.p256dh, auth: sub.auth } },
        pushPayload(n),
        {
          vapidDetails,
          // An approval is stale within the hour; a finished turn is worth knowing about all day.
          TTL: n.event === 'turn.ended' ? 24 * HOUR_S : HOUR_S,
          urgency: n.urgent ? 'high' : 'normal',
          topic: pushTopic(n),
          contentEncoding: 'aes128gcm',
        }
      )
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(details.headers)) {
        if (k.toLowerCase() !== 'content-length') headers[k] = String(v)
      }
      const body = details.body ? new Uint8Array(details.body) : new Uint8Array()
      return post(sub.endpoint, headers, body, true)
    },
  }
}
