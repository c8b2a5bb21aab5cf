import { createServer, get, type ServerResponse } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { createGunzip, gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { createSseRegistry } from '../../src/http/sse.js'
import { openSse } from '../helpers/sse.js'
import { waitUntil } from '../helpers/wait.js'

async function withRegistry(
  current: () => string,
  body: (url: string, registry: ReturnType<typeof createSseRegistry>) => Promise<void>
) {
  const registry = createSseRegistry({ pingMs: 30, tokens: { current, fromEnvironment: false } })
  // Each stream is opened with the token named in its path.
  const server = createServer((req, res) => registry.open(res, req.url!.slice(1)))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  try {
    await body(url, registry)
  } finally {
    registry.close()
    server.closeAllConnections()
    server.close()
  }
}

describe('SSE registry', () => {
  it('pings every stream with a comment and an event EventSource can see, and ends them at shutdown', async () => {
    await withRegistry(
      () => 'a',
      async (url, registry) => {
        const c = await openSse(`${url}a`)
        await c.waitFor(
          (x) => x.frames.filter((f) => f.event === 'ping').length >= 2,
          'two pings',
          5000
        )
        expect(registry.size).toBe(1)
        await registry.shutdown()
        await c.waitFor((x) => x.closed, 'the stream to end', 5000)
        expect(c.frames.at(-1)!.event).toBe('shutdown')
      }
    )
  })

  it('ends the streams opened with a token that is no longer in force, and only those', async () => {
    let token = 'old'
    await withRegistry(
      () => token,
      async (url, registry) => {
        const stale = await openSse(`${url}old`)
        token = 'new'
        const fresh = await openSse(`${url}new`)
        await stale.waitFor((x) => x.closed, 'the old-token stream to end', 10_000)
        await fresh.waitFor(
          (x) => x.frames.filter((f) => f.event === 'ping').length >= 2,
          'pings on the new one',
          10_000
        )
        expect(fresh.closed).toBe(false)
        expect(registry.size).toBe(1)
        fresh.close()
      }
    )
  })

  it('a slow reader with a backlog still gets the shutdown frame: stop waits for the flush before closing connections', async () => {
    const registry = createSseRegistry({ tokens: { current: () => 'a', fromEnvironment: true } })
    let opened: ServerResponse | null = null
    const server = createServer((_req, res) => {
      opened = res
      const conn = registry.open(res, 'a')
      // 32 MB, far more than the kernel buffers hold: most of it waits in the socket's own buffer.
      const chunk = `data: ${'x'.repeat(64 * 1024)}\n\n`
      for (let i = 0; i < 512; i++) registry.write(conn, chunk)
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    let tail = ''
    let ended = false
    const client = connect({ host: '127.0.0.1', port }, () =>
      client.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
    )
    client.on('data', (c: Buffer) => (tail = (tail + c.toString('latin1')).slice(-200)))
    client.on('close', () => (ended = true))
    client.on('error', () => {})
    try {
      await waitUntil(() => opened !== null, { timeoutMs: 5000, label: 'the stream to open' })
      client.pause()
      // As daemon.stop does it: shutdown, then every connection is closed.
      const stopped = registry.shutdown(10_000).then(() => server.closeAllConnections())
      // The reader catches up a moment later, within the grace.
      setTimeout(() => client.resume(), 300)
      await stopped
      await waitUntil(() => ended, { timeoutMs: 10_000, label: 'the connection to end' })
      expect(tail).toContain('event: shutdown\ndata: {}\n\n')
    } finally {
      client.destroy()
      registry.close()
      server.closeAllConnections()
      server.close()
    }
  })

  it('a gzip stream gets each frame at once (sync flush), and ends with a complete gzip body at rotation and at shutdown', async () => {
    let token = 'a'
    const registry = createSseRegistry({
      pingMs: 30,
      tokens: { current: () => token, fromEnvironment: false },
    })
    const server = createServer((req, res) => registry.open(res, req.url!.slice(1), { gzip: true }))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    const open = (path: string) => {
      const s = { raw: [] as Buffer[], text: '', ended: false, encoding: '' }
      get({ host: '127.0.0.1', port, path }, (res) => {
        s.encoding = String(res.headers['content-encoding'])
        const gz = createGunzip()
        gz.on('data', (c: Buffer) => (s.text += c.toString('utf8')))
        gz.on('error', () => {})
        res.on('data', (c: Buffer) => {
          s.raw.push(c)
          gz.write(c)
        })
        res.on('end', () => (s.ended = true))
      }).on('error', () => {})
      return s
    }
    try {
      const pings = async (s: ReturnType<typeof open>) => {
        // Pings reach the reader through the compressor, before any end: the flush works.
        await waitUntil(() => s.text.split('event: ping').length > 2, {
          timeoutMs: 5000,
          label: 'two pings, decoded',
        })
        expect(s.encoding).toBe('gzip')
        expect(s.ended).toBe(false)
      }
      const rotated = open('/a')
      await pings(rotated)
      token = 'b'
      await waitUntil(() => rotated.ended, {
        timeoutMs: 10_000,
        label: 'the rotated stream to end',
      })
      // A complete gzip member (trailer included): gunzipSync throws on a truncated one.
      expect(gunzipSync(Buffer.concat(rotated.raw)).toString()).toContain('event: ping')
      const stopped = open('/b')
      await pings(stopped)
      await registry.shutdown()
      await waitUntil(() => stopped.ended, {
        timeoutMs: 10_000,
        label: 'the stream to end at shutdown',
      })
      expect(
        gunzipSync(Buffer.concat(stopped.raw)).toString().endsWith('event: shutdown\ndata: {}\n\n')
      ).toBe(true)
    } finally {
      registry.close()
      server.closeAllConnections()
      server.close()
    }
  })
})
