import { createHash } from 'node:crypto'
import { crc32, deflateSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRealStack, type RealStack } from '../helpers/real-claude.js'
import { attach, createSession, postTurn } from '../helpers/session.js'
import { turnEnded } from '../helpers/sse.js'

let stack: RealStack
beforeAll(async () => {
  stack = await startRealStack()
})
afterAll(async () => {
  await stack?.stop()
})

/** A real PNG of w×h pixels (a gradient), so claude and the mock see a valid image. */
function png(w: number, h: number, seed: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(data.length)
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(crc32(td))
    return Buffer.concat([len, td, crc])
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(w, 0)
  ihdr.writeUInt32BE(h, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 2 // RGB
  const rows: Buffer[] = []
  for (let y = 0; y < h; y++) {
    const row = Buffer.alloc(1 + w * 3)
    for (let x = 0; x < w; x++)
      row.set([(x * 8 + seed) & 255, (y * 8) & 255, seed & 255], 1 + x * 3)
    rows.push(row)
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  return Buffer.concat([
    sig,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const image = (b: Buffer, mediaType = 'image/png') => ({
  type: 'image',
  mediaType,
  data: b.toString('base64'),
})

describe('image attachments with the real claude', () => {
  it('sends the images as image content blocks in the user message, and they reach the API', async () => {
    const { d, mock } = stack
    const s = await createSession(d)
    const a = png(32, 24, 1)
    const b = png(40, 40, 99)
    mock.reset()
    const turn = await postTurn(d, s.id, 'what is in these pictures?', {
      attachments: [image(a), image(b)],
    })
    const sse = await attach(d, s.id)
    const ended = await sse.waitForEvent(turnEnded(turn.id), 'turn.ended', 60_000)
    expect(ended.status).toBe('completed')
    const started = sse.events.find((e) => e.kind === 'turn.started' && e.turnId === turn.id)!
    expect(started.attachments).toEqual([
      { mediaType: 'image/png', bytes: a.length },
      { mediaType: 'image/png', bytes: b.length },
    ])
    sse.close()
    // claude adds a text note per image ("[Image: source: …]"), so the prompt is among the texts.
    const req = mock
      .requests()
      .find(
        (r) =>
          r.path === '/v1/messages' && r.texts.some((t) => t.includes('what is in these pictures?'))
      )
    expect(req, JSON.stringify(mock.requests().map((r) => [r.texts, r.images]))).toBeDefined()
    expect(req!.images).toEqual([
      { mediaType: 'image/png', bytes: a.length, sha256: sha(a) },
      { mediaType: 'image/png', bytes: b.length, sha256: sha(b) },
    ])
  })

  it(
    'a queued turn keeps its images while it waits and sends them when the queue starts it',
    { timeout: 120_000 },
    async () => {
      const { d, mock } = stack
      const s = await createSession(d)
      const img = png(24, 16, 42)
      mock.reset()
      // 20 s: still running when the next one is posted, also on a loaded machine.
      const first = await postTurn(d, s.id, 'first [slow:20000]')
      expect(first.status).toBe('running')
      const queued = await postTurn(d, s.id, 'and this picture?', { attachments: [image(img)] })
      expect(queued).toMatchObject({ status: 'queued', position: 1 })
      const sse = await attach(d, s.id)
      const ended = await sse.waitForEvent(turnEnded(queued.id), 'the queued turn to end', 60_000)
      expect(ended.status).toBe('completed')
      const started = sse.events.find((e) => e.kind === 'turn.started' && e.turnId === queued.id)!
      expect(started.attachments).toEqual([{ mediaType: 'image/png', bytes: img.length }])
      // Started after the first turn ended, never merged into it.
      const firstEnd = sse.events.find((e) => e.kind === 'turn.ended' && e.turnId === first.id)!
      expect(started.id).toBeGreaterThan(firstEnd.id)
      sse.close()
      const reqs = mock.requests().filter((r) => r.path === '/v1/messages')
      const withPicture = reqs.find((r) => r.texts.some((t) => t.includes('and this picture?')))
      expect(withPicture, JSON.stringify(reqs.map((r) => [r.texts, r.images]))).toBeDefined()
      expect(withPicture!.images).toEqual([
        { mediaType: 'image/png', bytes: img.length, sha256: sha(img) },
      ])
      // The first turn's request went out without it.
      const firstReq = reqs.find(
        (r) =>
          r.texts.some((t) => t.includes('first')) &&
          !r.texts.some((t) => t.includes('and this picture?'))
      )
      expect(firstReq?.images ?? []).toEqual([])
    }
  )

  it('refuses bad or oversized attachments with a clear 400/413, and starts nothing', async () => {
    const { d } = stack
    const s = await createSession(d)
    const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    const big = (n: number) => Buffer.concat([sig, Buffer.alloc(n - sig.length, 7)])
    const cases: [unknown[], number, string][] = [
      [[image(png(4, 4, 0), 'image/jpeg')], 400, 'invalid_attachment'],
      [[{ type: 'image', mediaType: 'image/png', data: 'not base64!' }], 400, 'invalid_request'],
      [
        [{ type: 'image', mediaType: 'image/tiff', data: png(4, 4, 0).toString('base64') }],
        400,
        'invalid_request',
      ],
      [
        [{ type: 'file', mediaType: 'image/png', data: png(4, 4, 0).toString('base64') }],
        400,
        'invalid_request',
      ],
      [Array.from({ length: 9 }, () => image(png(4, 4, 0))), 400, 'invalid_request'],
      [[image(big(5 * 1024 * 1024 + 1))], 413, 'attachment_too_large'],
      [
        [image(big(4_900_000)), image(big(4_900_000)), image(big(1_000_000))],
        413,
        'attachments_too_large',
      ],
    ]
    for (const [attachments, status, code] of cases) {
      const r = await d.api.post(`/sessions/${s.id}/turns`, { prompt: 'look', attachments })
      expect(r.status, code).toBe(status)
      expect(r.body.error.code).toBe(code)
    }
    expect((await d.api.get(`/sessions/${s.id}/turns`)).body.turns).toEqual([])
    // Only this route takes the larger body: a 2 MB session title is still a 413.
    const other = await d.api.post('/sessions', { title: 'x'.repeat(2 * 1024 * 1024) })
    expect(other.status).toBe(413)
  })
})
