import { Hono } from 'hono'
import type { HttpBindings } from '@hono/node-server'
import { decodeAttachments } from '../../sessions/attachments.js'
import type { SessionService } from '../../sessions/service.js'
import { CancelBody, EditTurnBody, MAX_TURN_BODY_BYTES, StartTurnBody } from '../schemas.js'
import { readJson, sessionIdParam, turnIdParam } from '../validate.js'

/** A session's turns and its follow-up queue. */
export function turnRoutes(service: SessionService) {
  const app = new Hono<{ Bindings: HttpBindings }>()

  // 202 whether the turn started or was queued: `turn.status` says which.
  app.post('/sessions/:id/turns', async (c) => {
    const id = sessionIdParam(c)
    const { attachments, ...body } = await readJson(c, StartTurnBody, {
      maxBytes: MAX_TURN_BODY_BYTES,
    })
    const turn = service.startTurn(id, {
      ...body,
      attachments: decodeAttachments(attachments ?? []),
    })
    return c.json({ turn }, 202)
  })

  app.get('/sessions/:id/turns', (c) => c.json({ turns: service.listTurns(sessionIdParam(c)) }))

  app.delete('/sessions/:id/turns/:turnId', (c) => {
    const turn = service.removeQueuedTurn(sessionIdParam(c), turnIdParam(c))
    return c.json({ turn })
  })

  app.patch('/sessions/:id/turns/:turnId', async (c) => {
    const id = sessionIdParam(c)
    const turnId = turnIdParam(c)
    const body = await readJson(c, EditTurnBody)
    return c.json({ turn: service.editQueuedTurn(id, turnId, body.prompt) })
  })

  app.post('/sessions/:id/cancel', async (c) => {
    const id = sessionIdParam(c)
    const body = await readJson(c, CancelBody, { emptyOk: true })
    return c.json(service.cancel(id, body))
  })

  app.post('/sessions/:id/queue/resume', (c) => c.json(service.resumeQueue(sessionIdParam(c))))

  return app
}
