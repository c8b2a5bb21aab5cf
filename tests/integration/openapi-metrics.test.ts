import { Validator } from '@seriousme/openapi-schema-validator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { API_ROUTES } from '../../src/http/api-routes.js'
import { ResponseSchemas } from '../../src/http/api-shapes.js'
import { openApiPath, undocumented } from '../../src/http/openapi.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { attach, createSession, runTurn } from '../helpers/session.js'

let d: TestDaemon
beforeAll(async () => {
  d = await startTestDaemon({ config: { metricsPort: 0 } })
})
afterAll(async () => {
  await d?.stop()
})

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document, behind the token', async () => {
    expect((await fetch(`${d.url}/openapi.json`)).status).toBe(401)
    const r = await d.api.get('/openapi.json')
    expect(r.status).toBe(200)
    expect(r.body.openapi).toBe('3.1.0')
    const result = await new Validator().validate(r.body)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    // The validator does reject a broken document.
    const broken = structuredClone(r.body)
    broken.paths['/sessions'].post.responses = 'none'
    expect((await new Validator().validate(broken)).valid).toBe(false)
  })

  it('documents every route the app serves, with the zod request schemas', async () => {
    expect(undocumented(API_ROUTES, d.daemon.routes())).toEqual([])
    const doc = (await d.api.get('/openapi.json')).body
    for (const r of d.daemon.routes())
      expect(
        doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()],
        `${r.method} ${r.path}`
      ).toBeDefined()
    const create = doc.paths['/sessions'].post.requestBody.content['application/json'].schema
    expect(create.additionalProperties).toBe(false)
    expect(create.properties.permissionMode.enum).toContain('plan')
    expect(create.properties.title.maxLength).toBe(200)
    const history = doc.paths['/sessions/{id}/history'].get.parameters.map(
      (p: { name: string }) => p.name
    )
    expect(history).toEqual(['id', 'after', 'before', 'mode', 'turns', 'limit'])
  })

  it("describes real answers: the daemon's sessions, turns and events parse with the documented shapes", async () => {
    const s = await createSession(d, { title: 'shapes' })
    await runTurn(d, s.id, 'shape me')
    ResponseSchemas.Session.parse((await d.api.get(`/sessions/${s.id}`)).body)
    for (const t of (await d.api.get(`/sessions/${s.id}/turns`)).body.turns)
      ResponseSchemas.Turn.parse(t)
    for (const e of (await d.api.get(`/sessions/${s.id}/history`)).body.events)
      ResponseSchemas.Event.parse(e)
    ResponseSchemas.Health.parse((await d.api.get('/healthz')).body)
  })
})

/** One sample's value from the exposition text (labels as written, e.g. `{status="completed"}`). */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line ? Number(line.slice(name.length + 1)) : 0
}

describe('GET /metrics', () => {
  it('moves with the work: turns, durations, events, spawn latency, clients, database size', async () => {
    expect((await fetch(`${d.url}/metrics`)).status).toBe(401)
    const before = (await d.api.get('/metrics')).body as string
    expect(before).toContain('# TYPE agentmux_turn_duration_seconds histogram')
    const s = await createSession(d)
    await runTurn(d, s.id, 'count me [tool:echo hi]')
    const sse = await attach(d, s.id)
    const after = (await d.api.get('/metrics')).body as string
    sse.close()
    expect(sample(after, 'agentmux_turns_total{status="completed"}')).toBe(
      sample(before, 'agentmux_turns_total{status="completed"}') + 1
    )
    expect(sample(after, 'agentmux_turns_started_total')).toBe(
      sample(before, 'agentmux_turns_started_total') + 1
    )
    expect(sample(after, 'agentmux_turn_duration_seconds_count{status="completed"}')).toBe(
      sample(before, 'agentmux_turn_duration_seconds_count{status="completed"}') + 1
    )
    expect(sample(after, 'agentmux_claude_spawn_seconds_count')).toBe(
      sample(before, 'agentmux_claude_spawn_seconds_count') + 1
    )
    expect(sample(after, 'agentmux_events_appended_total{kind="tool.use"}')).toBe(
      sample(before, 'agentmux_events_appended_total{kind="tool.use"}') + 1
    )
    expect(sample(after, 'agentmux_attached_clients')).toBeGreaterThanOrEqual(1)
    expect(sample(after, 'agentmux_database_bytes')).toBeGreaterThan(0)
    expect(sample(after, 'agentmux_sessions')).toBe(sample(before, 'agentmux_sessions') + 1)
    expect(after).toContain('agentmux_pending_approvals 0')
    expect(after).toContain('agentmux_queued_turns 0')
  })

  it('is also served without the token on AGENTMUX_METRICS_PORT, and nothing else is', async () => {
    const port = d.daemon.metricsPort!
    const r = await fetch(`http://127.0.0.1:${port}/metrics`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toContain('text/plain')
    expect(await r.text()).toContain('agentmux_turns_started_total')
    expect((await fetch(`http://127.0.0.1:${port}/sessions`)).status).toBe(404)
  })
})
