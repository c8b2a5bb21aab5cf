import { Hono } from 'hono'
import type { HttpBindings } from '@hono/node-server'
import type { SessionService } from '../../sessions/service.js'
import { CreateSessionBody, PatchSessionBody } from '../schemas.js'
import { turnRoutes } from './turns.js'
import { readJson, sessionIdParam } from '../validate.js'

/** Sessions and their turns: the request/response half of the API. */
export function sessionRoutes(service: SessionService) {
  const app = new Hono<{ Bindings: HttpBindings }>()

  app.post('/sessions', async (c) => {
    const body = await readJson(c, CreateSessionBody, { emptyOk: true })
    return c.json(await service.create(body), 201)
  })

  app.get('/sessions', (c) => c.json({ sessions: service.list() }))

  app.get('/sessions/:id', (c) => c.json(service.get(sessionIdParam(c))))

  app.patch('/sessions/:id', async (c) => {
    const id = sessionIdParam(c)
    const body = await readJson(c, PatchSessionBody)
    return c.json(service.patch(id, body))
  })

  app.delete('/sessions/:id', async (c) => {
    await service.remove(sessionIdParam(c))
    return c.body(null, 204)
  })

  app.route('/', turnRoutes(service))

  return app
}
