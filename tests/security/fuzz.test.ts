/**
 * Property-based fuzzing of the HTTP edge (issue 3, "hostile input"): thousands of malformed and
 * edge-case requests at a real daemon on a real socket, one request per fast-check run.
 *
 *   FUZZ_RUNS=20000 npx vitest run tests/security/fuzz.test.ts   # a longer run (default 3000)
 *   FUZZ_SEED=123 ...                                            # replay a run
 *
 * Properties, for every request:
 *   - never a 5xx, never a dropped connection (except a >1 MB body cut off after its 413);
 *   - every answer from the app carries the security headers and no CORS header, and every non-2xx
 *     answer is exactly `{"error":{"code","message"}}` as application/json;
 *   - a well-formed HTTP request always reaches the app; broken HTTP is answered before it, by Node's
 *     parser or the adapter, with the same JSON error (src/http/malformed.ts);
 *   - oracles where the answer is known: cursors and limits, body size, content type, Host, auth;
 *   - what a 2xx stores is what was sent (no silent change of text), and cwd stays inside the roots.
 * After the run: the session list and the database match the 2xx answers exactly (no partial
 * write, no orphan workspace), PRAGMA integrity_check is ok, no SSE stream leaked, nothing was
 * logged as a failed request, and a normal turn still completes.
 */
import { mkdirSync, readdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { inspectDb } from '../helpers/inspect-db.js'
import { TEST_BACKEND } from '../helpers/test-database.js'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { COOKIE_NAME } from '../../src/auth/cookie.js'
import { MAX_TURN_BODY_BYTES } from '../../src/http/schemas.js'
import { PERMISSION_MODES } from '../../src/sessions/types.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { createSession, runTurn } from '../helpers/session.js'
import { waitUntil } from '../helpers/wait.js'
import { isErrorShape, raw, rawSocket, type RawResponse } from './http.js'

const RUNS = (() => {
  const n = Number(process.env.FUZZ_RUNS ?? 3000)
  if (!Number.isSafeInteger(n) || n < 1)
    throw new Error(`FUZZ_RUNS must be a positive integer, not ${process.env.FUZZ_RUNS}`)
  return n
})()
/** A longer run gets a longer budget: about 7 ms a request here, 25 allowed. */
const TIME_LIMIT_MS = Math.max(240_000, RUNS * 25)
const SEED =
  process.env.FUZZ_SEED !== undefined
    ? Number(process.env.FUZZ_SEED)
    : Date.now() ^ (process.pid << 8)
const MAX_BODY = 1024 * 1024
/** POST /sessions/:id/turns alone takes more (images ride in it as base64). */
const bodyLimit = (spec: { method: string; path: string }) =>
  spec.method === 'POST' && spec.path.endsWith('/turns') ? MAX_TURN_BODY_BYTES : MAX_BODY

// ---------------------------------------------------------------- the request model

/** A session id to put in the path, resolved when the request is sent (the pool changes as we go). */
type IdRef = { live: number } | { turnSession: number } | { literal: string }

interface Spec {
  cat: string
  method: string
  /** `{id}` is replaced by the resolved id. */
  path: string
  id?: IdRef
  headers: Record<string, string | string[]>
  body?: string | Buffer
  /** Index into a pool of 127.0.x.y client addresses; unset = 127.0.0.1 with the right token. */
  address?: number
  /** Raw bytes for a socket (`{HOST}` and `{TOKEN}` substituted): HTTP that node:http will not build. */
  wire?: string
  /** Fields sent in a JSON body, for the round-trip checks (only when the JSON is exactly these). */
  sent?: Record<string, unknown>
  /** What the answer must be, when it is known without the daemon. */
  oracle?: Oracle
}

type Oracle =
  | { kind: 'status'; status: number[] }
  | { kind: 'cursor'; valid: boolean }
  | { kind: 'history'; valid: boolean; limit: number }
  | { kind: 'tooLarge' }
  | { kind: 'unsupportedType' }
  | { kind: 'host'; allowed: boolean | null }
  | { kind: 'auth'; firstAuthGood: boolean }
  | { kind: 'edge' }

// ---------------------------------------------------------------- hostile values

const ODD = [
  '\u0000',
  '\u0001',
  '\u0008',
  '\u001b[31m',
  '\u007f',
  '\u0085',
  '\u2028',
  '\u2029',
  '\u202e',
  '\u200f',
  '\u2066',
  '\u200b',
  '\ufeff',
  '\uffff',
  '\ufffd',
  '😀',
  '👩‍👩‍👧‍👦',
  '🏳️‍🌈',
  'e\u0301',
  'שלום',
  'مرحبا',
  'Ａ',
  '\r\n',
  '\n',
  '\t',
  ' ',
]
const NASTY = [
  '..',
  '../',
  '/..',
  '../../../../etc/passwd',
  '%00',
  '%',
  '%2e%2e%2f',
  '\\',
  '"',
  "'",
  '`',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '-rf',
  '--help',
  '--dangerously-skip-permissions',
  '; rm -rf ~',
  '$(id)',
  'ses_',
  'trn_',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '',
]
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c))
const piece = fc.oneof(
  { arbitrary: fc.string({ maxLength: 16 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 8 }), weight: 2 },
  { arbitrary: loneSurrogate, weight: 1 },
  { arbitrary: fc.constantFrom(...ODD, ...NASTY), weight: 3 }
)
const hostile = fc.array(piece, { maxLength: 8 }).map((a) => a.join(''))
const huge = fc
  .tuple(
    fc.constantFrom('a', 'é', '😀', ' ', '\n', '\u0000', '\ud800'),
    fc.constantFrom(
      200,
      201,
      4096,
      4097,
      32 * 1024 + 1,
      200 * 1024,
      200 * 1024 + 1,
      400_000,
      600_000
    )
  )
  .map(([c, n]) => c.repeat(n))
const weirdNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    -1,
    -0,
    0,
    1,
    2 ** 31,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    1e308,
    -1e308,
    5e-324,
    1e21
  )
)
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  hostile,
  weirdNumber,
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 })
)
const text = (valid: fc.Arbitrary<string>) =>
  fc.oneof(
    { arbitrary: valid, weight: 5 },
    { arbitrary: hostile, weight: 4 },
    { arbitrary: huge, weight: 1 },
    { arbitrary: anyJson, weight: 2 }
  )

/** Percent-encodes every UTF-8 byte outside printable ASCII, and `?`/`#`; a `%` stays, so broken escapes survive. */
function pathSafe(s: string): string {
  let out = ''
  for (const b of Buffer.from(s, 'utf8')) {
    out +=
      b <= 0x20 || b >= 0x7f || b === 0x3f || b === 0x23
        ? `%${b.toString(16).toUpperCase().padStart(2, '0')}`
        : String.fromCharCode(b)
  }
  return out
}
/** What Node will put in a header: tab, printable ASCII and latin-1. */
const headerSafe = (s: string) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?')
/** Lone surrogates cannot go through encodeURIComponent. */
const encodeQuery = (s: string) =>
  pathSafe(s).replace(/[&=+]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

// ---------------------------------------------------------------- requests by kind

function build(ctx: { dataDir: string; port: number }) {
  const { dataDir } = ctx
  const idRef: fc.Arbitrary<IdRef> = fc.oneof(
    { weight: 5, arbitrary: fc.nat().map((n) => ({ live: n })) },
    {
      weight: 2,
      arbitrary: fc.stringMatching(/^[0-9A-Za-z]{16}$/).map((s) => ({ literal: `ses_${s}` })),
    },
    {
      weight: 3,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            '',
            '..',
            '../..',
            '..%2F..%2Fetc%2Fpasswd',
            '%2e%2e',
            '%2e%2e%2f%2e%2e%2ftoken',
            'ses_',
            'ses_0123456789abcde',
            'ses_0123456789abcdef0',
            'SES_0123456789abcdef',
            'trn_0123456789abcdef',
            'ses_0123456789abcde%00',
            '%00',
            'ses_0123456789abcd%C3%A9',
            '%E0%A4%A',
            '%',
            '%ED%A0%80',
            'ses_0123456789abcdef%2F..',
            'ses_0123456789abcdef%00',
            'x'.repeat(5000),
            'ses_0123456789abcdef;x=1',
            "ses_'%20OR%20'1'='1",
            'ses_0123456789abcdef/',
            '*'
          ),
          hostile.map(pathSafe)
        )
        .map((literal) => ({ literal })),
    }
  )
  const liveIdRef: fc.Arbitrary<IdRef> = fc.oneof(
    { weight: 4, arbitrary: fc.nat().map((n) => ({ live: n })) },
    { weight: 1, arbitrary: idRef }
  )
  const contentType = fc.oneof(
    { weight: 14, arbitrary: fc.constant<string | string[] | null>('application/json') },
    {
      weight: 4,
      arbitrary: fc.constantFrom<string | string[] | null>(
        'application/json; charset=utf-8',
        'APPLICATION/JSON',
        'application/json;charset=latin1',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/jsonx',
        'application/json-patch+json',
        'text/json',
        '',
        'application/json\u00ff',
        null,
        ['application/json', 'text/plain'],
        ['text/plain', 'application/json']
      ),
    }
  )
  // Duplicated Content-Type headers reach the app joined ("a, b"): never plain JSON.
  const jsonTypeOk = (ct: string | string[] | null) =>
    typeof ct === 'string' && /^application\/json\s*(;|$)/i.test(ct)

  const cwd = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        dataDir,
        `${dataDir}/sub`,
        `${dataDir}/link-in`,
        `${dataDir}/link-out`,
        `${dataDir}/file.txt`,
        `${dataDir}/sub/../..`,
        `${dataDir}/../`,
        `${dataDir}/sub/../../etc`,
        '/',
        '/etc',
        '/tmp',
        '/root',
        'relative/path',
        '.',
        '',
        `${dataDir}/nope`,
        `${dataDir}\u0000/sub`,
        `${dataDir}/sub/\u0000`,
        `${dataDir}/${'a'.repeat(5000)}`,
        `${dataDir}//sub/./`,
        '~',
        `${dataDir}/home`,
        '/proc/self/cwd',
        `/proc/self/root${dataDir}`,
        `${dataDir}/sub\ud800`,
        `${dataDir}/link-loop`,
        `${dataDir}/token`
      ),
    },
    { weight: 1, arbitrary: hostile },
    { weight: 1, arbitrary: anyJson }
  )
  const model = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'sonnet',
        'opus',
        'haiku',
        'claude-sonnet-4-5',
        'claude-3[1m]',
        'a'.repeat(128),
        'a'.repeat(129),
        '-model',
        'mo del',
        'sonnet\n',
        '',
        'ＳＯＮＮＥＴ',
        'x:y.z'
      ),
    },
    { weight: 1, arbitrary: hostile },
    { weight: 1, arbitrary: anyJson }
  )
  const permissionMode = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom<unknown>(
        ...PERMISSION_MODES,
        'root',
        '',
        'BYPASSPERMISSIONS',
        'plan '
      ),
    },
    { weight: 1, arbitrary: anyJson }
  )
  const tool = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'Bash',
        'Read',
        'Edit',
        'Bash(git *)',
        'Bash(rm -rf /)',
        'mcp__x__y',
        '-x',
        '--dangerously-skip-permissions',
        '',
        'x'.repeat(200),
        'x'.repeat(201),
        'Bash\n',
        'Read\ud800'
      ),
    },
    { weight: 2, arbitrary: hostile },
    { weight: 1, arbitrary: anyJson }
  )
  const allowedTools = fc.oneof(
    { weight: 4, arbitrary: fc.array(tool, { maxLength: 6 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<unknown>(
        Array(64).fill('Read'),
        Array(65).fill('Read'),
        [],
        Array(1000).fill('x')
      ),
    },
    { weight: 1, arbitrary: anyJson }
  )
  const title = text(
    fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        'x'.repeat(200),
        'x'.repeat(201),
        '😀'.repeat(100),
        '😀'.repeat(101),
        '\ud800'.repeat(200)
      )
    )
  )
  const prompt = text(
    fc.oneof(
      fc.string({ minLength: 1, maxLength: 60 }),
      fc.constantFrom(
        '   ',
        '\n\t',
        '-p',
        '--resume x',
        'p'.repeat(200 * 1024),
        'p'.repeat(200 * 1024 + 1)
      )
    )
  )
  const clientTurnId = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom<unknown>(
        'abc',
        'x'.repeat(128),
        'x'.repeat(129),
        'has space',
        '',
        'é',
        '-',
        '\u0000'
      ),
    },
    { weight: 1, arbitrary: anyJson }
  )
  const extraKey = fc.oneof(
    fc.string({ maxLength: 10 }),
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'id',
      'status',
      'activeTurnId',
      'claudeSessionId',
      'cwdIsDefault',
      'title',
      'prompt',
      'token'
    )
  )
  const extras = fc.oneof(
    { weight: 6, arbitrary: fc.constant<[string, unknown][]>([]) },
    { weight: 1, arbitrary: fc.array(fc.tuple(extraKey, anyJson), { minLength: 1, maxLength: 3 }) }
  )

  /** A JSON object written by hand, so `__proto__` and duplicated keys go out as keys. */
  const objectText = (fields: Record<string, unknown>, more: [string, unknown][]) =>
    `{${[...Object.entries(fields), ...more].map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`

  const deep = fc
    .tuple(
      fc.constantFrom('[', '{"a":', '{"title":[', '{"allowedTools":[['),
      fc.constantFrom(10, 1000, 100_000, 300_000)
    )
    .map(([open, n]) => {
      const close = open === '[' ? ']' : open === '{"a":' ? '}' : open === '{"title":[' ? ']' : ']]'
      if (open === '[') return '['.repeat(n) + ']'.repeat(n)
      if (open === '{"a":') return '{"a":'.repeat(n) + '1' + '}'.repeat(n)
      return `${open}${'['.repeat(n)}${']'.repeat(n)}${close}}`
    })
  const literalBody = fc.constantFrom(
    '',
    'null',
    '[]',
    '"str"',
    '1e999',
    '-0',
    'true',
    '{}',
    '{"title":1e999}',
    '{"title":"\\ud800"}',
    '{"title":"\\udfff\\ud800"}',
    '{"title":"\\u0000"}',
    '{"title":"a","title":"b"}',
    "{'title':'x'}",
    '{"title":"x",}',
    '\ufeff{}',
    '{"__proto__":{"isAdmin":true}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '{"title":"x"}{"title":"y"}',
    ' \n\t{ } ',
    '{"prompt":"hi"',
    '{"prompt":null}',
    '{"prompt":"\\ud83d"}',
    '{"prompt":["hi"]}',
    '{"prompt":{"toString":"x"}}',
    '{"title":"x"}\u0000',
    '\u0000',
    '{"a":NaN}',
    '{"a":Infinity}'
  )
  const invalidUtf8 = fc
    .tuple(
      fc.constantFrom('{"title":"', '{"prompt":"', '{"cwd":"'),
      fc.uint8Array({ minLength: 1, maxLength: 8 })
    )
    .map(([head, bytes]) =>
      Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xc0, ...bytes]), Buffer.from('"}')])
    )

  /** A body: usually the JSON of `fields`, sometimes broken, nested, literal or not UTF-8. */
  const body = (fields: fc.Arbitrary<Record<string, unknown>>) =>
    fc.oneof(
      {
        weight: 12,
        arbitrary: fc.tuple(fields, extras).map(([f, more]) => ({
          body: objectText(f, more) as string | Buffer,
          sent: more.length === 0 ? f : undefined,
        })),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            fields,
            fc.double({ min: 0, max: 1, noNaN: true }),
            fc.constantFrom('', 'x', '}', ',', '\u0000', ']')
          )
          .map(([f, cut, tail]) => {
            const t = objectText(f, [])
            return { body: t.slice(0, Math.floor(t.length * cut)) + tail, sent: undefined }
          }),
      },
      { weight: 1, arbitrary: deep.map((b) => ({ body: b as string | Buffer, sent: undefined })) },
      {
        weight: 2,
        arbitrary: literalBody.map((b) => ({ body: b as string | Buffer, sent: undefined })),
      },
      {
        weight: 1,
        arbitrary: invalidUtf8.map((b) => ({ body: b as string | Buffer, sent: undefined })),
      }
    )

  const createFields = fc.record(
    {
      title,
      cwd,
      model,
      permissionMode,
      allowedTools,
      appendSystemPrompt: text(fc.string({ maxLength: 40 })),
    },
    { requiredKeys: [] }
  )
  const patchFields = fc.record(
    {
      title,
      model: fc.oneof(model, fc.constant(null)),
      permissionMode: fc.oneof(permissionMode, fc.constant(null)),
      allowedTools,
    },
    { requiredKeys: [] }
  )
  const turnFields = fc.record({ prompt, model, clientTurnId }, { requiredKeys: [] })

  /** Content-Length on a body sometimes, chunked otherwise. */
  const framing = fc.boolean()
  const withBody = (
    spec: Spec,
    b: { body: string | Buffer; sent: Record<string, unknown> | undefined },
    ct: string | string[] | null,
    fixedLength: boolean
  ): Spec => {
    const headers = { ...spec.headers }
    if (ct !== null) headers['content-type'] = ct
    if (fixedLength) headers['content-length'] = String(Buffer.byteLength(b.body))
    const size = Buffer.byteLength(b.body)
    let oracle = spec.oracle
    if (size > bodyLimit(spec)) oracle = { kind: 'tooLarge' }
    else if (spec.path === '/sessions' && size > 0 && !jsonTypeOk(ct))
      oracle = { kind: 'unsupportedType' }
    return {
      ...spec,
      headers,
      body: b.body,
      ...(b.sent && jsonTypeOk(ct) ? { sent: b.sent } : {}),
      ...(oracle ? { oracle } : {}),
    }
  }

  const create = fc
    .tuple(body(createFields), contentType, framing)
    .map(([b, ct, fixed]) =>
      withBody({ cat: 'create', method: 'POST', path: '/sessions', headers: {} }, b, ct, fixed)
    )
  const patch = fc
    .tuple(liveIdRef, body(patchFields), contentType, framing)
    .map(([id, b, ct, fixed]) =>
      withBody(
        { cat: 'patch', method: 'PATCH', path: '/sessions/{id}', id, headers: {} },
        b,
        ct,
        fixed
      )
    )
  const turn = fc
    .tuple(
      // Turns go to the two turn sessions, or to ids that are not sessions: no claude on the others.
      fc.oneof(
        { weight: 1, arbitrary: fc.nat().map((n): IdRef => ({ turnSession: n })) },
        { weight: 3, arbitrary: idRef.filter((r) => !('live' in r)) }
      ),
      body(turnFields),
      contentType,
      framing
    )
    .map(([id, b, ct, fixed]) =>
      withBody(
        { cat: 'turn', method: 'POST', path: '/sessions/{id}/turns', id, headers: {} },
        b,
        ct,
        fixed
      )
    )

  const cursorValue = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '0',
        '1',
        '42',
        '9007199254740991',
        '9007199254740992',
        '99999999999999999',
        '9999999999999999',
        '-1',
        '1.5',
        '1e3',
        '0x10',
        ' 7',
        '7 ',
        '',
        ' ',
        '+1',
        '１',
        'NaN',
        'Infinity',
        'null',
        '[]',
        '00000000000000001',
        '\u0000',
        '1,2',
        '0b1',
        '٣'
      ),
    },
    { weight: 2, arbitrary: fc.nat().map(String) },
    { weight: 1, arbitrary: fc.integer({ min: -1_000_000, max: -1 }).map(String) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String) },
    { weight: 1, arbitrary: hostile }
  )
  const cursorOk = (v: string) => /^\d{1,16}$/.test(v) && Number.isSafeInteger(Number(v))
  const limitValue = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        '1',
        '1000',
        '1001',
        '0',
        '500',
        '-1',
        '1.0',
        '',
        '01',
        '00001',
        '99999',
        '100000',
        'ten',
        ' 5'
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: -10, max: 2000 }).map(String) },
    { weight: 1, arbitrary: hostile }
  )
  const limitOk = (v: string) => /^\d{1,5}$/.test(v) && Number(v) >= 1 && Number(v) <= 1000

  const history = fc
    .tuple(
      liveIdRef,
      fc.option(cursorValue),
      fc.option(limitValue),
      fc.constantFrom('', '&x=1', '&after=1', '&limit=2', '&=&&')
    )
    .map(([id, after, limit, extra]): Spec => {
      const params = [
        ...(after !== null ? [`after=${encodeQuery(after)}`] : []),
        ...(limit !== null ? [`limit=${encodeQuery(limit)}`] : []),
      ]
      const q = params.join('&') + extra
      // With a duplicated parameter the first one counts; only the simple case gets an oracle.
      const known = extra === '' || extra === '&x=1' || extra === '&=&&'
      const valid = (after === null || cursorOk(after)) && (limit === null || limitOk(limit))
      return {
        cat: 'history',
        method: 'GET',
        path: `/sessions/{id}/history${q ? `?${q}` : ''}`,
        id,
        headers: {},
        ...(known
          ? {
              oracle: {
                kind: 'history',
                valid,
                limit: limit !== null && limitOk(limit) ? Number(limit) : 500,
              } as Oracle,
            }
          : {}),
      }
    })

  const events = fc
    .tuple(liveIdRef, fc.option(cursorValue), fc.option(cursorValue), fc.boolean())
    .map(([id, header, after, dup]): Spec => {
      const headers: Record<string, string | string[]> = { accept: 'text/event-stream' }
      if (header !== null)
        headers['last-event-id'] = dup ? [headerSafe(header), '1'] : headerSafe(header)
      const path = `/sessions/{id}/events${after !== null ? `?after=${encodeQuery(after)}` : ''}`
      // The header wins over ?after=; Node trims header values.
      let oracle: Oracle | undefined
      if (header !== null && !dup)
        oracle = {
          kind: 'cursor',
          valid: cursorOk(headerSafe(header).replace(/^[\t ]+|[\t ]+$/g, '')),
        }
      else if (header === null)
        oracle = { kind: 'cursor', valid: after === null || cursorOk(after) }
      return { cat: 'events', method: 'GET', path, id, headers, ...(oracle ? { oracle } : {}) }
    })

  const simple = fc
    .tuple(
      fc.constantFrom(
        'GET /sessions/{id}',
        'GET /sessions/{id}/turns',
        'POST /sessions/{id}/cancel',
        'DELETE /sessions/{id}'
      ),
      liveIdRef,
      fc.option(fc.constantFrom('', '{}', 'junk', 'x'.repeat(2000)))
    )
    .map(([route, id, b]): Spec => {
      const [method, path] = route.split(' ') as [string, string]
      return {
        cat: 'simple',
        method,
        path,
        id,
        headers: b !== null ? { 'content-type': 'application/json' } : {},
        ...(b !== null ? { body: b } : {}),
      }
    })

  const wrongMethod = fc
    .tuple(
      fc.constantFrom(
        'PUT',
        'PATCH',
        'DELETE',
        'POST',
        'GET',
        'HEAD',
        'OPTIONS',
        'TRACE',
        'PROPFIND',
        'MKCOL',
        'LOCK',
        'PURGE',
        'SEARCH'
      ),
      fc.constantFrom(
        '/sessions',
        '/sessions/{id}',
        '/sessions/{id}/turns',
        '/sessions/{id}/cancel',
        '/sessions/{id}/events',
        '/sessions/{id}/history',
        '/events',
        '/healthz',
        '/',
        '/auth/login',
        '/auth/logout',
        '/sessions/{id}/turns/trn_0123456789abcdef',
        '/sessions/',
        '/Sessions',
        '/sessions/{id}/',
        '/api/sessions',
        '/.env',
        '/assets/../../package.json',
        '/%2e%2e/%2e%2e/etc/passwd',
        '/sessions;x',
        '/sessions%00'
      ),
      liveIdRef,
      fc.option(fc.constantFrom('{}', '{"title":"m"}', 'x'))
    )
    .map(([method, path, id, b]): Spec => ({
      cat: 'method',
      method,
      path,
      id,
      headers: b !== null ? { 'content-type': 'application/json' } : {},
      ...(b !== null && method !== 'GET' && method !== 'HEAD' ? { body: b } : {}),
    }))

  const oddHeaders = fc.record(
    {
      'x-forwarded-proto': fc.constantFrom('https', 'http', 'gopher', '', 'https, http'),
      'x-forwarded-for': fc.constantFrom('1.2.3.4', '127.0.0.1', 'evil, 127.0.0.1', '::1'),
      origin: fc.constantFrom('http://evil.example', 'null', 'file://', ''),
      accept: fc.constantFrom('*/*', 'text/event-stream', 'application/json', '\u00ff'),
      cookie: fc.constantFrom(
        `${COOKIE_NAME}=junk`,
        'a=b; c',
        '=;=;',
        `${COOKIE_NAME}=v1.1.a.b; ${COOKIE_NAME}=x`
      ),
      'content-length': fc.constantFrom('0'),
      'last-event-id': fc.constantFrom('5', '-5'),
      'if-none-match': fc.constantFrom('*', 'W/"x"'),
      'x-http-method-override': fc.constantFrom('DELETE', 'PATCH'),
    },
    { requiredKeys: [] }
  )
  const list = fc
    .tuple(
      fc.constantFrom('/sessions', '/events', '/healthz'),
      fc.constantFrom(
        '',
        '?x=1',
        '?after=-1',
        '?token=abc',
        '?' + 'a'.repeat(4000),
        '?%zz',
        '?a=%E0%A4%A'
      ),
      oddHeaders
    )
    .map(([path, q, headers]): Spec => ({
      cat: 'list',
      method: 'GET',
      path: path + q,
      headers: headers as Record<string, string>,
    }))

  // Credentials that are wrong, forged, duplicated or misplaced, from addresses of their own.
  const authVariant = fc.constantFrom(
    'none',
    'wrong',
    'short',
    'long',
    'lower',
    'two-spaces',
    'basic',
    'no-scheme',
    'query',
    'cookie-junk',
    'cookie-forged',
    'cookie-token',
    'dup-good-first',
    'dup-bad-first',
    'empty',
    'tab'
  )
  const auth = fc
    .tuple(
      authVariant,
      fc.constantFrom(
        'GET /sessions',
        'POST /sessions',
        'GET /events',
        'GET /sessions/{id}/history',
        'POST /auth/login'
      ),
      fc.nat({ max: 299 }),
      liveIdRef
    )
    .map(([variant, route, address, id]): Spec => {
      const [method, path] = route.split(' ') as [string, string]
      const headers: Record<string, string | string[]> = {}
      let q = ''
      let firstAuthGood = false
      switch (variant) {
        case 'wrong':
          headers.authorization = 'Bearer {WRONG}'
          break
        case 'short':
          headers.authorization = 'Bearer {SHORT}'
          break
        case 'long':
          headers.authorization = 'Bearer {TOKEN}x'
          break
        case 'lower':
          headers.authorization = 'bearer {TOKEN}'
          firstAuthGood = true
          break
        case 'two-spaces':
          headers.authorization = 'Bearer  {TOKEN}'
          break
        case 'basic':
          headers.authorization = 'Basic {TOKEN}'
          break
        case 'no-scheme':
          headers.authorization = '{TOKEN}'
          break
        case 'query':
          q = '?token={TOKEN}'
          break
        case 'cookie-junk':
          headers.cookie = `${COOKIE_NAME}=junk`
          break
        case 'cookie-forged':
          headers.cookie = `${COOKIE_NAME}=v1.${Math.floor(Date.now() / 1000)}.AAAAAAAAAAAAAAAA.${'A'.repeat(43)}`
          break
        case 'cookie-token':
          headers.cookie = `${COOKIE_NAME}={TOKEN}`
          break
        // Duplicated Authorization headers reach the app joined ("Bearer a, Bearer b"): refused.
        case 'dup-good-first':
          headers.authorization = ['Bearer {TOKEN}', 'Bearer {WRONG}']
          break
        case 'dup-bad-first':
          headers.authorization = ['Bearer {WRONG}', 'Bearer {TOKEN}']
          break
        case 'empty':
          headers.authorization = ''
          break
        case 'tab':
          headers.authorization = 'Bearer\t{TOKEN}'
          break
      }
      if (method === 'POST') headers['content-type'] = 'application/json'
      const b =
        path === '/auth/login'
          ? JSON.stringify({ token: variant === 'none' ? '{TOKEN}' : '{WRONG}' })
          : method === 'POST'
            ? '{}'
            : undefined
      const loginGood = path === '/auth/login' && variant === 'none'
      return {
        cat: 'auth',
        method,
        path: path + q,
        id,
        headers,
        ...(b !== undefined ? { body: b } : {}),
        address,
        // Login looks only at the token in its body; every other route only at the credentials.
        oracle: { kind: 'auth', firstAuthGood: path === '/auth/login' ? loginGood : firstAuthGood },
      }
    })

  const hostValue = fc.constantFrom(
    { host: 'evil.example', allowed: false as boolean | null },
    { host: 'evil.example:{PORT}', allowed: false },
    { host: '127.0.0.1.nip.io:{PORT}', allowed: false },
    { host: 'localhost.evil.example', allowed: false },
    { host: 'xn--80ak6aa92e.com', allowed: false },
    { host: '[::2]:{PORT}', allowed: false },
    { host: '0.0.0.0:{PORT}', allowed: false },
    { host: '192.168.1.10:{PORT}', allowed: false },
    { host: 'localhost', allowed: true },
    { host: 'localhost:{PORT}', allowed: true },
    { host: '127.0.0.1:{PORT}', allowed: true },
    { host: '[::1]:{PORT}', allowed: true },
    { host: 'LocalHost:{PORT}', allowed: true },
    // Malformed: Node or the adapter may refuse them before the app; no oracle but "no 5xx".
    { host: 'a b', allowed: null },
    { host: 'x@127.0.0.1', allowed: null },
    { host: '127.0.0.1:{PORT}/x', allowed: null },
    { host: '[::1', allowed: null },
    { host: '127.0.0.1:99999', allowed: null },
    { host: '127.0.0.1:', allowed: null },
    { host: ':{PORT}', allowed: null },
    { host: '', allowed: null },
    { host: '0x7f000001', allowed: null },
    { host: '2130706433', allowed: null },
    { host: '127.1', allowed: null },
    { host: 'evil.example\u00ff', allowed: null },
    { host: 'localhost#@evil.example', allowed: null }
  )
  const host = fc
    .tuple(hostValue, fc.constantFrom('/healthz', '/sessions', '/', '/events', '/auth/login'))
    .map(([h, path]): Spec => ({
      cat: h.allowed === null ? 'host-malformed' : 'host',
      method: path === '/auth/login' ? 'POST' : 'GET',
      path,
      headers: {
        host: h.host,
        ...(path === '/auth/login' ? { 'content-type': 'application/json' } : {}),
      },
      ...(path === '/auth/login' ? { body: '{"token":"{TOKEN}"}' } : {}),
      oracle: { kind: 'host', allowed: h.allowed },
    }))

  // Broken HTTP, straight onto a socket.
  const AUTHZ = 'Authorization: Bearer {TOKEN}\r\n'
  const wireCase = fc.oneof(
    fc.constantFrom(
      `GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nHost: evil.example\r\n\r\n`,
      `GET /healthz HTTP/1.1\r\nHost: evil.example\r\nHost: {HOST}\r\n\r\n`,
      `GET /sessions HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST /sessions HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n`,
      `POST /sessions HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
      `POST /sessions HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}Content-Type: application/json\r\nContent-Length: -1\r\n\r\n{}`,
      `POST /sessions HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{}`,
      `POST /sessions HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}Content-Type: application/json\r\nContent-Length: 99999999999999999999\r\n\r\n{}`,
      `POST /sessions HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{x\r\n0\r\n\r\n`,
      `GET /\\sessions HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}\r\n`,
      `GET /assets/..\\..\\sessions HTTP/1.1\r\nHost: {HOST}\r\n\r\n`,
      `FOO /sessions HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}\r\n`,
      `GET /sessions HTTP/9.9\r\nHost: {HOST}\r\n${AUTHZ}\r\n`,
      `GET /sessions HTTP/1.0\r\n${AUTHZ}\r\n`,
      `GET /sessions\r\n\r\n`,
      `GET /sessions HTTP/1.1\r\nHost: {HOST}\r\nX-Bad\r\n\r\n`,
      `GET /sessions HTTP/1.1\r\nHost: {HOST}\r\nX-Nul: a\u0000b\r\n${AUTHZ}\r\n`,
      `GET /sessions HTTP/1.1\r\nHost: {HOST}\r\nX-Fold: a\r\n b\r\n${AUTHZ}\r\n`,
      `GET /sessions HTTP/1.1\r\nHost: {HOST}\r\nX-Big: ${'a'.repeat(20_000)}\r\n${AUTHZ}\r\n`,
      `GET /sessions?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}\r\n`,
      `GET http://evil.example/sessions HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}\r\n`,
      `GET http://{HOST}/sessions HTTP/1.1\r\nHost: evil.example\r\n${AUTHZ}\r\n`,
      `GET * HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}\r\n`,
      `GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\nGET /sessions HTTP/1.1\r\nHost: {HOST}\r\n\r\n`,
      `GET /sessions HTTP/1.1\nHost: {HOST}\n${AUTHZ.replace('\r\n', '\n')}\n`,
      `GET /sessions HTTP/1.1\r\nHost : {HOST}\r\n${AUTHZ}\r\n`,
      `GET /sessions HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {TOKEN}\u00ff\r\n\r\n`,
      `\r\n\r\n\r\n`,
      `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`,
      `GET /sessions/{id}/events HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}Last-Event-ID: 1\r\nLast-Event-ID: 2\r\n\r\n`,
      `GET /sessions/ses_0123456789abcdef HTTP/1.1\r\nHost: {HOST}\r\n${AUTHZ}Connection: upgrade\r\nUpgrade: websocket\r\n\r\n`
    ),
    // Random bytes, ended like a head so the parser answers instead of waiting for more.
    fc.uint8Array({ maxLength: 200 }).map((b) => `${Buffer.from(b).toString('latin1')}\r\n\r\n`),
    fc
      .tuple(
        fc.constantFrom('GET', 'POST', 'G\u00c9T', 'get', ''),
        fc.string({ unit: 'binary-ascii', maxLength: 40 }),
        fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/1.2', 'HTTPS/1.1', '')
      )
      .map(([m, target, v]) => `${m} /${target} ${v}\r\nHost: {HOST}\r\n${AUTHZ}\r\n`)
  )
  const wire = wireCase.map((w): Spec => ({
    cat: 'wire',
    method: 'RAW',
    path: '',
    headers: {},
    wire: w,
  }))

  // Valid requests at the edges of the limits: these must succeed.
  const edge = fc
    .tuple(
      fc.constantFrom(
        'create-max',
        'create-cwd',
        'create-cwd-link',
        'create-empty',
        'patch-null',
        'patch-max',
        'history-1000',
        'history-1',
        'events-0',
        'events-head',
        'turn-max'
      ),
      fc.constantFrom(...PERMISSION_MODES),
      fc.nat()
    )
    .map(([kind, pm, n]): Spec => {
      const json = (
        method: string,
        path: string,
        fields: Record<string, unknown>,
        id?: IdRef
      ): Spec => ({
        cat: 'edge',
        method,
        path,
        ...(id ? { id } : {}),
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(fields),
        sent: fields,
        oracle: { kind: 'edge' },
      })
      switch (kind) {
        case 'create-max':
          return json('POST', '/sessions', {
            title: '😀'.repeat(100),
            model: `m${'-'.repeat(127)}`,
            permissionMode: pm,
            allowedTools: Array.from(
              { length: 64 },
              (_, i) => `Bash(tool ${i} ${'y'.repeat(180)})`
            ),
            appendSystemPrompt: 'é'.repeat(32 * 1024),
          })
        case 'create-cwd':
          return json('POST', '/sessions', {
            cwd: `${dataDir}//sub/./`,
            title: 'שלום עולם \u202e RTL',
          })
        case 'create-cwd-link':
          return json('POST', '/sessions', { cwd: `${dataDir}/link-in` })
        case 'create-empty':
          return {
            cat: 'edge',
            method: 'POST',
            path: '/sessions',
            headers: {},
            oracle: { kind: 'edge' },
          }
        case 'patch-null':
          return json(
            'PATCH',
            '/sessions/{id}',
            { model: null, permissionMode: null, allowedTools: [] },
            { live: n }
          )
        case 'patch-max':
          return json(
            'PATCH',
            '/sessions/{id}',
            { title: 'x'.repeat(200), permissionMode: pm },
            { live: n }
          )
        case 'history-1000':
          return {
            cat: 'edge',
            method: 'GET',
            path: '/sessions/{id}/history?after=0&limit=1000',
            id: { turnSession: n },
            headers: {},
            oracle: { kind: 'edge' },
          }
        case 'history-1':
          return {
            cat: 'edge',
            method: 'GET',
            path: '/sessions/{id}/history?limit=1',
            id: { live: n },
            headers: {},
            oracle: { kind: 'edge' },
          }
        case 'events-0':
          return {
            cat: 'edge',
            method: 'GET',
            path: '/sessions/{id}/events',
            id: { live: n },
            headers: { 'last-event-id': '0' },
            oracle: { kind: 'edge' },
          }
        case 'events-head':
          return {
            cat: 'edge',
            method: 'GET',
            path: '/sessions/{id}/events?after=9007199254740991',
            id: { live: n },
            headers: {},
            oracle: { kind: 'edge' },
          }
        default:
          // A full-size prompt on a turn session: 202, started or queued behind the running turn.
          return {
            ...json(
              'POST',
              '/sessions/{id}/turns',
              {
                prompt: `edge ${'p'.repeat(200 * 1024 - 5)}`,
                clientTurnId: `${'k'.repeat(100)}-${n}`.slice(0, 128),
              },
              { turnSession: n }
            ),
            oracle: { kind: 'status', status: [202] },
          }
      }
    })

  return fc.oneof(
    { weight: 14, arbitrary: create },
    { weight: 10, arbitrary: patch },
    { weight: 8, arbitrary: turn },
    { weight: 9, arbitrary: history },
    { weight: 9, arbitrary: events },
    { weight: 7, arbitrary: simple },
    { weight: 6, arbitrary: wrongMethod },
    { weight: 3, arbitrary: list },
    { weight: 7, arbitrary: auth },
    { weight: 4, arbitrary: host },
    { weight: 5, arbitrary: wire },
    { weight: 6, arbitrary: edge }
  )
}

// ---------------------------------------------------------------- the run

let d: TestDaemon
const WRONG = 'wrong-token-but-long-enough-0123456789ab'

describe('fuzzing the HTTP edge of a real daemon', () => {
  beforeAll(async () => {
    d = await startTestDaemon()
    mkdirSync(join(d.dataDir, 'sub'))
    writeFileSync(join(d.dataDir, 'file.txt'), 'not a directory')
    symlinkSync(join(d.dataDir, 'sub'), join(d.dataDir, 'link-in'))
    symlinkSync('/etc', join(d.dataDir, 'link-out'))
    symlinkSync(join(d.dataDir, 'link-loop'), join(d.dataDir, 'link-loop'))
  })
  afterAll(async () => {
    await d?.stop()
  })

  it(
    `survives ${RUNS} malformed requests with only documented 4xx answers, and no partial write`,
    { timeout: TIME_LIMIT_MS + 120_000 },
    async () => {
      const port = Number(new URL(d.url).port)
      const realData = realpathSync(d.dataDir)
      const workspaces = join(d.dataDir, 'workspaces')

      // Two sessions that take turns; the fuzzer never deletes them.
      const turnSessions: string[] = []
      for (const title of ['turns one', 'turns two'])
        turnSessions.push((await createSession(d, { title })).id)
      const deletable: string[] = []
      const created = new Set<string>(turnSessions)
      const deleted = new Set<string>()
      const defaultCwd = new Set<string>(turnSessions)
      const turnOwner = new Map<string, string>()
      /** The last state a 2xx answer showed for each session. */
      const expected = new Map<string, Record<string, unknown>>()
      const histogram = new Map<string, number>()
      const byCategory = new Map<string, number>()
      const preApp = new Map<string, number>()
      let sent = 0
      let runs = 0
      const timeByCategory = new Map<string, number>()
      const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1)

      const live = () => [...turnSessions, ...deletable]
      const resolveId = (ref: IdRef | undefined, method: string): string => {
        if (!ref) return ''
        if ('literal' in ref) return ref.literal
        if ('turnSession' in ref) return turnSessions[ref.turnSession % turnSessions.length]!
        // DELETE only takes sessions the fuzzer made; the turn sessions stay.
        const pool = method === 'DELETE' ? deletable : live()
        return pool.length > 0 ? pool[ref.live % pool.length]! : 'ses_0000000000000000'
      }
      const addressOf = (i: number) => `127.0.${2 + Math.floor(i / 250)}.${(i % 250) + 1}`
      const fill = (s: string) =>
        s
          .replaceAll('{TOKEN}', d.token)
          .replaceAll('{WRONG}', WRONG)
          .replaceAll('{SHORT}', d.token.slice(0, 5))
          .replaceAll('{PORT}', String(port))

      async function send(
        spec: Spec
      ): Promise<{ res: RawResponse | null; error?: string; id: string; brokenHttp: boolean }> {
        const id = resolveId(spec.id, spec.method)
        // A backslash is not allowed in a request-target (RFC 3986); the adapter refuses it before the app.
        const brokenHttp =
          spec.cat === 'wire' ||
          spec.cat === 'host-malformed' ||
          fill(spec.path).replaceAll('{id}', id).split('?')[0]!.includes('\\')
        sent++
        if (spec.wire !== undefined) {
          const bytes = fill(spec.wire)
            .replaceAll('{HOST}', `127.0.0.1:${port}`)
            .replaceAll('{id}', turnSessions[0]!)
          const text = await rawSocket(d.url, Buffer.from(bytes, 'latin1'), {
            timeoutMs: 10_000,
            idleMs: 150,
          })
          return { res: parseWire(text), id, brokenHttp }
        }
        const headers: Record<string, string | string[]> = {}
        for (const [k, v] of Object.entries(spec.headers))
          headers[k] = Array.isArray(v) ? v.map(fill) : fill(v)
        if (spec.cat !== 'auth' && headers.authorization === undefined)
          headers.authorization = `Bearer ${d.token}`
        let body = spec.body
        if (typeof body === 'string' && body.includes('{')) body = fill(body)
        if (body !== undefined && spec.path.endsWith('/turns')) {
          // The fake claude obeys [directives] in prompts ([tool:…] runs a shell): none from the fuzzer.
          body =
            typeof body === 'string'
              ? body.replaceAll('[', '(')
              : Buffer.from(body.map((b) => (b === 0x5b ? 0x28 : b)))
        }
        if (headers['content-length'] !== undefined && body !== undefined)
          headers['content-length'] = String(Buffer.byteLength(body))
        try {
          const res = await raw(d.url, {
            method: spec.method,
            path: fill(spec.path).replaceAll('{id}', id),
            headers,
            ...(body !== undefined ? { body } : {}),
            ...(spec.address !== undefined ? { localAddress: addressOf(spec.address) } : {}),
            timeoutMs: 20_000,
          })
          return { res, id, brokenHttp }
        } catch (err) {
          return {
            res: null,
            error: (err as NodeJS.ErrnoException).code ?? (err as Error).message,
            id,
            brokenHttp,
          }
        }
      }

      function check(
        spec: Spec,
        id: string,
        r: { res: RawResponse | null; error?: string; brokenHttp: boolean }
      ): void {
        const what = `${spec.cat} ${spec.method} ${spec.path.slice(0, 120)} (id ${JSON.stringify(id.slice(0, 40))})`
        bump(byCategory, spec.cat)
        if (r.res === null) {
          // A body far over the limit may be cut off once the 413 is out; nothing else may drop.
          const size = spec.body === undefined ? 0 : Buffer.byteLength(spec.body)
          bump(histogram, `dropped:${r.error}`)
          expect(size > bodyLimit(spec), `${what}: connection failed (${r.error})`).toBe(true)
          return
        }
        const res = r.res
        const fromApp = res.headers['content-security-policy'] !== undefined
        bump(histogram, fromApp ? String(res.status) : `${res.status || 'closed'} (before the app)`)
        const label = `${what} → ${res.status} ${res.text.slice(0, 300)}`
        expect(res.status === 0 || res.status < 500, label).toBe(true)
        expect(res.headers['access-control-allow-origin'], label).toBeUndefined()
        if (!fromApp) {
          // Only broken HTTP is answered by Node or the adapter instead of the app, with the JSON error too.
          bump(preApp, `${spec.cat} ${res.status || 'closed'}`)
          expect(r.brokenHttp, `${label}: a well-formed request was answered before the app`).toBe(
            true
          )
          if (res.status !== 0 && spec.method !== 'HEAD')
            expect(isErrorShape(res.json), label).toBe(true)
          return
        }
        expect(res.headers['x-content-type-options'], label).toBe('nosniff')
        if (res.status >= 400 && spec.method !== 'HEAD') {
          expect(String(res.headers['content-type']), label).toMatch(/^application\/json/)
          expect(isErrorShape(res.json), label).toBe(true)
          bump(histogram, `${res.status} ${res.json.error.code}`)
        }
        if (res.status === 429)
          expect(Number(res.headers['retry-after']), label).toBeGreaterThanOrEqual(1)

        const o = spec.oracle
        if (o?.kind === 'tooLarge') expect(res.status, label).toBe(413)
        if (o?.kind === 'unsupportedType') expect(res.status, label).toBe(415)
        if (o?.kind === 'status') expect(o.status, label).toContain(res.status)
        if (o?.kind === 'edge') expect(res.status, label).toBeLessThan(300)
        if (o?.kind === 'host') {
          if (o.allowed === false) expect(res.status, label).toBe(421)
          if (o.allowed === true) expect(res.status, label).not.toBe(421)
        }
        if (o?.kind === 'auth') {
          if (o.firstAuthGood) expect([200, 201, 204, 400, 404, 429], label).toContain(res.status)
          else expect([401, 429], label).toContain(res.status)
        }
        const idKnown =
          spec.id !== undefined && !('literal' in spec.id && !/^ses_[0-9A-Za-z]{16}$/.test(id))
        // "/sessions/../../events" is "/events" once the URL is normalised: another route, no oracle.
        // (WHATWG URLs also take %2e%2e for a dot segment.)
        const rawPath = spec.path.replaceAll('{id}', id).split('?')[0]!
        const rerouted =
          new URL(rawPath, 'http://x').pathname.split('/').length !== rawPath.split('/').length
        // An id that is not an id is a 400, or a 404 for no route when it changes the path's shape ("", "a/b").
        const badId = () => {
          expect([400, 404], label).toContain(res.status)
          if (res.status === 404) expect(res.json.error.code, label).toBe('not_found')
        }
        if (o?.kind === 'cursor' && !rerouted) {
          if (!idKnown) badId()
          else if (!o.valid) expect(res.status, label).toBe(400)
          else expect([200, 404], label).toContain(res.status)
          if (res.status === 200)
            expect(String(res.headers['content-type']), label).toMatch(/^text\/event-stream/)
        }
        if (o?.kind === 'history' && !rerouted) {
          if (!idKnown) badId()
          else if (!o.valid) expect(res.status, label).toBe(400)
          else {
            expect([200, 404], label).toContain(res.status)
            if (res.status === 200) {
              expect(Array.isArray(res.json.events), label).toBe(true)
              expect(res.json.events.length, label).toBeLessThanOrEqual(o.limit)
              expect(Number.isSafeInteger(res.json.lastEventId), label).toBe(true)
            }
          }
        }

        // Bookkeeping, and what a 2xx stored must be exactly what was sent.
        let path = res.status < 300 ? spec.path : ''
        if (spec.wire !== undefined && res.status === 201 && /^POST \/sessions /.test(spec.wire))
          path = '/sessions'
        if (
          (spec.method === 'POST' || spec.wire !== undefined) &&
          path === '/sessions' &&
          res.status === 201
        ) {
          const s = res.json
          expect(s.id, label).toMatch(/^ses_[0-9A-Za-z]{16}$/)
          expect(created.has(s.id), label).toBe(false)
          created.add(s.id)
          deletable.push(s.id)
          expected.set(s.id, s)
          // Limits count characters (code points), as zod does.
          expect(typeof s.title === 'string' && [...s.title].length <= 200, label).toBe(true)
          expect(Array.isArray(s.allowedTools) && s.allowedTools.length <= 64, label).toBe(true)
          // The cwd is always a real directory inside the allowed root.
          const cwd = realpathSync(s.cwd)
          expect(cwd === realData || cwd.startsWith(`${realData}/`), `${label}: cwd ${cwd}`).toBe(
            true
          )
          if (cwd.startsWith(`${realpathSync(workspaces)}/`)) defaultCwd.add(s.id)
          if (spec.sent) {
            const sentF = spec.sent
            expect(s.title, label).toBe(sentF.title ?? '')
            expect(s.model, label).toBe(sentF.model ?? null)
            expect(s.permissionMode, label).toBe(sentF.permissionMode ?? null)
            expect(s.allowedTools, label).toEqual(sentF.allowedTools ?? [])
            expect(s.appendSystemPrompt, label).toBe(sentF.appendSystemPrompt ?? null)
          }
        }
        if (spec.method === 'PATCH' && path === '/sessions/{id}' && res.status === 200) {
          const s = res.json
          expect(s.id, label).toBe(id)
          expected.set(id, s)
          if (spec.sent) {
            for (const k of ['title', 'model', 'permissionMode', 'allowedTools'] as const) {
              if (k in spec.sent) expect(s[k], `${label}: ${k}`).toEqual(spec.sent[k])
            }
          }
        }
        if (spec.method === 'DELETE' && path === '/sessions/{id}' && res.status === 204) {
          deleted.add(id)
          deletable.splice(deletable.indexOf(id), 1)
          expected.delete(id)
        }
        if (spec.method === 'POST' && path === '/sessions/{id}/turns' && res.status === 202) {
          const t = res.json.turn
          expect(t.id, label).toMatch(/^trn_[0-9A-Za-z]{16}$/)
          expect(t.sessionId, label).toBe(id)
          // What was sent, after the '[' → '(' swap that keeps the fuzzer off the fake claude's directives.
          if (!turnOwner.has(t.id) && spec.sent)
            expect(t.prompt, label).toBe(String(spec.sent.prompt).replaceAll('[', '('))
          turnOwner.set(t.id, id)
        }
      }

      const arb = build({ dataDir: d.dataDir, port })
      // The Node adapter reports what it cannot answer (a head written twice, a throw in a stream) with
      // console.error, outside the daemon's log: the fuzz must not make it say anything.
      const consoleErrors: string[] = []
      const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
        consoleErrors.push(args.map(String).join(' ').slice(0, 500))
      })
      const started = Date.now()
      let failure: unknown = null
      try {
        await fc.assert(
          fc.asyncProperty(arb, async (spec) => {
            runs++
            const t0 = Date.now()
            const r = await send(spec)
            timeByCategory.set(spec.cat, (timeByCategory.get(spec.cat) ?? 0) + Date.now() - t0)
            check(spec, r.id, r)
          }),
          {
            numRuns: RUNS,
            seed: SEED,
            endOnFailure: false,
            interruptAfterTimeLimit: TIME_LIMIT_MS,
            markInterruptAsFailure: true,
          }
        )
      } catch (err) {
        failure = err
      } finally {
        spy.mockRestore()
      }
      const seconds = (Date.now() - started) / 1000
      const sorted = (m: Map<string, number>) =>
        Object.fromEntries([...m].sort((a, b) => b[1] - a[1]))
      console.log(
        `fuzz: ${sent} requests sent in ${runs} property runs (FUZZ_RUNS=${RUNS}, FUZZ_SEED=${SEED}) in ${seconds.toFixed(1)} s\n` +
          `  statuses: ${JSON.stringify(sorted(histogram))}\n` +
          `  categories: ${JSON.stringify(sorted(byCategory))}\n` +
          `  ms per category: ${JSON.stringify(sorted(timeByCategory))}\n` +
          `  answered before the app (broken HTTP only): ${JSON.stringify(sorted(preApp))}\n` +
          `  sessions created ${created.size - turnSessions.length}, deleted ${deleted.size}, turns started ${turnOwner.size}`
      )
      if (failure) throw failure
      expect(sent).toBeGreaterThanOrEqual(RUNS)
      expect(consoleErrors).toEqual([])

      // ---- afterwards: the daemon is healthy and its state is exactly what the 2xx answers said
      expect((await raw(d.url, { path: '/healthz' })).status).toBe(200)
      await waitUntil(
        async () => {
          const r = await raw(d.url, {
            path: '/sessions',
            headers: { authorization: `Bearer ${d.token}` },
          })
          // Queued turns run one by one after the fuzz; a paused queue (after a fuzzed cancel) waits.
          return r.json.sessions.every(
            (s: { status: string; queuedTurns: number; queuePaused: boolean }) =>
              s.status === 'idle' && (s.queuedTurns === 0 || s.queuePaused)
          )
        },
        { timeoutMs: 120_000, label: 'every fuzzed turn to end' }
      )
      await waitUntil(() => d.daemon.stats().sseClients === 0, {
        timeoutMs: 10_000,
        label: 'every fuzzed SSE stream to be closed',
      })

      const list = (
        await raw(d.url, { path: '/sessions', headers: { authorization: `Bearer ${d.token}` } })
      ).json.sessions as Record<string, unknown>[]
      const alive = [...created].filter((id) => !deleted.has(id)).sort()
      expect(list.map((s) => s.id as string).sort()).toEqual(alive)
      for (const s of list) {
        const e = expected.get(s.id as string)
        if (!e) continue
        const fields = [
          'model',
          'permissionMode',
          'allowedTools',
          'appendSystemPrompt',
          'cwd',
        ] as const
        for (const f of fields) expect(s[f], `${s.id} ${f}`).toEqual(e[f])
        // A first turn titles an untitled turn session; the others keep their last 2xx title.
        if (!turnSessions.includes(s.id as string))
          expect(s.title, `${s.id} title`).toEqual(e.title)
      }

      const db = inspectDb(d.dataDir)
      try {
        expect(db.integrity()).toBe('ok')
        // SQLite checks foreign keys only when told to; PostgreSQL always does.
        if (TEST_BACKEND === 'sqlite') expect(db.all('PRAGMA foreign_key_check')).toEqual([])
        const rows = (db.all('SELECT id FROM sessions ORDER BY id') as { id: string }[]).map(
          (r) => r.id
        )
        expect(rows).toEqual(alive)
        const turns = db.all('SELECT id, session_id AS sessionId FROM turns') as {
          id: string
          sessionId: string
        }[]
        const expectedTurns = [...turnOwner]
          .filter(([, sid]) => !deleted.has(sid))
          .map(([tid]) => tid)
          .sort()
        expect(turns.map((t) => t.id).sort()).toEqual(expectedTurns)
        for (const t of turns) expect(turnOwner.get(t.id)).toBe(t.sessionId)
        expect(
          db.all(
            'SELECT count(*) AS n FROM events WHERE session_id NOT IN (SELECT id FROM sessions)'
          )
        ).toEqual([{ n: 0 }])
        expect(db.all(`SELECT count(*) AS n FROM turns WHERE status = 'running'`)).toEqual([
          { n: 0 },
        ])
      } finally {
        db.close()
      }
      // A refused create never leaves a workspace behind.
      for (const dir of readdirSync(workspaces))
        expect(defaultCwd.has(dir), `orphan workspace ${dir}`).toBe(true)

      // Nothing was logged as a failed request (a 500), and the token never reached the log.
      const logs = d.logs.join('')
      expect(logs).not.toMatch(/request failed/)
      expect(logs).not.toContain(d.token)

      // And it still does its job: a normal turn runs to completion.
      const s = await createSession(d, { title: 'after the fuzz' })
      const { ended } = await runTurn(d, s.id, 'hello after the fuzz')
      expect(ended.status).toBe('completed')
    }
  )
})

/** The status and head of the first response on a raw socket; status 0 when the server only hung up. */
function parseWire(text: string): RawResponse {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text)
  if (!m) return { status: 0, headers: {}, text: '', json: undefined }
  const head = text.indexOf('\r\n\r\n')
  const headers: Record<string, string> = {}
  for (const line of text
    .slice(0, head < 0 ? undefined : head)
    .split('\r\n')
    .slice(1)) {
    const i = line.indexOf(':')
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
  }
  let body = head < 0 ? '' : text.slice(head + 4)
  if (headers['content-length'] !== undefined)
    body = body.slice(0, Number(headers['content-length']))
  let json: unknown
  try {
    json = body ? JSON.parse(Buffer.from(body, 'latin1').toString('utf8')) : undefined
  } catch {
    json = undefined
  }
  return { status: Number(m[1]), headers, text: body, json }
}

/** What the fuzzer found, pinned down as plain tests so a regression fails every run, not one seed in ten. */
describe('regressions found by fuzzing', () => {
  let t: TestDaemon
  beforeAll(async () => {
    t = await startTestDaemon()
  })
  afterAll(async () => {
    await t?.stop()
  })
  const post = (path: string, body: string) =>
    raw(t.url, {
      method: 'POST',
      path,
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body,
    })

  it('a lone surrogate in any text field is a 400, not text silently changed by SQLite ("\\ud800" → "\\ufffd\\ufffd\\ufffd")', async () => {
    for (const field of ['title', 'appendSystemPrompt', 'cwd']) {
      const r = await post('/sessions', `{"${field}":"a\\ud800b"}`)
      expect(r.status, `${field}: ${r.text}`).toBe(400)
      expect(isErrorShape(r.json)).toBe(true)
    }
    expect((await post('/sessions', '{"allowedTools":["Bash\\udc00"]}')).status).toBe(400)
    // 200 lone surrogates used to be stored as 600 characters, past the 200-character title limit.
    expect((await post('/sessions', JSON.stringify({ title: '\ud800'.repeat(200) }))).status).toBe(
      400
    )
    const s = await post('/sessions', '{"title":"pair \\ud83d\\ude00 ok"}')
    expect(s.status).toBe(201)
    expect(s.json.title).toBe('pair 😀 ok')
    const patch = await raw(t.url, {
      method: 'PATCH',
      path: `/sessions/${s.json.id}`,
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json' },
      body: '{"title":"\\udfff"}',
    })
    expect(patch.status).toBe(400)
    const turn = await post(`/sessions/${s.json.id}/turns`, '{"prompt":"hi \\ud800"}')
    expect(turn.status).toBe(400)
    expect(
      (
        await raw(t.url, {
          path: `/sessions/${s.json.id}`,
          headers: { authorization: `Bearer ${t.token}` },
        })
      ).json.title
    ).toBe('pair 😀 ok')
  })

  it('HEAD on the SSE routes answers a head and opens no stream (it used to write a second head: ERR_HTTP_HEADERS_SENT)', async () => {
    const errors: string[] = []
    const spy = vi
      .spyOn(console, 'error')
      .mockImplementation((...a: unknown[]) => void errors.push(a.map(String).join(' ')))
    try {
      const s = await post('/sessions', '{}')
      for (const path of ['/events', `/sessions/${s.json.id}/events`]) {
        const r = await raw(t.url, {
          method: 'HEAD',
          path,
          headers: { authorization: `Bearer ${t.token}` },
        })
        expect(r.status).toBe(200)
        expect(String(r.headers['content-type'])).toMatch(/^text\/event-stream/)
        expect(r.headers['x-content-type-options']).toBe('nosniff')
      }
      // Still validated like the GET.
      expect(
        (
          await raw(t.url, {
            method: 'HEAD',
            path: '/sessions/ses_0123456789abcdef/events',
            headers: { authorization: `Bearer ${t.token}` },
          })
        ).status
      ).toBe(404)
      expect(
        (
          await raw(t.url, {
            method: 'HEAD',
            path: `/sessions/${s.json.id}/events`,
            headers: { authorization: `Bearer ${t.token}`, 'last-event-id': '-1' },
          })
        ).status
      ).toBe(400)
      await waitUntil(() => t.daemon.stats().sseClients === 0, {
        timeoutMs: 5_000,
        label: 'no stream left open by HEAD',
      })
      // The adapter reports a double head asynchronously.
      await new Promise((r) => setTimeout(r, 100))
    } finally {
      spy.mockRestore()
    }
    expect(errors).toEqual([])
  })

  it('a client that breaks off a chunked body gets no 500, and the log gets no "request failed"', async () => {
    const port = new URL(t.url).port
    for (const tail of ['ZZ\r\n{}\r\n0\r\n\r\n', '20\r\n{"title":"cut off']) {
      const wire = `POST /sessions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${t.token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${tail}`
      const answer = await rawSocket(t.url, wire, { idleMs: 200 })
      expect(answer).not.toMatch(/^HTTP\/1\.1 5/)
    }
    await new Promise((r) => setTimeout(r, 200))
    expect(t.logs.join('')).not.toMatch(/request failed/)
    expect((await raw(t.url, { path: '/healthz' })).status).toBe(200)
  })
})

/**
 * Broken HTTP is answered before the app runs, by Node's parser (clientError) or by the Node
 * adapter (a Host or request-target it cannot make a URL of): with the documented JSON error all
 * the same (src/http/malformed.ts).
 */
describe('broken HTTP gets the JSON error too', () => {
  let t: TestDaemon
  beforeAll(async () => {
    t = await startTestDaemon()
  })
  afterAll(async () => {
    await t?.stop()
  })

  it('a Host the adapter cannot parse gets a JSON error', async () => {
    const r = await raw(t.url, { path: '/healthz', headers: { host: 'a b' } })
    expect(r.status).toBe(400)
    expect(isErrorShape(r.json), `${r.status} ${JSON.stringify(r.text)}`).toBe(true)
  })

  it("a request Node's parser refuses gets a JSON error", async () => {
    const port = new URL(t.url).port
    const text = await rawSocket(
      t.url,
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Bad\r\n\r\n`
    )
    const res = parseWire(text)
    expect(res.status).toBe(400)
    expect(isErrorShape(res.json), JSON.stringify(text)).toBe(true)
  })
})
