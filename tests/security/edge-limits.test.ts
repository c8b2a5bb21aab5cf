/**
 * Issue 10, finding 5: /auth/login is open, and it buffered up to 1 MB per request and held a
 * stalled body until the 300 s request timeout (200 such connections took RSS from 78 to 299 MB).
 * The attack, over raw sockets: large and stalled login bodies, stalled headers, and a flood of
 * connections that never authenticate. Asserted: 413, 408, the oldest strangers dropped, and the
 * owner served throughout.
 */
import { connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { waitUntil } from '../helpers/wait.js'

interface RawConn {
  socket: Socket
  /** Everything the server sent so far. */
  received(): string
  readonly closed: boolean
}

function open(url: string, first: string): Promise<RawConn> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    let data = ''
    let closed = false
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(first)
      resolve({
        socket,
        received: () => data,
        get closed() {
          return closed
        },
      })
    })
    socket.setEncoding('utf8')
    socket.on('data', (c: string) => (data += c))
    socket.on('error', () => {})
    socket.on('close', () => (closed = true))
    socket.once('error', reject)
  })
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)

describe("open routes cannot hold the daemon's memory", () => {
  let d: TestDaemon
  let host: string
  const conns: RawConn[] = []
  beforeAll(async () => {
    d = await startTestDaemon()
    host = new URL(d.url).host
  })
  afterAll(async () => {
    for (const c of conns) c.socket.destroy()
    await d?.stop()
  })
  const track = (c: RawConn) => {
    conns.push(c)
    return c
  }
  const loginHead = (extra: string) =>
    `POST /auth/login HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n${extra}\r\n`

  it('a 1 MB login body is refused with 413 before it is read, declared or chunked', async () => {
    const declared = track(
      await open(d.url, `${loginHead('Content-Length: 1048576\r\n')}{"token":"`)
    )
    await waitUntil(() => declared.closed && statusOf(declared.received()) === 413, {
      timeoutMs: 5000,
      label: '413 for a declared 1 MB body',
    })
    expect(declared.received()).toContain('"code":"body_too_large"')

    const chunked = track(await open(d.url, loginHead('Transfer-Encoding: chunked\r\n')))
    const chunk = 'x'.repeat(600)
    // 1.2 KB of a body that would go on to 1 MB, then silence.
    chunked.socket.write(
      `${chunk.length.toString(16)}\r\n${chunk}\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n`
    )
    await waitUntil(() => chunked.closed && statusOf(chunked.received()) === 413, {
      timeoutMs: 5000,
      label: '413 for a chunked body past 1 KB',
    })
    expect(chunked.received()).toContain('"code":"body_too_large"')
  })

  it('a stalled login body and stalled headers are cut off (408), long before 300 s', async () => {
    // 20 bytes of a declared 100, then nothing: the route's own deadline answers.
    const body = track(
      await open(d.url, `${loginHead('Content-Length: 100\r\n')}{"token":"abcdefghi`)
    )
    // Half a request head, then nothing: the server's headers timeout.
    const head = track(await open(d.url, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nX-Slow: `))
    await waitUntil(() => body.closed && head.closed, {
      timeoutMs: 30_000,
      label: 'both stalled requests to be cut off',
    })
    expect(statusOf(body.received())).toBe(408)
    expect(body.received()).toContain('"code":"request_timeout"')
    expect(statusOf(head.received())).toBe(408)
  })

  it('200 stalled strangers: the oldest are dropped, the owner is served, the daemon answers', async () => {
    const flood: RawConn[] = []
    for (let i = 0; i < 200; i++) {
      // Each holds a login whose body never finishes.
      flood.push(track(await open(d.url, `${loginHead('Content-Length: 500\r\n')}{"token":"`)))
    }
    // At most 128 unauthenticated connections stay: the first ones were closed to make room.
    await waitUntil(() => flood.filter((c) => c.closed).length >= 72, {
      timeoutMs: 10_000,
      label: 'the oldest strangers to be dropped',
    })
    expect(flood.slice(0, 72).every((c) => c.closed)).toBe(true)
    expect(flood.slice(-50).some((c) => c.closed)).toBe(false)
    // The owner, on a new connection, is served at once; so is a login with the right token.
    const owner = await d.api.get('/sessions')
    expect(owner.status).toBe(200)
    const login = await fetch(`${d.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: d.token }),
    })
    expect(login.status).toBe(200)
    expect((await fetch(`${d.url}/healthz`)).status).toBe(200)
  })

  it("an authenticated connection is not a stranger: a flood does not drop the owner's open stream", async () => {
    const stream = track(
      await open(
        d.url,
        `GET /events HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${d.token}\r\n\r\n`
      )
    )
    await waitUntil(() => stream.received().includes('caught-up'), {
      timeoutMs: 10_000,
      label: "the owner's stream",
    })
    for (let i = 0; i < 200; i++)
      track(await open(d.url, `${loginHead('Content-Length: 500\r\n')}{"token":"`))
    await waitUntil(() => conns.filter((c) => c.closed).length >= 200, {
      timeoutMs: 10_000,
      label: 'strangers to be dropped',
    })
    expect(stream.closed).toBe(false)
    expect(statusOf(stream.received())).toBe(200)
  })
})
