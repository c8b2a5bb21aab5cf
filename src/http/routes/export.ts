import { Hono } from 'hono'
import type { HttpBindings } from '@hono/node-server'
import { notFound } from '../../errors.js'
import type { WireEvent } from '../../events/types.js'
import { transcriptMarkdown } from '../../export/markdown.js'
import type { SessionService } from '../../sessions/service.js'
import type { Store } from '../../storage/store.js'
import { ExportQuery } from '../schemas.js'
import { parseWith, sessionIdParam } from '../validate.js'

const PAGE = 1000

/** GET /sessions/:id/export?format=md|jsonl: a Markdown transcript, or the log exactly as stored. */
export function exportRoutes(deps: { store: Store; service: SessionService }) {
  const app = new Hono<{ Bindings: HttpBindings }>()

  app.get('/sessions/:id/export', (c) => {
    const id = sessionIdParam(c)
    const { format } = parseWith(ExportQuery, c.req.query(), 'query')
    const session = deps.service.get(id)
    const stored = readAll(deps.store, id)
    if (stored === null) throw notFound('session', id)
    const name = `${id}.${format}`
    if (format === 'jsonl') {
      const body = stored.map((e) => `${e.json}\n`).join('')
      return c.body(body, 200, {
        'Content-Type': 'application/x-ndjson; charset=utf-8',
        'Content-Disposition': `attachment; filename="${name}"`,
      })
    }
    const events = stored.map((e) => JSON.parse(e.json) as WireEvent)
    return c.body(transcriptMarkdown(session, events), 200, {
      'Content-Type': 'text/markdown; charset=utf-8',
      'Content-Disposition': `attachment; filename="${name}"`,
    })
  })

  return app
}

function readAll(store: Store, sessionId: string) {
  if (store.headEventId(sessionId) === null) return null
  const out: { id: number; json: string }[] = []
  for (let after = 0; ;) {
    const page = store.readEvents(sessionId, after, PAGE)
    out.push(...page)
    if (page.length < PAGE) return out
    after = page[page.length - 1]!.id
  }
}
