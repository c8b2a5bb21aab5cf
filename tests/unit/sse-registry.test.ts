import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createSseRegistry } from '../../src/http/sse.js'
import { openSse } from '../helpers/sse.js'

async function withRegistry(current: () => string, body: (url: string, registry: ReturnType<typeof createSseRegistry>) => Promise<void>) {
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
        await c.waitFor((x) => x.frames.filter((f) => f.event === 'ping').length >= 2, 'two pings', 5000)
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
        await fresh.waitFor((x) => x.frames.filter((f) => f.event === 'ping').length >= 2, 'pings on the new one', 10_000)
        expect(fresh.closed).toBe(false)
        expect(registry.size).toBe(1)
        fresh.close()
      }
    )
  })
})
