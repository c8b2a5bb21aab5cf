import type { Context } from 'hono'
import { z } from 'zod'
import { AppError, badRequest, tooLarge } from '../errors.js'
import { SESSION_ID_PATTERN, TURN_ID_PATTERN } from '../ids.js'
import { MAX_BODY_BYTES } from './schemas.js'

function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ')
}

export function parseWith<T extends z.ZodType>(
  schema: T,
  value: unknown,
  what: string
): z.output<T> {
  const r = schema.safeParse(value)
  if (!r.success) throw badRequest('invalid_request', `invalid ${what}: ${describe(r.error)}`)
  return r.data
}

export interface BodyLimits {
  /** Bytes past which the body is refused with 413 (default MAX_BODY_BYTES). */
  maxBytes?: number
  /** A body that has not fully arrived by then is refused with 408 (open routes: strangers' stalls). */
  deadlineMs?: number
}

/**
 * Reads the body as text, never holding more than `maxBytes` of it: a declared length over the
 * limit is refused before a byte is read, a chunked one as soon as it goes over.
 */
export async function readText(c: Context, limits: BodyLimits = {}): Promise<string> {
  const max = limits.maxBytes ?? MAX_BODY_BYTES
  if (Number(c.req.header('content-length') ?? '0') > max) throw tooLarge(max)
  const body = c.req.raw.body
  if (!body) return ''
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  const read = async () => {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      size += value.byteLength
      if (size > max) throw tooLarge(max)
      chunks.push(value)
    }
  }
  try {
    await within(read(), limits.deadlineMs)
  } catch (err) {
    reader.cancel().catch(() => {})
    if (err instanceof AppError) throw err
    throw badRequest(
      'unreadable_body',
      `could not read the request body: ${(err as Error).message}`
    )
  }
  return Buffer.concat(chunks).toString('utf8')
}

function within<T>(work: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return work
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const headers = { Connection: 'close' }
      reject(
        new AppError(408, 'request_timeout', `the request body did not arrive within ${ms} ms`, {
          headers,
        })
      )
    }, ms)
  })
  // The loser of the race fails later (the socket is closed under it): nobody awaits it.
  work.catch(() => {})
  return Promise.race([work, late]).finally(() => clearTimeout(timer))
}

/**
 * Reads a JSON body: 415 unless it is JSON, 413 when too large, 400 when malformed or of the wrong
 * shape. An empty body counts as `{}` only where every field is optional (`emptyOk`).
 */
export async function readJson<T extends z.ZodType>(
  c: Context,
  schema: T,
  opts: { emptyOk?: boolean } & BodyLimits = {}
): Promise<z.output<T>> {
  const type = c.req.header('content-type')
  const text = await readText(c, opts)
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
  if (!SESSION_ID_PATTERN.test(id))
    throw badRequest('invalid_id', `${JSON.stringify(id.slice(0, 64))} is not a session id`)
  return id
}

export function turnIdParam(c: Context): string {
  const id = c.req.param('turnId') ?? ''
  if (!TURN_ID_PATTERN.test(id))
    throw badRequest('invalid_id', `${JSON.stringify(id.slice(0, 64))} is not a turn id`)
  return id
}
