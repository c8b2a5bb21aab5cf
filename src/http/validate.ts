import type { Context } from 'hono'
import { z } from 'zod'
import { AppError, badRequest } from '../errors.js'
import { SESSION_ID_PATTERN } from '../ids.js'
import { MAX_BODY_BYTES } from './schemas.js'

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ')
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value)
  if (!r.success) throw badRequest('invalid_request', `invalid ${what}: ${describe(r.error)}`)
  return r.data
}

/**
 * Reads a JSON body: 415 unless it is JSON, 413 when too large, 400 when malformed or of the wrong
 * shape. An empty body counts as `{}` only where every field is optional (`emptyOk`).
 */
export async function readJson<T extends z.ZodType>(
  c: Context,
  schema: T,
  opts: { emptyOk?: boolean; maxBytes?: number } = {}
): Promise<z.output<T>> {
  const max = opts.maxBytes ?? MAX_BODY_BYTES
  const declared = Number(c.req.header('content-length') ?? '0')
  if (declared > max) throw new AppError(413, 'body_too_large', `request body exceeds ${max} bytes`)
  const type = c.req.header('content-type')
  let text: string
  try {
    text = await c.req.text()
  } catch (err) {
    throw badRequest('unreadable_body', `could not read the request body: ${(err as Error).message}`)
  }
  if (Buffer.byteLength(text, 'utf8') > max) {
    throw new AppError(413, 'body_too_large', `request body exceeds ${max} bytes`)
  }
  if (text.length === 0 && opts.emptyOk) return parseWith(schema, {}, 'request body')
  if (!type || !/^application\/json\s*(;|$)/i.test(type)) {
    throw new AppError(415, 'unsupported_media_type', 'send the body as application/json')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw badRequest('invalid_json', 'the request body is not valid JSON')
  }
  return parseWith(schema, value, 'request body')
}

export function sessionIdParam(c: Context): string {
  const id = c.req.param('id') ?? ''
  if (!SESSION_ID_PATTERN.test(id)) throw badRequest('invalid_id', `${JSON.stringify(id.slice(0, 64))} is not a session id`)
  return id
}
