/** The one error shape of the API: `{"error":{"code","message"}}`. */
export function errorBody(
  code: string,
  message: string
): { error: { code: string; message: string } } {
  return { error: { code, message } }
}

export type ErrorStatus =
  400 | 401 | 403 | 404 | 408 | 409 | 413 | 415 | 421 | 429 | 500 | 503 | 507

/**
 * Errors that become HTTP answers, with the status and the headers they carry (Retry-After,
 * WWW-Authenticate, Connection: close), like hono's HTTPException.
 */
export class AppError extends Error {
  readonly headers: Readonly<Record<string, string>>

  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    options: { cause?: unknown; headers?: Record<string, string> } = {}
  ) {
    super(message, { cause: options.cause })
    this.name = 'AppError'
    this.headers = options.headers ?? {}
  }

  toJSON(): { error: { code: string; message: string } } {
    return errorBody(this.code, this.message)
  }
}

export const badRequest = (code: string, message: string) => new AppError(400, code, message)
export const notFound = (what: string, id: string) =>
  new AppError(404, `${what}_not_found`, `no ${what} with id ${JSON.stringify(id)}`)
/** The unread rest of a too-large body poisons the connection: the client must not reuse it. */
export const tooLarge = (limit: number) =>
  new AppError(413, 'body_too_large', `request body exceeds ${limit} bytes`, {
    headers: { Connection: 'close' },
  })
