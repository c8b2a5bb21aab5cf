import { z } from 'zod'

/** One documented route. `path` is written as Hono writes it (`/sessions/:id`). */
export interface RouteDoc {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete'
  path: string
  summary: string
  tag: string
  /** The zod schema that validates the JSON body: the document shows exactly what is accepted. */
  body?: z.ZodType
  /** The body may be left out entirely. */
  optionalBody?: boolean
  query?: z.ZodObject
  /** Status → description, with a schema for JSON answers or a content type for others. */
  responses: Record<string, { description: string; schema?: z.ZodType; type?: string }>
  /** Served without the token. */
  open?: boolean
}

const toSchema = (s: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >
  return rest
}

const ERROR_RESPONSE = {
  description: 'an error: `{"error":{"code","message"}}` (see README, HTTP API)',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
}

/** `/sessions/:id` → `/sessions/{id}`, `/assets/*` → `/assets/{path}`. */
export const openApiPath = (honoPath: string) =>
  honoPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{path}')

function operation(r: RouteDoc) {
  const path = openApiPath(r.path)
  const parameters: unknown[] = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }))
  if (r.query) {
    for (const [name, s] of Object.entries(r.query.shape)) {
      const schema = s as z.ZodType
      parameters.push({
        name,
        in: 'query',
        required: !schema.safeParse(undefined).success,
        schema: toSchema(schema, 'input'),
      })
    }
  }
  const responses: Record<string, unknown> = {}
  for (const [status, d] of Object.entries(r.responses)) {
    const type = d.type ?? 'application/json'
    responses[status] =
      d.schema || d.type
        ? {
            description: d.description,
            content: {
              [type]: { schema: d.schema ? toSchema(d.schema, 'output') : { type: 'string' } },
            },
          }
        : { description: d.description }
  }
  if (!r.open) responses['401'] = ERROR_RESPONSE
  responses['4XX'] = ERROR_RESPONSE
  return {
    summary: r.summary,
    tags: [r.tag],
    operationId: `${r.method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(r.body
      ? {
          requestBody: {
            required: !r.optionalBody,
            content: { 'application/json': { schema: toSchema(r.body, 'input') } },
          },
        }
      : {}),
    responses,
    ...(r.open ? { security: [] } : {}),
  }
}

/** The OpenAPI 3.1 document for a route table: every schema comes from zod, none is written here. */
export function openApiDocument(routes: readonly RouteDoc[], info: { version: string }) {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const r of routes) (paths[openApiPath(r.path)] ??= {})[r.method] = operation(r)
  return {
    openapi: '3.1.0',
    info: {
      title: 'agentmux',
      version: info.version,
      description:
        'tmux for coding agents: sessions of Claude Code turns, an exact replay log, SSE attach.',
    },
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'the access token (`agentmux token`), or the login cookie',
        },
      },
      schemas: {
        Error: toSchema(
          z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
          'output'
        ),
      },
    },
  }
}

/** Routes the app serves that the table does not document (the OpenAPI test keeps this empty). */
export function undocumented(
  routes: readonly RouteDoc[],
  served: readonly { method: string; path: string }[]
) {
  const known = new Set(routes.map((r) => `${r.method.toUpperCase()} ${r.path}`))
  return served.filter((s) => !known.has(`${s.method} ${s.path}`))
}
