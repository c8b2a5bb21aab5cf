import { CliError, EXIT } from './io.js'
import type { Target } from './connect.js'

export interface ApiErrorBody {
  error?: { code?: string; message?: string }
}

/** A daemon error answer, kept whole so commands can react to its code (e.g. turn_in_progress). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message, status === 401 ? EXIT.noPermission : EXIT.failed)
    this.name = 'ApiError'
  }
}

/** Turns the ways a request can fail into one clear sentence each. */
export function explainFailure(target: Target, url: string, err: unknown): CliError {
  const code = errorCode(err)
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EHOSTUNREACH' ||
    code === 'ECONNRESET'
  ) {
    return new CliError(
      `no daemon at ${url} (${code}); start one with \`agentmux serve\``,
      EXIT.unavailable
    )
  }
  if (err instanceof CliError) return err
  return new CliError(
    `cannot reach the daemon at ${url} (from ${target.source}): ${(err as Error).message}`,
    EXIT.unavailable
  )
}

/** fetch wraps the socket error (sometimes in an AggregateError): find its code. */
function errorCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 4) return undefined
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown[] }
  if (typeof e.code === 'string') return e.code
  return (
    errorCode(e.cause, depth + 1) ??
    (Array.isArray(e.errors) ? errorCode(e.errors[0], depth + 1) : undefined)
  )
}

export function errorFromResponse(
  url: string,
  status: number,
  body: ApiErrorBody | null
): ApiError {
  const code = body?.error?.code ?? `http_${status}`
  const message = body?.error?.message ?? `HTTP ${status}`
  if (status === 401) {
    return new ApiError(
      status,
      code,
      `the daemon at ${url} refused the token (${message}); check AGENTMUX_TOKEN or \`agentmux token\``
    )
  }
  if (status === 421) {
    return new ApiError(status, code, `the daemon at ${url} refused this Host name: ${message}`)
  }
  return new ApiError(status, code, message)
}

export type Client = ReturnType<typeof createClient>

/** JSON over fetch, with the token, and errors that say what to do. */
export function createClient(target: Target) {
  async function request(method: string, path: string, body?: unknown): Promise<Response> {
    const base = target.url()
    const headers: Record<string, string> = { Authorization: `Bearer ${target.token}` }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    let res: Response
    try {
      res = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      })
    } catch (err) {
      throw explainFailure(target, base, err)
    }
    if (!res.ok) {
      const text = await res.text()
      let parsed: ApiErrorBody | null = null
      try {
        parsed = JSON.parse(text) as ApiErrorBody
      } catch {
        // not JSON: the status says enough
      }
      throw errorFromResponse(base, res.status, parsed)
    }
    return res
  }

  async function json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await request(method, path, body)
    if (res.status === 204) return undefined as T
    return (await res.json()) as T
  }

  return {
    target,
    request,
    get: <T>(path: string) => json<T>('GET', path),
    post: <T>(path: string, body?: unknown) => json<T>('POST', path, body),
    patch: <T>(path: string, body?: unknown) => json<T>('PATCH', path, body),
    del: <T>(path: string) => json<T>('DELETE', path),
  }
}
