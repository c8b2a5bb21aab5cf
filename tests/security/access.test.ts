/**
 * Issue 3: who may reach the API. Every route with and without the token, Host allowlist, cookie
 * login and CSRF, token file and rotation, rate limiting, CORS, security headers, the CLI, the
 * non-loopback warning, and what the logs must never contain. Real sockets throughout.
 */
import { execFile } from 'node:child_process'
import { createECDH } from 'node:crypto'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { COOKIE_NAME } from '../../src/auth/cookie.js'
import { createRateLimiter, limiterKey } from '../../src/auth/rate-limit.js'
import { rotateToken, tokenPath } from '../../src/auth/token-file.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { spawnDaemon, type DaemonProcess } from '../helpers/process-daemon.js'
import { openSse } from '../helpers/sse.js'
import { waitUntil, withTimeout } from '../helpers/wait.js'
import {
  expectError,
  isErrorShape,
  parseSetCookie,
  raw as rawRequest,
  type RawRequest,
  type RawResponse,
} from './http.js'

const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/src/main.js')
const JSON_TYPE = { 'content-type': 'application/json' }

/** Every response this file sees, checked at the end for CORS headers. */
const seen: { what: string; headers: RawResponse['headers'] }[] = []
async function raw(base: string, req: RawRequest): Promise<RawResponse> {
  const r = await rawRequest(base, req)
  seen.push({ what: `${req.method ?? 'GET'} ${req.path} → ${r.status}`, headers: r.headers })
  return r
}

/** A client address of its own (127.0.0.0/8 is all loopback), so tests do not share a rate-limit bucket. */
let addressCounter = 0
function freshAddress(): string {
  addressCounter++
  return `127.0.${Math.floor(addressCounter / 250) + 1}.${(addressCounter % 250) + 1}`
}

const hostOf = (url: string) => new URL(url).host
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

const pushKey = createECDH('prime256v1')
pushKey.generateKeys()
const PUSH_SUBSCRIPTION = JSON.stringify({
  endpoint: 'https://push.example.com/route-check',
  keys: {
    p256dh: pushKey.getPublicKey().toString('base64url'),
    auth: Buffer.alloc(16, 7).toString('base64url'),
  },
})
type Route = {
  method: string
  path: (id: string) => string
  body?: string
  sse?: boolean
  ok: number
}
/** Every route of the API. Bodies are valid, so the token is the only thing that can be wrong. */
const ROUTES: Route[] = [
  { method: 'GET', path: () => '/sessions', ok: 200 },
  { method: 'POST', path: () => '/sessions', body: '{"title":"made by the route check"}', ok: 201 },
  { method: 'GET', path: (id) => `/sessions/${id}`, ok: 200 },
  { method: 'PATCH', path: (id) => `/sessions/${id}`, body: '{"title":"patched"}', ok: 200 },
  {
    method: 'POST',
    path: (id) => `/sessions/${id}/turns`,
    body: '{"prompt":"hello from the route check"}',
    ok: 202,
  },
  { method: 'GET', path: (id) => `/sessions/${id}/turns`, ok: 200 },
  { method: 'POST', path: (id) => `/sessions/${id}/cancel`, ok: 200 },
  { method: 'POST', path: (id) => `/sessions/${id}/queue/resume`, ok: 200 },
  // No such queued turn: with the token, the answer is the route's own 404, past the auth check.
  {
    method: 'PATCH',
    path: (id) => `/sessions/${id}/turns/trn_0000000000000000`,
    body: '{"prompt":"edited"}',
    ok: 404,
  },
  { method: 'DELETE', path: (id) => `/sessions/${id}/turns/trn_0000000000000000`, ok: 404 },
  { method: 'GET', path: (id) => `/sessions/${id}/events`, sse: true, ok: 200 },
  { method: 'GET', path: (id) => `/sessions/${id}/history`, ok: 200 },
  { method: 'GET', path: () => '/events', sse: true, ok: 200 },
  { method: 'GET', path: () => '/push/vapid-public-key', ok: 200 },
  { method: 'POST', path: () => '/push/subscriptions', body: PUSH_SUBSCRIPTION, ok: 201 },
  {
    method: 'DELETE',
    path: () => '/push/subscriptions',
    body: `{"endpoint":"https://push.example.com/route-check"}`,
    ok: 204,
  },
  { method: 'GET', path: (id) => `/sessions/${id}/permissions`, ok: 200 },
  // No such request or rule: a 404 with the token still shows the route was reached past auth.
  {
    method: 'POST',
    path: (id) => `/sessions/${id}/permissions/no-such-request`,
    body: '{"decision":"allow"}',
    ok: 404,
  },
  { method: 'GET', path: (id) => `/sessions/${id}/rules`, ok: 200 },
  { method: 'DELETE', path: (id) => `/sessions/${id}/rules/rul_0123456789abcdef`, ok: 404 },
  // Last: it removes the session.
  { method: 'DELETE', path: (id) => `/sessions/${id}`, ok: 204 },
]
const OPEN_ROUTES = [
  { method: 'GET', path: '/healthz' },
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/assets/app.js' },
  { method: 'GET', path: '/sw.js' },
  { method: 'GET', path: '/manifest.webmanifest' },
  { method: 'GET', path: '/icons/icon-192.png' },
  { method: 'POST', path: '/auth/login', body: '{"token":"x"}' },
  { method: 'POST', path: '/auth/logout' },
]

let d: TestDaemon
let sid: string
let host: string

async function login(t: TestDaemon, token: string, headers: Record<string, string> = {}) {
  const r = await raw(t.url, {
    method: 'POST',
    path: '/auth/login',
    headers: { ...JSON_TYPE, ...headers },
    body: JSON.stringify({ token }),
    localAddress: freshAddress(),
  })
  expect(r.status, r.text).toBe(200)
  const c = parseSetCookie(r.headers['set-cookie'], COOKIE_NAME)
  expect(c).not.toBeNull()
  expect(r.json.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/)
  return {
    cookie: `${COOKIE_NAME}=${c!.value}`,
    attrs: c!.attrs,
    value: c!.value,
    csrf: r.json.csrf as string,
  }
}

async function sessionCount(t: TestDaemon, token: string): Promise<number> {
  const r = await raw(t.url, { path: '/sessions', headers: bearer(token) })
  expect(r.status).toBe(200)
  return r.json.sessions.length
}

beforeAll(async () => {
  // This daemon is for what each credential gets (401, 403, 200), so its failure budget is out of
  // reach; the limiter is tested on daemons of its own, with the defaults.
  d = await startTestDaemon({ rateLimit: { max: 1e9, globalMax: 1e9 } })
  host = hostOf(d.url)
  const r = await raw(d.url, {
    method: 'POST',
    path: '/sessions',
    headers: { ...bearer(d.token), ...JSON_TYPE },
    body: '{"title":"victim"}',
  })
  expect(r.status).toBe(201)
  sid = r.json.id
})

afterAll(async () => {
  await d?.stop()
  // Every response this file saw, preflights and errors included: none carried a CORS header.
  const leaky = seen.filter((s) =>
    Object.keys(s.headers).some((k) => k.startsWith('access-control-'))
  )
  expect(leaky.map((s) => s.what)).toEqual([])
})

describe('every route but the open ones needs the token', () => {
  const variants: {
    name: string
    headers: (token: string) => Record<string, string>
    query?: (token: string) => string
  }[] = [
    { name: 'no token', headers: () => ({}) },
    {
      name: 'a wrong token of the same length',
      headers: (t) => bearer(t.slice(0, -1) + (t.endsWith('x') ? 'y' : 'x')),
    },
    { name: 'a shorter token (a prefix)', headers: (t) => bearer(t.slice(0, 8)) },
    { name: 'a longer token (the token plus one character)', headers: (t) => bearer(`${t}0`) },
    {
      name: 'the token as Basic credentials',
      headers: (t) => ({
        authorization: `Basic ${Buffer.from(`agentmux:${t}`).toString('base64')}`,
      }),
    },
    { name: 'the token without the Bearer scheme', headers: (t) => ({ authorization: t }) },
    {
      name: 'the token in ?token=',
      headers: () => ({}),
      query: (t) => `token=${encodeURIComponent(t)}`,
    },
    {
      name: 'the token in ?access_token=',
      headers: () => ({}),
      query: (t) => `access_token=${encodeURIComponent(t)}`,
    },
    { name: 'the token as a cookie value', headers: (t) => ({ cookie: `${COOKIE_NAME}=${t}` }) },
  ]

  for (const v of variants) {
    it(`${v.name} → 401 JSON on every route, and nothing changes`, async () => {
      const before = await raw(d.url, { path: `/sessions/${sid}`, headers: bearer(d.token) })
      const count = await sessionCount(d, d.token)
      for (const route of ROUTES) {
        const q = v.query ? `?${v.query(d.token)}` : ''
        const r = await raw(d.url, {
          method: route.method,
          path: route.path(sid) + q,
          headers: { ...v.headers(d.token), ...(route.body ? JSON_TYPE : {}) },
          ...(route.body ? { body: route.body } : {}),
          // Each attempt from its own address: this test is about 401, not the rate limit.
          localAddress: freshAddress(),
        })
        expectError(r, 401)
        expect(['unauthorized', 'session_expired'], `${route.method} ${route.path(sid)}`).toContain(
          r.json.error.code
        )
        expect(r.headers['www-authenticate']).toBe('Bearer')
      }
      // No write happened: same session, same title, no turn, same count.
      const after = await raw(d.url, { path: `/sessions/${sid}`, headers: bearer(d.token) })
      expect(after.json).toEqual(before.json)
      expect(await sessionCount(d, d.token)).toBe(count)
      expect(
        (await raw(d.url, { path: `/sessions/${sid}/turns`, headers: bearer(d.token) })).json.turns
      ).toEqual([])
    })
  }

  it('a request without the token is refused before its body is read (no 1 MB buffered for strangers)', async () => {
    const { request } = await import('node:http')
    const url = new URL(d.url)
    const started = Date.now()
    const status = await withTimeout(
      new Promise<number>((resolveStatus, reject) => {
        const r = request(
          {
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path: '/sessions',
            headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
          },
          (res) => {
            resolveStatus(res.statusCode ?? 0)
            res.resume()
            r.destroy()
          }
        )
        r.on('error', (e) => (Date.now() - started < 5_000 ? reject(e) : undefined))
        // The start of a body, and then nothing: the answer must not wait for the rest.
        r.write(`{"title":"${'x'.repeat(1000)}`)
      }),
      5_000,
      'the 401 before the body ends'
    )
    expect(status).toBe(401)
  })

  it('an unknown route without the token is 401 too (no route discovery)', async () => {
    for (const path of [
      '/nope',
      '/sessions/ses_0123456789abcdef/nope',
      '/admin',
      '/healthz/x',
      '//sessions',
    ]) {
      expectError(await raw(d.url, { path }), 401)
    }
  })

  it('paths that normalise onto the API are not opened by an open prefix', async () => {
    for (const path of [
      '/assets/../sessions',
      '/assets/%2e%2e/sessions',
      '/assets/..%2fsessions',
      '/healthz/../sessions',
      '/auth/login/../../sessions',
    ]) {
      const r = await raw(d.url, { path })
      expect(r.status, `${path}: ${r.text}`).not.toBe(200)
      expect(r.text).not.toContain(sid)
      expect(r.status).toBeLessThan(500)
    }
  })

  it('with the right token every route answers (the checks above can fail)', async () => {
    const s = await raw(d.url, {
      method: 'POST',
      path: '/sessions',
      headers: { ...bearer(d.token), ...JSON_TYPE },
      body: '{}',
    })
    const id = s.json.id as string
    for (const route of ROUTES) {
      const r = await raw(d.url, {
        method: route.method,
        path: route.path(id),
        headers: { ...bearer(d.token), ...(route.body ? JSON_TYPE : {}) },
        ...(route.body ? { body: route.body } : {}),
        headersOnly: route.sse === true,
      })
      expect(r.status, `${route.method} ${route.path(id)}: ${r.text}`).toBe(route.ok)
      if (route.sse) expect(r.headers['content-type']).toMatch(/^text\/event-stream/)
      if (route.method === 'POST' && route.path(id).endsWith('/turns')) {
        // Let the turn end before the session is deleted.
        await waitUntil(
          async () =>
            (await raw(d.url, { path: `/sessions/${id}`, headers: bearer(d.token) })).json
              .status === 'idle',
          { timeoutMs: 20_000, label: 'the route-check turn to end' }
        )
      }
    }
  })

  it('the open routes answer without a token: /healthz, the page shell, login, logout', async () => {
    const health = await raw(d.url, { path: '/healthz' })
    expect(health.status).toBe(200)
    expect(health.json).toMatchObject({ ok: true })
    for (const route of OPEN_ROUTES) {
      // Logout is open but same-origin only (a cross-site form must not log the browser out).
      const origin = route.path === '/auth/logout' ? { origin: `http://${host}` } : {}
      const r = await raw(d.url, {
        method: route.method,
        path: route.path,
        headers: { ...(route.body ? JSON_TYPE : {}), ...origin },
        ...(route.body ? { body: route.body } : {}),
        localAddress: freshAddress(),
      })
      // Open means "not refused for want of a token": the page may be unbuilt (404), login may fail (401 unauthorized, not a missing token).
      if (route.path === '/auth/login') {
        expectError(r, 401, 'unauthorized')
        expect(r.json.error.message).not.toMatch(/Bearer/)
      } else {
        expect([200, 204, 404], `${route.method} ${route.path}: ${r.status} ${r.text}`).toContain(
          r.status
        )
      }
    }
  })
})

describe('Host allowlist (DNS rebinding)', () => {
  const foreign = () => [
    'evil.example',
    `evil.example:${new URL(d.url).port}`,
    'attacker.127.0.0.1.nip.io',
    `127.0.0.1.evil.example:${new URL(d.url).port}`,
  ]

  it('a foreign Host gets 421 on every route, /healthz and the page included, token or not', async () => {
    for (const h of foreign()) {
      const paths: { method: string; path: string; body?: string }[] = [
        ...ROUTES.map((r) => ({
          method: r.method,
          path: r.path(sid),
          ...(r.body ? { body: r.body } : {}),
        })),
        ...OPEN_ROUTES,
      ]
      for (const p of paths) {
        for (const auth of [{}, bearer(d.token)]) {
          const r = await raw(d.url, {
            method: p.method,
            path: p.path,
            headers: { host: h, ...auth, ...(p.body ? JSON_TYPE : {}) },
            ...(p.body ? { body: p.body } : {}),
          })
          expectError(r, 421, 'host_not_allowed')
        }
      }
    }
    // The session survived every refused DELETE and PATCH.
    expect(
      (await raw(d.url, { path: `/sessions/${sid}`, headers: bearer(d.token) })).json.title
    ).toBe('victim')
  })

  it('the bound address, localhost and 127.0.0.1 (any port, any case) are accepted', async () => {
    const port = new URL(d.url).port
    for (const h of [
      host,
      `localhost:${port}`,
      `LOCALHOST:${port}`,
      '127.0.0.1',
      'localhost',
      `[::1]:${port}`,
    ]) {
      const r = await raw(d.url, { path: '/healthz', headers: { host: h } })
      expect(r.status, h).toBe(200)
    }
  })

  it('AGENTMUX_ALLOWED_HOSTS adds a host (config in-process, env var in the process test)', async () => {
    const t = await startTestDaemon({ config: { allowedHosts: ['agentmux.example.com'] } })
    try {
      expect(
        (await raw(t.url, { path: '/healthz', headers: { host: 'agentmux.example.com' } })).status
      ).toBe(200)
      expect(
        (
          await raw(t.url, {
            path: '/sessions',
            headers: { host: 'agentmux.example.com:443', ...bearer(t.token) },
          })
        ).status
      ).toBe(200)
      expectError(
        await raw(t.url, { path: '/healthz', headers: { host: 'other.example.com' } }),
        421
      )
      expectError(
        await raw(t.url, { path: '/healthz', headers: { host: 'sub.agentmux.example.com' } }),
        421
      )
      // The default daemon does not know that name.
      expectError(
        await raw(d.url, { path: '/healthz', headers: { host: 'agentmux.example.com' } }),
        421
      )
    } finally {
      await t.stop()
    }
  })
})

describe('browser login with a cookie', () => {
  it('login sets an HttpOnly, SameSite=Strict, Path=/ cookie, not Secure on plain http', async () => {
    const c = await login(d, d.token)
    expect(c.attrs.has('httponly')).toBe(true)
    expect(c.attrs.get('samesite')).toBe('Strict')
    expect(c.attrs.get('path')).toBe('/')
    expect(c.attrs.has('secure')).toBe(false)
    expect(Number(c.attrs.get('max-age'))).toBeGreaterThan(0)
    // The cookie is not the token.
    expect(c.value).not.toContain(d.token)
  })

  it('behind a TLS proxy (X-Forwarded-Proto: https) the cookie is Secure', async () => {
    expect((await login(d, d.token, { 'x-forwarded-proto': 'https' })).attrs.has('secure')).toBe(
      true
    )
    expect(
      (await login(d, d.token, { 'x-forwarded-proto': 'https, http' })).attrs.has('secure')
    ).toBe(true)
    expect((await login(d, d.token, { 'x-forwarded-proto': 'http' })).attrs.has('secure')).toBe(
      false
    )
  })

  it('the cookie works for GET /sessions and for the SSE streams, as EventSource sends it', async () => {
    const { cookie } = await login(d, d.token)
    const r = await raw(d.url, { path: '/sessions', headers: { cookie } })
    expect(r.status).toBe(200)
    expect(r.json.sessions.map((s: { id: string }) => s.id)).toContain(sid)
    for (const path of ['/events', `/sessions/${sid}/events`]) {
      const sse = await openSse(`${d.url}${path}`, { headers: { cookie } })
      try {
        expect(sse.status).toBe(200)
        await sse.waitFor(
          (c) => c.frames.some((f) => f.event === 'caught-up'),
          `caught-up on ${path}`,
          10_000
        )
      } finally {
        sse.close()
      }
    }
  })

  it('a forged or tampered cookie is refused with 401 session_expired', async () => {
    const { value } = await login(d, d.token)
    const parts = value.split('.')
    const tampered = [
      `${parts[0]}.${Number(parts[1]) + 1}.${parts[2]}.${parts[3]}`,
      // A different signature whatever it was: its second-to-last character (6 significant bits)
      // changes, and its last becomes one that is never issued (ignored bits set).
      `${parts[0]}.${parts[1]}.${parts[2]}.${parts[3]!.slice(0, -2)}${parts[3]!.at(-2) === 'A' ? 'B' : 'A'}B`,
      `${parts[0]}.${parts[1]}.${parts[2]}.${parts[3]!.slice(0, -1)}${String.fromCharCode(parts[3]!.charCodeAt(parts[3]!.length - 1) ^ 1)}`,
      `${parts[0]}.${parts[1]}.${parts[2]}`,
      'v1.0.x.y',
      '',
    ]
    for (const v of tampered) {
      expectError(
        await raw(d.url, {
          path: '/sessions',
          headers: { cookie: `${COOKIE_NAME}=${v}` },
          localAddress: freshAddress(),
        }),
        401,
        'session_expired'
      )
    }
  })

  it('logout clears the cookie (Max-Age=0, same attributes); without it the browser is refused', async () => {
    const { cookie } = await login(d, d.token)
    const r = await raw(d.url, {
      method: 'POST',
      path: '/auth/logout',
      headers: { cookie, origin: `http://${host}` },
    })
    expect(r.status).toBe(204)
    const cleared = parseSetCookie(r.headers['set-cookie'], COOKIE_NAME)
    expect(cleared).not.toBeNull()
    expect(cleared!.value).toBe('')
    expect(cleared!.attrs.get('max-age')).toBe('0')
    expect(cleared!.attrs.get('path')).toBe('/')
    expect(cleared!.attrs.has('httponly')).toBe(true)
    expect(cleared!.attrs.get('samesite')).toBe('Strict')
    // A browser applies the empty cookie: it then has none, and is refused.
    expectError(
      await raw(d.url, {
        path: '/sessions',
        headers: { cookie: `${COOKIE_NAME}=` },
        localAddress: freshAddress(),
      }),
      401
    )
    expectError(await raw(d.url, { path: '/sessions' }), 401)
  })

  it('a cross-site logout (a form POST from another origin, or no Origin at all) is refused and clears nothing', async () => {
    const { cookie } = await login(d, d.token)
    const port = Number(new URL(d.url).port)
    const forms: Record<string, string>[] = [
      {},
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: `http://127.0.0.1:${port === 65535 ? port - 1 : port + 1}` },
      { origin: `https://${host}` },
    ]
    for (const h of forms) {
      const r = await raw(d.url, {
        method: 'POST',
        path: '/auth/logout',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...h },
        body: 'x=1',
      })
      expectError(r, 403, 'cross_origin')
      expect(r.headers['set-cookie']).toBeUndefined()
    }
  })

  it('a wrong token at login gets 401 JSON and no cookie; a malformed login gets 4xx and no cookie', async () => {
    const wrong = await raw(d.url, {
      method: 'POST',
      path: '/auth/login',
      headers: JSON_TYPE,
      body: JSON.stringify({ token: `${d.token}x` }),
      localAddress: freshAddress(),
    })
    expectError(wrong, 401, 'unauthorized')
    expect(wrong.headers['set-cookie']).toBeUndefined()
    const bad: RawRequest[] = [
      {
        method: 'POST',
        path: '/auth/login',
        body: `token=${d.token}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      { method: 'POST', path: '/auth/login', body: '{"token":', headers: JSON_TYPE },
      {
        method: 'POST',
        path: '/auth/login',
        body: JSON.stringify({ token: d.token, admin: true }),
        headers: JSON_TYPE,
      },
      { method: 'POST', path: `/auth/login?token=${d.token}`, headers: JSON_TYPE },
      { method: 'GET', path: `/auth/login?token=${d.token}` },
    ]
    for (const b of bad) {
      const r = await raw(d.url, { ...b, localAddress: freshAddress() })
      expect(r.status, `${b.path} ${r.text}`).toBeGreaterThanOrEqual(400)
      expect(r.status).toBeLessThan(500)
      expect(isErrorShape(r.json), r.text).toBe(true)
      expect(r.headers['set-cookie']).toBeUndefined()
    }
  })
})

describe('CSRF: a cookie request that changes state must come from our own origin and carry the login secret', () => {
  let cookie: string
  let csrf: string
  beforeAll(async () => {
    ;({ cookie, csrf } = await login(d, d.token))
  })

  // Every request here carries the right secret, so the Origin is the only thing that can be wrong.
  const create = (headers: Record<string, string>) =>
    raw(d.url, {
      method: 'POST',
      path: '/sessions',
      headers: { cookie, 'x-agentmux-csrf': csrf, ...JSON_TYPE, ...headers },
      body: '{"title":"csrf"}',
    })

  it('no Origin and no Referer → 403', async () => {
    const n = await sessionCount(d, d.token)
    expectError(await create({}), 403, 'cross_origin')
    expect(await sessionCount(d, d.token)).toBe(n)
  })

  it('a foreign Origin, the "null" Origin, or a foreign Referer → 403', async () => {
    const n = await sessionCount(d, d.token)
    const port = new URL(d.url).port
    const foreignSources: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: `http://evil.example:${port}` },
      { origin: 'null' },
      { origin: 'not a url' },
      { referer: 'http://evil.example/page' },
      { referer: `http://127.0.0.1.evil.example:${port}/` },
      // Origin wins over Referer.
      { origin: 'http://evil.example', referer: `http://${host}/` },
    ]
    for (const h of foreignSources) {
      expectError(await create(h), 403, 'cross_origin')
    }
    expect(await sessionCount(d, d.token)).toBe(n)
  })

  it('the same host name on another port is another origin → 403', async () => {
    const port = Number(new URL(d.url).port)
    const other = port === 65535 ? port - 1 : port + 1
    expectError(await create({ origin: `http://127.0.0.1:${other}` }), 403, 'cross_origin')
    expectError(await create({ origin: 'http://127.0.0.1' }), 403, 'cross_origin')
    expectError(await create({ referer: `http://127.0.0.1:${other}/` }), 403, 'cross_origin')
  })

  it('the right host:port under another scheme is another origin → 403 (https, ws, javascript, file)', async () => {
    const n = await sessionCount(d, d.token)
    for (const scheme of ['https', 'ws', 'wss', 'javascript', 'file', 'ftp', 'chrome-extension']) {
      expectError(await create({ origin: `${scheme}://${host}` }), 403, 'cross_origin')
      expectError(await create({ referer: `${scheme}://${host}/page` }), 403, 'cross_origin')
    }
    // Behind a TLS proxy that says so, https is ours and plain http is not.
    expectError(
      await create({ origin: `http://${host}`, 'x-forwarded-proto': 'https' }),
      403,
      'cross_origin'
    )
    expect((await create({ origin: `https://${host}`, 'x-forwarded-proto': 'https' })).status).toBe(
      201
    )
    expect(await sessionCount(d, d.token)).toBe(n + 1)
  })

  it('a matching Origin or Referer → allowed', async () => {
    expect((await create({ origin: `http://${host}` })).status).toBe(201)
    expect((await create({ referer: `http://${host}/some/page?x=1` })).status).toBe(201)
  })

  it("the cookie alone, with our own Origin, changes nothing: no secret, a wrong one, or another login's → 403", async () => {
    const n = await sessionCount(d, d.token)
    const other = await login(d, d.token)
    const origin = `http://${host}`
    const attempts: Record<string, string>[] = [
      {},
      { 'x-agentmux-csrf': '' },
      { 'x-agentmux-csrf': 'A'.repeat(43) },
      { 'x-agentmux-csrf': `${csrf}x` },
      // A secret is bound to its own login's cookie.
      { 'x-agentmux-csrf': other.csrf },
    ]
    for (const h of attempts) {
      const r = await raw(d.url, {
        method: 'POST',
        path: '/sessions',
        headers: { cookie, origin, ...JSON_TYPE, ...h },
        body: '{"title":"forged"}',
      })
      expectError(r, 403, 'csrf_required')
    }
    expect(await sessionCount(d, d.token)).toBe(n)
    // Each login's own pair works.
    const ok = await raw(d.url, {
      method: 'POST',
      path: '/sessions',
      headers: { cookie: other.cookie, 'x-agentmux-csrf': other.csrf, origin, ...JSON_TYPE },
      body: '{}',
    })
    expect(ok.status).toBe(201)
  })

  it('PATCH and DELETE are checked the same way', async () => {
    const id = (await create({ origin: `http://${host}` })).json.id as string
    const patch = (headers: Record<string, string>) =>
      raw(d.url, {
        method: 'PATCH',
        path: `/sessions/${id}`,
        headers: { cookie, 'x-agentmux-csrf': csrf, ...JSON_TYPE, ...headers },
        body: '{"title":"changed"}',
      })
    const del = (headers: Record<string, string>) =>
      raw(d.url, {
        method: 'DELETE',
        path: `/sessions/${id}`,
        headers: { cookie, 'x-agentmux-csrf': csrf, ...headers },
      })
    const origin = `http://${host}`
    expectError(await patch({}), 403, 'cross_origin')
    expectError(await patch({ origin: 'http://evil.example' }), 403, 'cross_origin')
    expectError(await patch({ origin, 'x-agentmux-csrf': '' }), 403, 'csrf_required')
    expectError(await del({}), 403, 'cross_origin')
    expectError(await del({ origin: 'http://evil.example' }), 403, 'cross_origin')
    expectError(await del({ origin, 'x-agentmux-csrf': '' }), 403, 'csrf_required')
    expect(
      (await raw(d.url, { path: `/sessions/${id}`, headers: bearer(d.token) })).json.title
    ).toBe('csrf')
    expect((await patch({ origin })).status).toBe(200)
    expect((await del({ origin })).status).toBe(204)
  })

  it('a cookie GET needs no Origin (EventSource and fetch GETs do not always send one)', async () => {
    expect((await raw(d.url, { path: '/sessions', headers: { cookie } })).status).toBe(200)
  })

  it('bearer requests are not affected: no Origin, even a foreign one, is fine', async () => {
    const r1 = await raw(d.url, {
      method: 'POST',
      path: '/sessions',
      headers: { ...bearer(d.token), ...JSON_TYPE },
      body: '{}',
    })
    expect(r1.status).toBe(201)
    const r2 = await raw(d.url, {
      method: 'POST',
      path: '/sessions',
      headers: { ...bearer(d.token), ...JSON_TYPE, origin: 'http://evil.example' },
      body: '{}',
    })
    expect(r2.status).toBe(201)
  })

  it('an operator-named host is accepted as an Origin, on its default port only', async () => {
    const t = await startTestDaemon({ config: { allowedHosts: ['agentmux.example.com'] } })
    try {
      const { cookie: c, csrf: secret } = await login(t, t.token)
      const post = (h: Record<string, string>) =>
        raw(t.url, {
          method: 'POST',
          path: '/sessions',
          headers: { cookie: c, 'x-agentmux-csrf': secret, ...JSON_TYPE, ...h },
          body: '{}',
        })
      // Proxy that keeps Host, and proxy that rewrites Host to the upstream address.
      expect(
        (await post({ host: 'agentmux.example.com', origin: 'https://agentmux.example.com' }))
          .status
      ).toBe(201)
      expect((await post({ origin: 'https://agentmux.example.com' })).status).toBe(201)
      // Same name, other port: another origin, even though SameSite would send the cookie.
      expectError(
        await post({ host: 'agentmux.example.com', origin: 'https://agentmux.example.com:8443' }),
        403,
        'cross_origin'
      )
      expectError(await post({ origin: 'http://agentmux.example.com:8080' }), 403, 'cross_origin')
      expectError(await post({ origin: 'https://evil.agentmux.example.com' }), 403, 'cross_origin')
      expectError(
        await post({ origin: 'https://agentmux.example.com.evil.example' }),
        403,
        'cross_origin'
      )
    } finally {
      await t.stop()
    }
  })
})

describe('token file and rotation', () => {
  it('without AGENTMUX_TOKEN a strong token is created (0600 in a 0700 dir); rotation logs browsers out without a restart', async () => {
    const t = await startTestDaemon({ token: null })
    try {
      const file = tokenPath(t.dataDir)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(statSync(t.dataDir).mode & 0o777).toBe(0o700)
      const token = readFileSync(file, 'utf8').trim()
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/) // 32 random bytes, base64url
      expect(t.daemon.loginUrl()).toBe(`${t.url}/#token=${token}`)
      // The daemon answers to the file's token and nothing else.
      expectError(await raw(t.url, { path: '/sessions' }), 401)
      expect((await raw(t.url, { path: '/sessions', headers: bearer(token) })).status).toBe(200)
      const { cookie } = await login(t, token)
      expect((await raw(t.url, { path: '/sessions', headers: { cookie } })).status).toBe(200)

      const next = rotateToken(t.dataDir)
      expect(next).not.toBe(token)
      expect(statSync(file).mode & 0o777).toBe(0o600)
      // The same running daemon: the old cookie and the old bearer are refused at once.
      expectError(
        await raw(t.url, { path: '/sessions', headers: { cookie } }),
        401,
        'session_expired'
      )
      expectError(
        await raw(t.url, { path: '/sessions', headers: bearer(token) }),
        401,
        'unauthorized'
      )
      expectError(
        await raw(t.url, {
          method: 'POST',
          path: '/auth/login',
          headers: JSON_TYPE,
          body: JSON.stringify({ token }),
        }),
        401
      )
      // The new token works, by bearer and by login.
      expect((await raw(t.url, { path: '/sessions', headers: bearer(next) })).status).toBe(200)
      const fresh = await login(t, next)
      expect(
        (await raw(t.url, { path: '/sessions', headers: { cookie: fresh.cookie } })).status
      ).toBe(200)
      expect(t.daemon.loginUrl()).toBe(`${t.url}/#token=${next}`)
    } finally {
      await t.stop()
    }
  })

  it('rotation also ends streams that were opened with the old token (cookie or bearer)', async () => {
    const t = await startTestDaemon({ token: null })
    try {
      const token = readFileSync(tokenPath(t.dataDir), 'utf8').trim()
      const { cookie } = await login(t, token)
      const byCookie = await openSse(`${t.url}/events`, { headers: { cookie } })
      const byBearer = await openSse(`${t.url}/events`, { token })
      for (const sse of [byCookie, byBearer]) {
        expect(sse.status).toBe(200)
        await sse.waitFor((c) => c.frames.some((f) => f.event === 'caught-up'), 'caught-up', 10_000)
      }
      const next = rotateToken(t.dataDir)
      // Without this, a leaked login keeps reading every session as it happens, rotation or not.
      await byCookie.waitFor((c) => c.closed, 'the cookie stream to end after rotation', 10_000)
      await byBearer.waitFor((c) => c.closed, 'the bearer stream to end after rotation', 10_000)
      // A stream opened with the new token stays.
      const fresh = await openSse(`${t.url}/events`, { token: next })
      try {
        await fresh.waitFor(
          (c) => c.frames.some((f) => f.event === 'caught-up'),
          'caught-up with the new token',
          10_000
        )
        await raw(t.url, {
          method: 'POST',
          path: '/sessions',
          headers: { ...bearer(next), ...JSON_TYPE },
          body: '{"title":"after rotation"}',
        })
        await fresh.waitFor(
          (c) => c.frames.some((f) => f.data.includes('after rotation')),
          'the new stream to carry news',
          10_000
        )
        expect(fresh.closed).toBe(false)
        // The old streams saw nothing after the rotation.
        expect(byCookie.frames.some((f) => f.data.includes('after rotation'))).toBe(false)
      } finally {
        fresh.close()
      }
    } finally {
      await t.stop()
    }
  })
})

describe('rate limiting of failed attempts (only invalid credentials are ever refused)', () => {
  // Each test gets a daemon with the default limits: loopback is one client, so they would share it.
  let t: TestDaemon
  beforeEach(async () => {
    t = await startTestDaemon()
  })
  afterEach(async () => {
    await t.stop()
  })

  it('guesses from rotating 127.x source addresses count as one client: 429 with Retry-After', async () => {
    const results: number[] = []
    for (let i = 0; i < 30; i++) {
      const r = await raw(t.url, {
        path: '/sessions',
        headers: bearer(`wrong-${i}-0123456789abcdef0123456789`),
        localAddress: freshAddress(),
      })
      results.push(r.status)
    }
    expect(results.slice(0, 10)).toEqual(Array(10).fill(401))
    expect(results.slice(10)).toEqual(Array(20).fill(429))
    const blocked = await raw(t.url, {
      path: '/sessions',
      headers: bearer('still-wrong-0123456789abcdef0123'),
      localAddress: freshAddress(),
    })
    expectError(blocked, 429, 'too_many_attempts')
    const wait = Number(blocked.headers['retry-after'])
    expect(Number.isInteger(wait)).toBe(true)
    expect(wait).toBeGreaterThanOrEqual(1)
    expect(wait).toBeLessThanOrEqual(60)
    // Wrong logins and forged cookies from yet other addresses are refused too.
    expectError(
      await raw(t.url, {
        method: 'POST',
        path: '/auth/login',
        headers: JSON_TYPE,
        body: '{"token":"guess-0123456789"}',
        localAddress: freshAddress(),
      }),
      429
    )
    expectError(
      await raw(t.url, {
        path: '/sessions',
        headers: { cookie: `${COOKIE_NAME}=v1.1.x.y` },
        localAddress: freshAddress(),
      }),
      429
    )
  })

  it("while attackers are at 429, the owner's valid token, login and cookie keep working", async () => {
    const owner = await login(t, t.token)
    for (let i = 0; i < 15; i++) {
      await raw(t.url, {
        path: '/sessions',
        headers: bearer(`attacker-${i}-0123456789abcdef0123`),
        localAddress: freshAddress(),
      })
    }
    // Behind a tunnel the owner is 127.0.0.1 too: same client key as the attacker.
    expectError(
      await raw(t.url, {
        path: '/sessions',
        headers: bearer('attacker-again-0123456789abcdef'),
        localAddress: '127.0.0.1',
      }),
      429
    )
    expect(
      (await raw(t.url, { path: '/sessions', headers: bearer(t.token), localAddress: '127.0.0.1' }))
        .status
    ).toBe(200)
    expect(
      (
        await raw(t.url, {
          path: '/sessions',
          headers: { cookie: owner.cookie },
          localAddress: '127.0.0.1',
        })
      ).status
    ).toBe(200)
    const write = await raw(t.url, {
      method: 'POST',
      path: '/sessions',
      headers: {
        cookie: owner.cookie,
        'x-agentmux-csrf': owner.csrf,
        origin: `http://${hostOf(t.url)}`,
        ...JSON_TYPE,
      },
      body: '{"title":"owner during an attack"}',
      localAddress: '127.0.0.1',
    })
    expect(write.status).toBe(201)
    const sse = await openSse(`${t.url}/events`, { headers: { cookie: owner.cookie } })
    try {
      expect(sse.status).toBe(200)
      await sse.waitFor(
        (c) => c.frames.some((f) => f.event === 'caught-up'),
        'caught-up during an attack',
        10_000
      )
    } finally {
      sse.close()
    }
    // A fresh login with the right token is served too.
    await login(t, t.token)
    // And the attacker is still refused.
    expectError(
      await raw(t.url, {
        path: '/sessions',
        headers: bearer('attacker-last-0123456789abcdef'),
        localAddress: freshAddress(),
      }),
      429
    )
  })

  it('failed logins and bad cookies count the same way', async () => {
    for (let i = 0; i < 5; i++) {
      expectError(
        await raw(t.url, {
          method: 'POST',
          path: '/auth/login',
          headers: JSON_TYPE,
          body: JSON.stringify({ token: `nope-${i}` }),
          localAddress: freshAddress(),
        }),
        401
      )
    }
    for (let i = 0; i < 5; i++) {
      expectError(
        await raw(t.url, {
          path: '/sessions',
          headers: { cookie: `${COOKIE_NAME}=v1.1.x.y${i}` },
          localAddress: freshAddress(),
        }),
        401
      )
    }
    expectError(
      await raw(t.url, {
        method: 'POST',
        path: '/auth/login',
        headers: JSON_TYPE,
        body: JSON.stringify({ token: 'nope-again' }),
        localAddress: freshAddress(),
      }),
      429
    )
  })

  it('the block lifts when the minute is over (the daemon on a skewed clock)', async () => {
    await t.stop()
    const realNow = Date.now.bind(Date)
    let skewMs = 0
    // Installed before the daemon starts, so its limiter reads this clock.
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + skewMs)
    t = await startTestDaemon()
    try {
      const wrong = () =>
        raw(t.url, {
          path: '/sessions',
          headers: bearer('wrong-token-0123456789abcdef012'),
          localAddress: freshAddress(),
        })
      for (let i = 0; i < 10; i++) expectError(await wrong(), 401)
      const first = await wrong()
      expectError(first, 429)
      expect(Number(first.headers['retry-after'])).toBeGreaterThanOrEqual(59)
      skewMs = 30_000
      const later = await wrong()
      expectError(later, 429)
      expect(Number(later.headers['retry-after'])).toBeGreaterThanOrEqual(29)
      expect(Number(later.headers['retry-after'])).toBeLessThanOrEqual(31)
      skewMs = 61_000
      // A fresh window: a wrong token is a plain 401 again.
      expectError(await wrong(), 401)
    } finally {
      spy.mockRestore()
    }
  })

  it('the limiter alone: window, Retry-After, recovery (fake clock)', () => {
    let now = 1_000_000
    const l = createRateLimiter({ now: () => now })
    for (let i = 0; i < 9; i++) l.fail('10.0.0.1')
    expect(l.blockedFor('10.0.0.1')).toBe(0)
    l.fail('10.0.0.1')
    expect(l.blockedFor('10.0.0.1')).toBe(60)
    expect(l.blockedFor('10.0.0.2')).toBe(0)
    now += 59_001
    expect(l.blockedFor('10.0.0.1')).toBe(1)
    now += 999
    expect(l.blockedFor('10.0.0.1')).toBe(0)
    l.fail('10.0.0.1')
    expect(l.blockedFor('10.0.0.1')).toBe(0)
  })

  it('client keys: all loopback is one, IPv4-mapped IPv6 is its IPv4, an IPv6 host is its /64', () => {
    expect(
      new Set(
        ['127.0.0.1', '127.8.9.10', '127.255.255.254', '::1', '::ffff:127.0.0.5'].map(limiterKey)
      )
    ).toEqual(new Set(['loopback']))
    expect(limiterKey('::ffff:10.1.2.3')).toBe('10.1.2.3')
    expect(limiterKey('192.168.1.7')).toBe('192.168.1.7')
    expect(limiterKey('2001:db8:1:2::1')).toBe(
      limiterKey('2001:0db8:0001:0002:ffff:eeee:dddd:cccc')
    )
    expect(limiterKey('2001:db8:1:2::1')).not.toBe(limiterKey('2001:db8:1:3::1'))
    expect(limiterKey('fe80::1')).toBe(limiterKey('fe80::2'))
    const l = createRateLimiter()
    for (let i = 0; i < 10; i++) l.fail(`2001:db8:0:7:${i.toString(16)}::1`)
    expect(l.blockedFor('2001:db8:0:7:abcd::99')).toBeGreaterThan(0)
    expect(l.blockedFor('2001:db8:0:8::1')).toBe(0)
  })

  it('a global failure budget: failures spread over many clients still reach 429, for everyone', () => {
    let now = 0
    const l = createRateLimiter({ now: () => now })
    // 100 clients, one failure each: none is over its own limit.
    for (let i = 0; i < 100; i++) l.fail(`10.0.${i >> 8}.${i & 255}`)
    expect(l.blockedFor('10.9.9.9')).toBeGreaterThan(0)
    expect(l.blockedFor('2001:db8::1')).toBeGreaterThan(0)
    now += 60_000
    expect(l.blockedFor('10.9.9.9')).toBe(0)
  })

  it('the limiter cannot grow without bound: a flood of addresses stays within maxEntries', () => {
    let now = 0
    const small = createRateLimiter({ maxEntries: 100, globalMax: Infinity, now: () => now })
    for (let i = 0; i < 20_000; i++) {
      small.fail(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`)
      if (i % 1000 === 0) now += 1
    }
    expect(small.size).toBeLessThanOrEqual(100)
    // Asking about addresses never adds them.
    for (let i = 0; i < 1000; i++) small.blockedFor(`fd00:${i.toString(16)}::1`)
    expect(small.size).toBeLessThanOrEqual(100)
    // The default bound holds too, for IPv6 /64s.
    const dflt = createRateLimiter({ now: () => now })
    for (let i = 0; i < 12_000; i++)
      dflt.fail(`2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`)
    expect(dflt.size).toBeLessThanOrEqual(10_000)
    expect(dflt.size).toBeGreaterThan(100)
  })
})

describe('no CORS, and security headers', () => {
  it('OPTIONS preflights get no Access-Control-Allow-Origin, with or without a token', async () => {
    const paths = [
      '/',
      '/healthz',
      '/sessions',
      `/sessions/${sid}`,
      `/sessions/${sid}/turns`,
      '/events',
      '/auth/login',
    ]
    for (const path of paths) {
      for (const auth of [{}, bearer(d.token)]) {
        const r = await raw(d.url, {
          method: 'OPTIONS',
          path,
          headers: {
            origin: 'http://evil.example',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization, content-type',
            ...auth,
          },
        })
        expect(r.status, `${path} ${r.status}`).toBeGreaterThanOrEqual(400)
        expect(r.status).toBeLessThan(500)
        expect(r.headers['access-control-allow-origin']).toBeUndefined()
      }
    }
  })

  it('a cross-origin GET gets no CORS headers either', async () => {
    const r = await raw(d.url, {
      path: '/sessions',
      headers: { ...bearer(d.token), origin: 'http://evil.example' },
    })
    expect(r.status).toBe(200)
    expect(r.headers['access-control-allow-origin']).toBeUndefined()
    expect(r.headers['access-control-allow-credentials']).toBeUndefined()
  })

  const checkHeaders = (r: RawResponse, what: string) => {
    expect(r.headers['x-content-type-options'], what).toBe('nosniff')
    expect(r.headers['referrer-policy'], what).toBe('no-referrer')
    const csp = String(r.headers['content-security-policy'] ?? '')
    const directives = new Map(
      csp
        .split(';')
        .map((s) => s.trim())
        .filter(Boolean)
        .map((s) => {
          const [name, ...values] = s.split(/\s+/)
          return [name!, values] as const
        })
    )
    expect(directives.get('default-src'), `${what}: ${csp}`).toEqual(["'none'"])
    expect(directives.get('frame-ancestors'), csp).toEqual(["'none'"])
    expect(directives.get('script-src'), csp).toEqual(["'self'"])
    // No inline script or eval, no remote origins, no wildcards anywhere.
    expect(csp).not.toMatch(
      /unsafe-inline|unsafe-eval|unsafe-hashes|strict-dynamic|https?:|wss?:|\*|'nonce-|'sha\d+-/
    )
    expect(directives.has('connect-src') ? directives.get('connect-src') : ["'self'"]).toEqual([
      "'self'",
    ])
  }

  it('the page shell, /healthz, API answers, errors and SSE streams carry the headers', async () => {
    checkHeaders(await raw(d.url, { path: '/' }), 'GET /')
    checkHeaders(await raw(d.url, { path: '/assets/missing.js' }), 'GET /assets/missing.js')
    checkHeaders(await raw(d.url, { path: '/healthz' }), '/healthz')
    checkHeaders(await raw(d.url, { path: '/sessions', headers: bearer(d.token) }), 'GET /sessions')
    checkHeaders(await raw(d.url, { path: '/sessions' }), '401')
    checkHeaders(await raw(d.url, { path: '/healthz', headers: { host: 'evil.example' } }), '421')
    checkHeaders(await raw(d.url, { path: '/nope', headers: bearer(d.token) }), '404')
    checkHeaders(
      await raw(d.url, { path: '/events', headers: bearer(d.token), headersOnly: true }),
      'SSE /events'
    )
    checkHeaders(
      await raw(d.url, {
        path: `/sessions/${sid}/events`,
        headers: bearer(d.token),
        headersOnly: true,
      }),
      'SSE session events'
    )
  })
})

describe('logs never hold the token, cookies or prompts', () => {
  it('the in-process daemon (debug level): logins, failures, a query-string token, a turn', async () => {
    const t = await startTestDaemon()
    try {
      const { cookie, value, csrf } = await login(t, t.token)
      await raw(t.url, {
        method: 'POST',
        path: '/auth/login',
        headers: JSON_TYPE,
        body: JSON.stringify({ token: 'near-miss-token-abcdef0123' }),
        localAddress: freshAddress(),
      })
      await raw(t.url, { path: `/sessions?token=${t.token}`, localAddress: freshAddress() })
      await raw(t.url, { path: '/sessions', headers: { cookie } })
      const prompt = `SECRET-PROMPT-${'q'.repeat(40)} please list the files ${Date.now()}`
      const s = await raw(t.url, {
        method: 'POST',
        path: '/sessions',
        headers: { ...bearer(t.token), ...JSON_TYPE },
        body: '{}',
      })
      const turn = await raw(t.url, {
        method: 'POST',
        path: `/sessions/${s.json.id}/turns`,
        headers: { ...bearer(t.token), ...JSON_TYPE },
        body: JSON.stringify({ prompt }),
      })
      expect(turn.status).toBe(202)
      await waitUntil(
        async () =>
          (await raw(t.url, { path: `/sessions/${s.json.id}/turns`, headers: bearer(t.token) }))
            .json.turns[0].status !== 'running',
        { timeoutMs: 20_000, label: 'the turn to end' }
      )
      const logs = t.logs.join('')
      expect(t.logs.length).toBeGreaterThan(0)
      expect(logs).not.toContain(t.token)
      expect(logs).not.toContain(value)
      expect(logs).not.toContain(csrf)
      expect(logs).not.toContain('near-miss-token-abcdef0123')
      expect(logs).not.toContain('SECRET-PROMPT')
      expect(logs).not.toContain('qqqqqqqqqq')
    } finally {
      await t.stop()
    }
  })
})

// ---------------------------------------------------------------- the built CLI and daemon process

function runCli(args: string[], env: Record<string, string> = {}) {
  return withTimeout(
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [MAIN, ...args],
        { env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), ...env }, timeout: 15_000 },
        (err, stdout, stderr) =>
          done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
      )
    }),
    20_000,
    `agentmux ${args.join(' ')}`
  )
}

async function stopProcess(p: DaemonProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  p.child.kill('SIGTERM')
  try {
    await withTimeout(p.exited, 10_000, 'the daemon process to exit')
  } catch {
    p.child.kill('SIGKILL')
    await withTimeout(p.exited, 5_000, 'the daemon process to die')
  }
}

describe('the built CLI and daemon (npm run build first)', () => {
  const dirs: string[] = []
  const procs: DaemonProcess[] = []
  afterAll(async () => {
    for (const p of procs) await stopProcess(p)
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentmux-sec-'))
    dirs.push(dir)
    return dir
  }

  it('`agentmux token` creates and prints the token (0600, dir 0700), and prints the same one again', async () => {
    const root = tempDir()
    const dataDir = join(root, 'data')
    // An existing, too-open data dir is tightened.
    mkdirSync(dataDir, { mode: 0o755 })
    chmodSync(dataDir, 0o755)
    const first = await runCli(['token', '--data-dir', dataDir])
    expect(first.code, first.stderr).toBe(0)
    const token = first.stdout.trim()
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(readFileSync(tokenPath(dataDir), 'utf8').trim()).toBe(token)
    expect(statSync(tokenPath(dataDir)).mode & 0o777).toBe(0o600)
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
    expect((await runCli(['token', '--data-dir', dataDir])).stdout.trim()).toBe(token)
    // A fresh dir that does not exist yet is created 0700.
    const other = join(root, 'new', 'deeper')
    const t2 = (await runCli(['token'], { AGENTMUX_DATA_DIR: other })).stdout.trim()
    expect(t2).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(t2).not.toBe(token)
    expect(statSync(other).mode & 0o777).toBe(0o700)
  })

  it('with AGENTMUX_TOKEN set, `token` prints it and `token --rotate` refuses', async () => {
    const dataDir = tempDir()
    const env = { AGENTMUX_TOKEN: 'env-token-0123456789abcdef-0123456789' }
    expect((await runCli(['token', '--data-dir', dataDir], env)).stdout.trim()).toBe(
      'env-token-0123456789abcdef-0123456789'
    )
    const rot = await runCli(['token', '--rotate', '--data-dir', dataDir], env)
    expect(rot.code).not.toBe(0)
    expect(rot.stderr).toMatch(/AGENTMUX_TOKEN/)
  })

  it('the daemon reuses the stored token across restarts; `token --rotate` takes effect in the running daemon', async () => {
    const dataDir = tempDir()
    const env = { AGENTMUX_TOKEN: '' }
    const p1 = await spawnDaemon({ dataDir, env })
    procs.push(p1)
    const stored = readFileSync(tokenPath(dataDir), 'utf8').trim()
    expect(statSync(tokenPath(dataDir)).mode & 0o777).toBe(0o600)
    expect(statSync(dataDir).mode & 0o777).toBe(0o700)
    expect(p1.stdout()).toContain(`#token=${stored}`)
    expect((await raw(p1.url, { path: '/sessions', headers: bearer(stored) })).status).toBe(200)
    await stopProcess(p1)

    const p2 = await spawnDaemon({ dataDir, env })
    procs.push(p2)
    expect(readFileSync(tokenPath(dataDir), 'utf8').trim()).toBe(stored)
    expect((await raw(p2.url, { path: '/sessions', headers: bearer(stored) })).status).toBe(200)
    const { cookie } = await (async () => {
      const r = await raw(p2.url, {
        method: 'POST',
        path: '/auth/login',
        headers: JSON_TYPE,
        body: JSON.stringify({ token: stored }),
      })
      expect(r.status).toBe(200)
      return {
        cookie: `${COOKIE_NAME}=${parseSetCookie(r.headers['set-cookie'], COOKIE_NAME)!.value}`,
      }
    })()

    const rot = await runCli(['token', '--rotate', '--data-dir', dataDir])
    expect(rot.code, rot.stderr).toBe(0)
    const next = rot.stdout.trim()
    expect(next).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(next).not.toBe(stored)
    expect(statSync(tokenPath(dataDir)).mode & 0o777).toBe(0o600)
    expect((await runCli(['token', '--data-dir', dataDir])).stdout.trim()).toBe(next)
    // No restart: the running daemon now refuses the old token and the old login.
    expectError(await raw(p2.url, { path: '/sessions', headers: bearer(stored) }), 401)
    expectError(
      await raw(p2.url, { path: '/sessions', headers: { cookie } }),
      401,
      'session_expired'
    )
    expect((await raw(p2.url, { path: '/sessions', headers: bearer(next) })).status).toBe(200)
    expect(p2.stderr()).not.toContain(stored)
    expect(p2.stderr()).not.toContain(next)
    await stopProcess(p2)
  })

  it('AGENTMUX_ALLOWED_HOSTS adds a Host the process answers to', async () => {
    const p = await spawnDaemon({
      env: { AGENTMUX_ALLOWED_HOSTS: 'agentmux.example.com, other.example.net' },
    })
    procs.push(p)
    dirs.push(p.dataDir)
    expect(
      (await raw(p.url, { path: '/healthz', headers: { host: 'agentmux.example.com' } })).status
    ).toBe(200)
    expect(
      (await raw(p.url, { path: '/healthz', headers: { host: 'other.example.net:8443' } })).status
    ).toBe(200)
    expectError(await raw(p.url, { path: '/healthz', headers: { host: 'evil.example' } }), 421)
    await stopProcess(p)
  })

  it('binding a non-loopback address prints a clear warning about TLS; loopback does not', async () => {
    const loop = await spawnDaemon()
    procs.push(loop)
    dirs.push(loop.dataDir)
    const wide = await spawnDaemon({ env: { AGENTMUX_HOST: '0.0.0.0' } })
    procs.push(wide)
    dirs.push(wide.dataDir)
    await waitUntil(() => wide.stderr().includes('WARNING'), {
      timeoutMs: 10_000,
      label: 'the non-loopback warning',
    })
    expect(wide.stderr()).toMatch(/WARNING/)
    expect(wide.stderr()).toMatch(/TLS/)
    expect(wide.stderr()).toMatch(/0\.0\.0\.0/)
    expect(wide.stderr()).not.toContain('process-token-0123456789abcdef0123456789')
    // By the time the loopback daemon answers a request, it would have warned.
    expect((await raw(loop.url, { path: '/healthz' })).status).toBe(200)
    expect(loop.stderr()).not.toMatch(/WARNING|TLS/)
    await stopProcess(wide)
    await stopProcess(loop)
  })

  it('the process daemon logs (stderr, info level) never hold the token, a cookie or a prompt', async () => {
    const token = 'process-token-0123456789abcdef0123456789'
    const p = await spawnDaemon()
    procs.push(p)
    dirs.push(p.dataDir)
    const r = await raw(p.url, {
      method: 'POST',
      path: '/auth/login',
      headers: JSON_TYPE,
      body: JSON.stringify({ token }),
    })
    const cookieValue = parseSetCookie(r.headers['set-cookie'], COOKIE_NAME)!.value
    await raw(p.url, { path: '/sessions', headers: { cookie: `${COOKIE_NAME}=${cookieValue}` } })
    await raw(p.url, { path: `/sessions?token=${token}` })
    await raw(p.url, { path: '/sessions', headers: bearer('near-miss-token-abcdef0123') })
    const s = await raw(p.url, {
      method: 'POST',
      path: '/sessions',
      headers: { ...bearer(token), ...JSON_TYPE },
      body: '{}',
    })
    const prompt = `PROCESS-SECRET-PROMPT ${'z'.repeat(50)} ${Date.now()}`
    expect(
      (
        await raw(p.url, {
          method: 'POST',
          path: `/sessions/${s.json.id}/turns`,
          headers: { ...bearer(token), ...JSON_TYPE },
          body: JSON.stringify({ prompt }),
        })
      ).status
    ).toBe(202)
    await waitUntil(
      async () =>
        (await raw(p.url, { path: `/sessions/${s.json.id}/turns`, headers: bearer(token) })).json
          .turns[0].status !== 'running',
      { timeoutMs: 20_000, label: 'the process turn to end' }
    )
    await stopProcess(p)
    const err = p.stderr()
    expect(err.length).toBeGreaterThan(0)
    expect(err).not.toContain(token)
    expect(err).not.toContain(cookieValue)
    expect(err).not.toContain('near-miss-token')
    expect(err).not.toContain('PROCESS-SECRET-PROMPT')
    expect(err).not.toContain('zzzzzzzzzz')
  })
})
