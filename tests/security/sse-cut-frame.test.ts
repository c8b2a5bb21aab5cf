/**
 * Issue 10, finding 10: @microsoft/fetch-event-source 2.0.1 commits an `id:` line as soon as it
 * parses it. With `id:` first in a frame, a connection cut after that line made it reconnect with
 * the cut event's id and skip that event. The daemon now writes `id:` last. The attack: the
 * daemon's real stream, through a proxy that cuts the first connection inside one event's frame,
 * served to the three Node client libraries. None may skip an event on reconnect.
 */
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { createSession, history, runTurn } from '../helpers/session.js'
import { waitUntil } from '../helpers/wait.js'

// fetch-event-source is written for browsers: it reaches for window and document.
const g = globalThis as Record<string, unknown>
g.window ??= globalThis
g.document ??= { hidden: false, addEventListener() {}, removeEventListener() {} }

type Cut = 'inside the data line' | 'after the data line' | 'inside the id line'

/** Where, inside the frame of event `id`, the first connection is cut. */
function cutAt(text: string, id: number, cut: Cut): number | null {
  const idLine = text.indexOf(`\nid: ${id}\n`)
  if (idLine < 0 || !text.includes(`\nid: ${id}\n\n`)) return null
  const dataLine = text.lastIndexOf('data: ', idLine)
  if (cut === 'inside the data line') return dataLine + Math.floor((idLine - dataLine) / 2)
  if (cut === 'after the data line') return idLine + 1
  return idLine + 1 + 'id: '.length + 1
}

/** A proxy to the daemon that adds the token and cuts its first stream at `cut` of event `id`. */
function cuttingProxy(d: TestDaemon, id: number, cut: Cut) {
  const lastEventIds: (string | null)[] = []
  const server: Server = createServer((req, res) => {
    const first = lastEventIds.length === 0
    lastEventIds.push((req.headers['last-event-id'] as string | undefined) ?? null)
    const target = new URL(d.url)
    const up = request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        headers: {
          authorization: `Bearer ${d.token}`,
          ...(req.headers['last-event-id']
            ? { 'last-event-id': req.headers['last-event-id'] }
            : {}),
        },
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers)
        if (!first) {
          upRes.pipe(res)
          return
        }
        let text = ''
        upRes.setEncoding('utf8')
        upRes.on('data', (chunk: string) => {
          text += chunk
          const at = cutAt(text, id, cut)
          if (at === null) return
          res.write(text.slice(0, at), () => setTimeout(() => res.socket?.destroy(), 50))
          upRes.removeAllListeners('data')
          up.destroy()
        })
      }
    )
    up.on('error', () => res.destroy())
    req.on('close', () => up.destroy())
    up.end()
  })
  return {
    lastEventIds,
    listen: () =>
      new Promise<string>((r) =>
        server.listen(0, '127.0.0.1', () =>
          r(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
        )
      ),
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((r) => server.close(() => r()))
    },
  }
}

/** Each library, started on `url`, collecting the ids of the log events it dispatched. */
const CLIENTS: Record<string, (url: string, ids: number[]) => Promise<() => void>> = {
  eventsource: async (url, ids) => {
    const { EventSource } = await import('eventsource')
    const es = new EventSource(url)
    es.onmessage = (m) => ids.push(Number(m.lastEventId))
    return () => es.close()
  },
  'eventsource-client': async (url, ids) => {
    const { createEventSource } = await import('eventsource-client')
    const es = createEventSource({
      url,
      onMessage: (m) => m.event === undefined && m.id && ids.push(Number(m.id)),
    })
    return () => es.close()
  },
  '@microsoft/fetch-event-source': async (url, ids) => {
    const { fetchEventSource } = await import('@microsoft/fetch-event-source')
    const ctrl = new AbortController()
    void fetchEventSource(url, {
      signal: ctrl.signal,
      openWhenHidden: true,
      onmessage: (m) => {
        if (m.event === '' && m.id) ids.push(Number(m.id))
      },
      onerror: () => 200,
      onclose: () => {
        throw new Error('closed: reconnect')
      },
    })
    return () => ctrl.abort()
  },
}

describe('a frame cut by a dropped connection is never skipped on reconnect', () => {
  let d: TestDaemon
  let sid: string
  let all: number[]
  beforeAll(async () => {
    d = await startTestDaemon()
    sid = (await createSession(d, { title: 'cut frames' })).id
    await runTurn(d, sid, 'hello')
    await runTurn(d, sid, 'and again')
    all = (await history(d, sid)).map((e) => e.id)
    expect(all.length).toBeGreaterThanOrEqual(6)
  })
  afterAll(async () => {
    await d?.stop()
  })

  it('every frame is `data:` then `id:` then the blank line', async () => {
    const r = await fetch(`${d.url}/sessions/${sid}/events`, {
      headers: { authorization: `Bearer ${d.token}` },
    })
    const reader = r.body!.getReader()
    let text = ''
    while (!text.includes('event: caught-up'))
      text += new TextDecoder().decode((await reader.read()).value)
    await reader.cancel()
    const frames = text.split('\n\n').filter((f) => f.includes('\nid: '))
    expect(frames.length).toBe(all.length)
    for (const f of frames) expect(f).toMatch(/^data: \{.*\}\nid: \d+$/)
  })

  const cuts: Cut[] = ['inside the data line', 'after the data line', 'inside the id line']
  for (const [name, start] of Object.entries(CLIENTS)) {
    for (const cut of cuts) {
      it(`${name}: cut ${cut}`, async () => {
        const victim = all[Math.floor(all.length / 2)]!
        const proxy = cuttingProxy(d, victim, cut)
        const base = await proxy.listen()
        const ids: number[] = []
        const stop = await start(`${base}/sessions/${sid}/events`, ids)
        try {
          await waitUntil(() => ids.includes(all.at(-1)!), {
            timeoutMs: 20_000,
            label: `${name} to reach the last event`,
          })
          // It reconnected from the event before the cut one, and saw every event.
          expect(proxy.lastEventIds).toEqual([null, String(all[all.indexOf(victim) - 1])])
          expect([...new Set(ids)]).toEqual(all)
        } finally {
          stop()
          await proxy.close()
        }
      })
    }
  }
})
