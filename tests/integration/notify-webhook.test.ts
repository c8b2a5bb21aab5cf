import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { createSession, runTurn } from '../helpers/session.js'
import { waitUntil } from '../helpers/wait.js'

const SECRET = 'webhook-secret-for-tests'
let d: TestDaemon
let hook: Receiver
let ntfy: Receiver

beforeAll(async () => {
  // The webhook answers 503 twice, then 200; ntfy always 200.
  hook = await startReceiver({ respond: (i) => (i < 2 ? 503 : 200) })
  ntfy = await startReceiver()
  d = await startTestDaemon({
    config: {
      notifyUrls: [`${hook.url}/hook`],
      notifySecret: SECRET,
      ntfyUrl: `http://tester:p%40ss@127.0.0.1:${ntfy.port}/agentmux-topic`,
      publicUrl: 'https://agentmux.example.com',
      notifyRetryMs: 50,
    },
  })
})
afterAll(async () => {
  await d?.stop()
  await hook?.close()
  await ntfy?.close()
})

describe('webhook and ntfy notifications', () => {
  it('retries a failing webhook with the same key until 2xx, signed, and never after', async () => {
    const s = await createSession(d, { title: 'Webhook ✓ test' })
    const { turnId, ended } = await runTurn(d, s.id, 'say hi')
    await waitUntil(() => hook.requests.some((r) => r.status === 200), {
      timeoutMs: 15_000,
      label: 'the webhook to get a 200',
    })
    // Once the outbox has nothing pending, the delivery row is settled: no further attempt can follow.
    await waitUntil(() => d.daemon.stats().notify.pending === 0, {
      timeoutMs: 10_000,
      label: 'the outbox to drain',
    })

    const attempts = hook.requests
    expect(attempts.length).toBeGreaterThanOrEqual(3)
    expect(attempts.map((r) => r.status)).toEqual([503, 503, 200])
    const keys = new Set(attempts.map((r) => r.headers['idempotency-key']))
    expect(keys.size).toBe(1)
    expect([...keys][0]).toBe(`agentmux-event-${ended.id}`)
    for (const r of attempts) {
      expect(r.method).toBe('POST')
      expect(r.path).toBe('/hook')
      expect(r.headers['content-type']).toBe('application/json')
      const expected = `sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`
      expect(r.headers['x-agentmux-signature']).toBe(expected)
    }
    const body = JSON.parse(attempts[0]!.body.toString('utf8'))
    expect(body).toEqual({
      id: ended.id,
      event: 'turn.ended',
      sessionId: s.id,
      title: 'Webhook ✓ test',
      turnId,
      status: 'completed',
      summary: expect.any(String),
      url: `https://agentmux.example.com/#/s/${s.id}`,
    })
    expect(body.summary.length).toBeGreaterThan(0)
    // A tampered body would not verify.
    const forged = `sha256=${createHmac('sha256', 'wrong').update(attempts[0]!.body).digest('hex')}`
    expect(attempts[0]!.headers['x-agentmux-signature']).not.toBe(forged)
  })

  it('posts to ntfy with Title, Priority, Tags and Click', async () => {
    await waitUntil(() => ntfy.requests.length >= 1, { timeoutMs: 10_000, label: 'the ntfy post' })
    const r = ntfy.requests[0]!
    expect(r.path).toBe('/agentmux-topic')
    // Credentials in the URL travel as Basic auth.
    expect(r.headers['authorization']).toBe(
      `Basic ${Buffer.from('tester:p@ss').toString('base64')}`
    )
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
    // Non-ASCII titles travel as an RFC 2047 encoded word, which ntfy decodes.
    const title = r.headers['title'] as string
    const m = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=$/.exec(title)
    expect(m).not.toBeNull()
    expect(Buffer.from(m![1]!, 'base64').toString('utf8')).toBe('Webhook ✓ test: turn completed')
    expect(r.headers['priority']).toBe('default')
    expect(r.headers['tags']).toBe('white_check_mark')
    expect(r.headers['click']).toMatch(/^https:\/\/agentmux\.example\.com\/#\/s\/ses_/)
    expect(r.body.toString('utf8').length).toBeGreaterThan(0)
  })
})
