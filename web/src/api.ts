/** The daemon's HTTP API over fetch, with the login cookie. Every call has a deadline. */

export class ApiError extends Error {
  constructor(
    /** 0 when the request never got an answer (offline, timeout, connection reset). */
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message)
  }
  /** Worth trying again later with the same request. */
  get transient(): boolean {
    return (
      this.status === 0 ||
      this.status === 429 ||
      this.status === 502 ||
      this.status === 503 ||
      this.status === 504
    )
  }
  /** The login is gone or unusable: 401, or a cookie without its CSRF secret (log in again). */
  get auth(): boolean {
    return this.status === 401 || (this.status === 403 && this.code === 'csrf_required')
  }
}

/**
 * The login's CSRF secret. The cookie reaches every port of this host, the secret stays in this
 * origin's storage: the daemon changes nothing for a cookie request that does not carry it.
 */
const CSRF_KEY = 'agentmux.csrf'
let csrfSecret: string | null = null

export function rememberCsrf(secret: string): void {
  csrfSecret = secret
  try {
    localStorage.setItem(CSRF_KEY, secret)
  } catch {
    // storage refused (private mode): the secret lives as long as this page
  }
}

function csrf(): string | null {
  if (csrfSecret !== null) return csrfSecret
  try {
    csrfSecret = localStorage.getItem(CSRF_KEY)
  } catch {
    // no storage: no secret
  }
  return csrfSecret
}

type AuthListener = (code: string) => void
const authListeners = new Set<AuthListener>()
/** Called when any request learns that the login is gone (`unauthorized` or `session_expired`). */
export function onAuthLost(l: AuthListener): void {
  authListeners.add(l)
}

export async function call<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  opts: { timeoutMs?: number; quietAuth?: boolean } = {}
): Promise<T> {
  const ctl = new AbortController()
  const timer = setTimeout(() => ctl.abort(), opts.timeoutMs ?? 15_000)
  const headers: Record<string, string> = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const secret = method === 'GET' || method === 'HEAD' ? null : csrf()
  if (secret) headers['X-Agentmux-Csrf'] = secret
  let res: Response
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      cache: 'no-store',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctl.signal,
    })
  } catch (err) {
    const timedOut = ctl.signal.aborted
    throw new ApiError(
      0,
      timedOut ? 'timeout' : 'network',
      timedOut ? 'the daemon did not answer in time' : 'no connection to the daemon'
    )
  } finally {
    clearTimeout(timer)
  }
  if (res.status === 204) return undefined as T
  let parsed: unknown = null
  try {
    parsed = await res.json()
  } catch {
    if (res.ok) throw new ApiError(0, 'network', 'the answer was cut off')
  }
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string } } | null)?.error
    const err = new ApiError(
      res.status,
      e?.code ?? `http_${res.status}`,
      e?.message ?? `HTTP ${res.status}`
    )
    if (err.auth && !opts.quietAuth) for (const l of authListeners) l(err.code)
    throw err
  }
  return parsed as T
}

export const api = {
  get: <T>(p: string, o?: { timeoutMs?: number; quietAuth?: boolean }) =>
    call<T>('GET', p, undefined, o),
  post: <T>(p: string, b?: unknown, o?: { timeoutMs?: number; quietAuth?: boolean }) =>
    call<T>('POST', p, b ?? {}, o),
  patch: <T>(p: string, b: unknown) => call<T>('PATCH', p, b),
  del: <T>(p: string) => call<T>('DELETE', p),
}

export const sessionPath = (id: string) => `/sessions/${encodeURIComponent(id)}`
