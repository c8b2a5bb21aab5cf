/** Errors that become HTTP answers: `{"error":{"code","message"}}` with the status they carry. */
export class AppError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 421 | 429 | 503 | 507,
    readonly code: string,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
    this.name = 'AppError'
  }

  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } }
  }
}

export const badRequest = (code: string, message: string) => new AppError(400, code, message)
export const notFound = (what: string, id: string) =>
  new AppError(404, `${what}_not_found`, `no ${what} with id ${JSON.stringify(id)}`)
