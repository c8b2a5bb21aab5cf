/**
 * The notifier over a real database, with real HTTP receivers: permission requests (which the
 * approvals work appends), their "answered" follow-up, and exactly-once planning across restarts.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { NewEvent } from '../../src/events/types.js'
import { silentLogger } from '../../src/log.js'
import { NOTIFY_KINDS } from '../../src/notify/messages.js'
import { createNotifier, type Notifier } from '../../src/notify/notifier.js'
import { createPresence } from '../../src/notify/presence.js'
import { createPushSender } from '../../src/notify/senders.js'
import { loadOrCreateVapidKeys } from '../../src/notify/vapid.js'
import { openTestDatabase } from '../helpers/test-database.js'
import { createOutbox } from '../../src/storage/outbox.js'
import { createStore } from '../../src/storage/store.js'
import { decryptAes128gcm, newSubscriber } from '../helpers/push-service.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { waitUntil } from '../helpers/wait.js'

const dirs: string[] = []
let hook: Receiver
let service: Receiver
const running: Notifier[] = []

beforeAll(async () => {
  hook = await startReceiver()
  service = await startReceiver({ respond: () => 201 })
})
afterEach(async () => {
  for (const n of running.splice(0)) await n.stop()
})
afterAll(async () => {
  await hook?.close()
  await service?.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function setup(dir = mkdtempSync(join(tmpdir(), 'agentmux-notify-'))) {
  if (!dirs.includes(dir)) dirs.push(dir)
  const { db } = openTestDatabase(dir)
  const store = createStore(db)
  const outbox = createOutbox(db, NOTIFY_KINDS)
  const presence = createPresence()
  const keys = loadOrCreateVapidKeys(dir)
  const start = () => {
    const n = createNotifier({
      outbox,
      log: silentLogger,
      presence,
      webhookUrls: [`${hook.url}/hook`],
      webhookSecret: null,
      ntfyUrl: null,
      push: createPushSender({ keys, subject: 'mailto:t@example.com' }),
      baseUrl: () => 'https://am.example',
      retryMs: 20,
      giveUpMs: 60_000,
      pollMs: 50,
    })
    running.push(n)
    n.start()
    return n
  }
  return { dir, db, store, outbox, presence, keys, start }
}

function session(store: ReturnType<typeof createStore>, id: string, title: string) {
  store.createSession({
    id,
    title,
    cwd: '/x',
    cwdIsDefault: true,
    model: null,
    permissionMode: null,
    allowedTools: [],
    appendSystemPrompt: null,
    claudeSessionId: `u-${id}`,
  })
}

function requestEvent(requestId: string): NewEvent {
  return {
    kind: 'permission.requested',
    requestId,
    turnId: 'trn_1',
    toolName: 'Bash',
    toolUseId: 'toolu_1',
    input: { command: 'rm -rf build' },
    summary: 'rm -rf build',
    suggestions: [],
    expiresAt: null,
    requestKind: 'tool',
  }
}

async function settle(outbox: ReturnType<typeof createOutbox>, eventId: number) {
  await waitUntil(() => outbox.cursor() >= eventId && outbox.pending() === 0, {
    timeoutMs: 10_000,
    label: `settled past ${eventId}`,
  })
}

describe('permission notifications', () => {
  it('sends an urgent request, then replaces it with "answered" on the devices that got it', async () => {
    const t = setup()
    session(t.store, 'ses_p1', 'Deploy')
    const sub = newSubscriber()
    t.outbox.addSubscription(
      { endpoint: `${service.url}/p1`, ...sub.subscription('').keys },
      new Date().toISOString()
    )
    const n = t.start()
    const hooksBefore = hook.requests.length

    const [req] = t.store.append('ses_p1', 'trn_1', [requestEvent('req_abc123')])
    n.wake()
    await settle(t.outbox, req!.id)
    const pushes = service.requests.filter((r) => r.path === '/p1')
    expect(pushes).toHaveLength(1)
    expect(pushes[0]!.headers['urgency']).toBe('high')
    expect(pushes[0]!.headers['ttl']).toBe('3600')
    expect(pushes[0]!.headers['topic']).toBe('req_abc123')
    const shown = JSON.parse(decryptAes128gcm(pushes[0]!.body, sub).plaintext.toString('utf8'))
    expect(shown).toMatchObject({
      kind: 'permission.requested',
      title: '● Deploy needs you',
      body: 'Bash: rm -rf build',
      tag: 'ses_p1:permission',
      url: 'https://am.example/#/s/ses_p1?request=req_abc123',
      requestId: 'req_abc123',
      urgent: true,
    })
    const webhook = hook.requests.slice(hooksBefore)
    expect(webhook).toHaveLength(1)
    expect(JSON.parse(webhook[0]!.body.toString('utf8'))).toEqual({
      id: req!.id,
      event: 'permission.requested',
      sessionId: 'ses_p1',
      title: 'Deploy',
      turnId: 'trn_1',
      requestId: 'req_abc123',
      toolName: 'Bash',
      summary: 'Bash: rm -rf build',
      url: 'https://am.example/#/s/ses_p1?request=req_abc123',
    })

    const [res] = t.store.append('ses_p1', 'trn_1', [
      {
        kind: 'permission.resolved',
        requestId: 'req_abc123',
        decision: 'allow',
        by: 'user',
      } as NewEvent,
    ])
    n.wake()
    await settle(t.outbox, res!.id)
    const after = service.requests.filter((r) => r.path === '/p1')
    expect(after).toHaveLength(2)
    const replaced = JSON.parse(decryptAes128gcm(after[1]!.body, sub).plaintext.toString('utf8'))
    expect(replaced).toMatchObject({
      kind: 'permission.resolved',
      tag: 'ses_p1:permission',
      body: 'Answered on another device (allowed)',
    })
    expect(after[1]!.headers['topic']).toBe('req_abc123')
    // The webhook is not told about answers (issue 11.7 names only the two triggers).
    expect(hook.requests.length - hooksBefore).toBe(1)
  })

  it('sends no "answered" push for a request that was never pushed (a visible page was attached)', async () => {
    const t = setup()
    session(t.store, 'ses_p2', 'Watched')
    const sub = newSubscriber()
    t.outbox.addSubscription(
      { endpoint: `${service.url}/p2`, ...sub.subscription('').keys },
      new Date().toISOString()
    )
    const leave = t.presence.attach('ses_p2')
    const n = t.start()
    const [req] = t.store.append('ses_p2', 'trn_1', [requestEvent('req_seen')])
    n.wake()
    await settle(t.outbox, req!.id)
    leave()
    const [res] = t.store.append('ses_p2', 'trn_1', [
      {
        kind: 'permission.resolved',
        requestId: 'req_seen',
        decision: 'deny',
        by: 'user',
      } as NewEvent,
    ])
    n.wake()
    await settle(t.outbox, res!.id)
    expect(service.requests.filter((r) => r.path === '/p2')).toHaveLength(0)
  })

  it('turns each event into deliveries once, across a restart of the notifier', async () => {
    const t = setup()
    session(t.store, 'ses_p3', 'Once')
    const first = t.start()
    const hooksBefore = hook.requests.length
    const [ended] = t.store.append('ses_p3', 'trn_9', [
      { kind: 'turn.ended', status: 'failed', durationMs: 5, exitCode: 1, signal: null },
    ])
    first.wake()
    await settle(t.outbox, ended!.id)
    await first.stop()
    const second = t.start()
    // Another event after the restart: the second notifier sends it, and only it.
    const [next] = t.store.append('ses_p3', 'trn_10', [
      { kind: 'turn.ended', status: 'interrupted', durationMs: 5, exitCode: null, signal: null },
      { kind: 'turn.ended', status: 'cancelled', durationMs: 5, exitCode: null, signal: 'SIGINT' },
    ])
    second.wake()
    await settle(t.outbox, next!.id + 1)
    const bodies = hook.requests
      .slice(hooksBefore)
      .map((r) => JSON.parse(r.body.toString('utf8')) as { id: number; status: string })
    // interrupted is not a trigger; failed and cancelled are, once each.
    expect(bodies.map((b) => b.status)).toEqual(['failed', 'cancelled'])
    expect(new Set(bodies.map((b) => b.id)).size).toBe(2)
  })

  it('keeps the VAPID key pair across restarts', () => {
    const t = setup()
    expect(loadOrCreateVapidKeys(t.dir)).toEqual(t.keys)
  })
})
