import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { createSseRegistry } from '../../src/http/sse.js'
import { openSse } from '../helpers/sse.js'

describe('SSE registry', () => {
  it('pings every stream with a comment and an event EventSource can see, and ends them at shutdown', async () => {
    const registry = createSseRegistry({ pingMs: 30 })
    const server = createServer((_req, res) => registry.open(res))
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    try {
      const c = await openSse(url)
      await c.waitFor((x) => x.frames.filter((f) => f.event === 'ping').length >= 2, 'two pings', 5000)
      expect(registry.size).toBe(1)
      registry.shutdown()
      await c.waitFor((x) => x.closed, 'the stream to end', 5000)
      expect(c.frames.at(-1)!.event).toBe('shutdown')
    } finally {
      registry.close()
      server.close()
    }
  })
})
