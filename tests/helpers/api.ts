/** A small JSON client for the daemon's HTTP API. */
export interface ApiResponse<T = any> {
  status: number
  body: T
  headers: Headers
}

export function createApi(baseUrl: string, token?: string) {
  async function call<T = any>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {}
  ): Promise<ApiResponse<T>> {
    const h: Record<string, string> = { ...headers }
    if (token) h.Authorization = `Bearer ${token}`
    let payload: string | undefined
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body)
      h['Content-Type'] ??= 'application/json'
    }
    const res = await fetch(baseUrl + path, { method, headers: h, body: payload })
    const text = await res.text()
    let parsed: unknown = text
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      // leave as text
    }
    return { status: res.status, body: parsed as T, headers: res.headers }
  }
  return {
    call,
    get: <T = any>(p: string) => call<T>('GET', p),
    post: <T = any>(p: string, b?: unknown) => call<T>('POST', p, b),
    patch: <T = any>(p: string, b?: unknown) => call<T>('PATCH', p, b),
    del: <T = any>(p: string) => call<T>('DELETE', p),
  }
}

export type Api = ReturnType<typeof createApi>
