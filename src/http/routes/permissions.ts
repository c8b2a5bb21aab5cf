import { Hono } from 'hono'
import type { HttpBindings } from '@hono/node-server'
import { alreadyResolvedBody, type PermissionBroker } from '../../approvals/broker.js'
import { badRequest, notFound } from '../../errors.js'
import { RULE_ID_PATTERN } from '../../ids.js'
import type { SessionFeed } from '../../sessions/feed.js'
import type { Store } from '../../storage/store.js'
import { AnswerPermissionBody, PermissionRequestId } from '../schemas.js'
import { readJson, sessionIdParam } from '../validate.js'

/** Tool approvals and questions (issue 9): list, answer, and the session's "allow always" rules. */
export function permissionRoutes(deps: {
  broker: PermissionBroker
  store: Store
  feed: SessionFeed
}) {
  const { broker, store, feed } = deps
  const app = new Hono<{ Bindings: HttpBindings }>()
  const session = (id: string) => {
    if (!store.getSession(id)) throw notFound('session', id)
    return id
  }

  app.get('/sessions/:id/permissions', (c) => {
    const id = session(sessionIdParam(c))
    return c.json({ permissions: broker.list(id) })
  })

  app.post('/sessions/:id/permissions/:requestId', async (c) => {
    const id = session(sessionIdParam(c))
    const requestId = PermissionRequestId.safeParse(c.req.param('requestId'))
    if (!requestId.success) throw badRequest('invalid_id', 'not a permission request id')
    const body = await readJson(c, AnswerPermissionBody)
    const r = broker.answer(id, requestId.data, body)
    if (r.kind === 'already_resolved') return c.json(alreadyResolvedBody(r.permission), 409)
    return c.json(r.permission)
  })

  app.get('/sessions/:id/rules', (c) => {
    const id = session(sessionIdParam(c))
    return c.json({ rules: store.permissions.rules(id) })
  })

  app.delete('/sessions/:id/rules/:ruleId', (c) => {
    const id = session(sessionIdParam(c))
    const ruleId = c.req.param('ruleId')
    if (!RULE_ID_PATTERN.test(ruleId) || !store.permissions.deleteRule(id, ruleId))
      throw notFound('rule', ruleId)
    feed.changed(id)
    return c.body(null, 204)
  })

  return app
}
