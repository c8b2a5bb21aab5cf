import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../../src/config.js'
import { noticeFor, sessionUrl } from '../../src/notify/messages.js'
import { pushTopic } from '../../src/notify/senders.js'

const parse = (env: Record<string, string>, argv: string[] = []) =>
  parseConfig(env, argv, '/home/u')

describe('notification settings', () => {
  it('defaults to nothing configured, a mailto: subject, 10 s first retry and 24 h give-up', () => {
    const c = parse({})
    expect(c.notifyUrls).toEqual([])
    expect(c.notifySecret).toBeNull()
    expect(c.ntfyUrl).toBeNull()
    expect(c.publicUrl).toBeNull()
    expect(c.vapidSubject).toBe('mailto:agentmux@localhost')
    expect(c.notifyRetryMs).toBe(10_000)
    expect(c.notifyGiveUpMs).toBe(24 * 60 * 60 * 1000)
  })

  it('reads comma-separated webhooks, the secret, ntfy and the public URL; flags win', () => {
    const c = parse(
      {
        AGENTMUX_NOTIFY_URL: ' https://a.example/hook , http://127.0.0.1:9/x ,',
        AGENTMUX_NOTIFY_SECRET: 's3cret',
        AGENTMUX_NTFY_URL: 'https://ntfy.sh/topic',
        AGENTMUX_PUBLIC_URL: 'https://env.example',
        AGENTMUX_NOTIFY_RETRY_MS: '50',
      },
      ['--public-url', 'https://flag.example']
    )
    expect(c.notifyUrls).toEqual(['https://a.example/hook', 'http://127.0.0.1:9/x'])
    expect(c.notifySecret).toBe('s3cret')
    expect(c.ntfyUrl).toBe('https://ntfy.sh/topic')
    expect(c.publicUrl).toBe('https://flag.example')
    expect(c.notifyRetryMs).toBe(50)
  })

  it('refuses bad values with a clear message', () => {
    expect(() => parse({ AGENTMUX_NOTIFY_URL: 'ftp://x.example/hook' })).toThrow(ConfigError)
    expect(() => parse({ AGENTMUX_NOTIFY_URL: 'not a url' })).toThrow(/AGENTMUX_NOTIFY_URL/)
    expect(() => parse({ AGENTMUX_NTFY_URL: 'ntfy.sh/topic' })).toThrow(/AGENTMUX_NTFY_URL/)
    expect(() => parse({ AGENTMUX_VAPID_SUBJECT: 'owner@example.com' })).toThrow(
      /AGENTMUX_VAPID_SUBJECT/
    )
    expect(() => parse({ AGENTMUX_NOTIFY_RETRY_MS: '0' })).toThrow(ConfigError)
  })
})

describe('notices', () => {
  const event = (kind: string, body: Record<string, unknown>) => ({
    id: 7,
    sessionId: 'ses_abc',
    turnId: 'trn_1',
    kind,
    body: JSON.stringify({ kind, ...body }),
    title: '',
    preview: 'line one\n\nline   two',
  })

  it('links to the page, with the request in the deep link', () => {
    expect(sessionUrl('https://x.example/', 'ses_abc')).toBe('https://x.example/#/s/ses_abc')
    expect(sessionUrl('https://x.example', 'ses_abc', 'req 1')).toBe(
      'https://x.example/#/s/ses_abc?request=req%201'
    )
  })

  it('says what happened, and skips interrupted turns', () => {
    const done = noticeFor(event('turn.ended', { status: 'completed' }), 'https://x')!
    expect(done).toMatchObject({
      heading: '✓ Untitled session',
      summary: 'line one line two',
      tag: 'ses_abc:turn',
      urgent: false,
    })
    expect(noticeFor(event('turn.ended', { status: 'failed' }), 'https://x')!.summary).toBe(
      'Turn failed'
    )
    expect(noticeFor(event('turn.ended', { status: 'interrupted' }), 'https://x')).toBeNull()
    expect(
      noticeFor(event('turn.ended', { status: 'cancelled', durationMs: 1200 }), 'https://x')!
        .heading
    ).toBe('■ Untitled session')
    // A queued turn removed before it ran (the queue ends it cancelled after 0 ms).
    expect(
      noticeFor(event('turn.ended', { status: 'cancelled', durationMs: 0 }), 'https://x')
    ).toBeNull()
    const q = noticeFor(
      event('permission.requested', {
        requestId: 'r1',
        toolName: 'AskUserQuestion',
        summary: 'Which one?',
        requestKind: 'question',
      }),
      'https://x'
    )!
    expect(q).toMatchObject({ summary: 'Which one?', urgent: true, tag: 'ses_abc:permission' })
    const late = noticeFor(
      event('permission.resolved', { requestId: 'r1', decision: 'deny', by: 'timeout' }),
      'https://x'
    )!
    expect(late).toMatchObject({ summary: 'The request timed out', tag: 'ses_abc:permission' })
  })

  it('keeps push topics within 32 base64url characters', () => {
    const base = noticeFor(
      event('permission.requested', { requestId: 'req_short', toolName: 'Bash', summary: 'ls' }),
      'https://x'
    )!
    expect(pushTopic(base)).toBe('req_short')
    const long = { ...base, requestId: 'a-very-long-request-id-with/odd:chars-and-more-than-32' }
    expect(pushTopic(long)).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(pushTopic({ ...base, requestId: undefined })).toMatch(/^[A-Za-z0-9_-]{1,32}$/)
  })
})
