import type { Context, MiddlewareHandler } from 'hono'
import { AppError } from '../errors.js'
import { MAX_BODY_BYTES, MAX_TURN_BODY_BYTES } from './schemas.js'
import { readText } from './validate.js'
import type { CommandBus, ForwardedRequest, ForwardedResponse } from '../hosts/commands.js'

import { FORWARDED_HEADER, type Cluster } from '../hosts/cluster.js'
/** On an answer: the host that ran the request. */
export const HOST_HEADER = 'x-agentmux-host'

const SESSION_PATH = /^\/sessions\/([^/]+)(?:\/|$)/

/** A new turn's prompt may carry images: the larger limit, as for a local request. */
const maxBodyOf = (c: Context) =>
  c.req.method === 'POST' && /^\/sessions\/[^/]+\/turns$/.test(c.req.path)
    ? MAX_TURN_BODY_BYTES
    : MAX_BODY_BYTES

/**
 * Sends a write to the daemon that owns it. Reads are served by any daemon from the shared
 * database; a write for a session (a turn, a cancel, an answer, a queue edit, a rename, a delete)
 * and a new session on another host (`POST /sessions {host}`) run on their host, which answers as
 * it would locally (202, 409, …). An offline host gets a 503 at once: the request is not kept.
 */
export function forwardWrites(deps: {
  hostId: string
  ownerOf(sessionId: string): string | null
  hosts: { state(id: string): 'unknown' | 'offline' | 'alive' }
  bus: CommandBus
}): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next()
    const { host, body } = await targetHost(c, deps.ownerOf)
    if (host === null || host === deps.hostId) return next()
    if (c.req.header(FORWARDED_HEADER))
      throw new AppError(409, 'wrong_host', `this daemon is not ${host}`)
    const state = deps.hosts.state(host)
    if (state === 'unknown')
      throw new AppError(
        404,
        'unknown_host',
        `no daemon with host id ${JSON.stringify(host)} has ever run`
      )
    if (state === 'offline')
      throw new AppError(
        503,
        'host_offline',
        `host ${host} is offline: its daemon has not been seen for a while`
      )
    return toResponse(host, await deps.bus.send(host, await toForwarded(c, body)))
  }
}

/** The host a write is for, and the body when it had to be read to tell. */
/** The forwarding middleware when the database is shared (on SQLite every session is ours). */
export function forwardingOf(cluster: Cluster, hostId: string): MiddlewareHandler[] {
  if (!cluster.bus) return []
  return [
    forwardWrites({ hostId, ownerOf: cluster.ownerOf, hosts: cluster.heartbeat, bus: cluster.bus }),
  ]
}

async function targetHost(
  c: Context,
  ownerOf: (id: string) => string | null
): Promise<{ host: string | null; body?: string }> {
  const path = c.req.path
  const m = SESSION_PATH.exec(path)
  if (m) {
    const id = decoded(m[1]!)
    // A malformed id is the route's to refuse, as it would be without forwarding.
    return { host: id === null ? null : ownerOf(id) }
  }
  if (path !== '/sessions' || c.req.method !== 'POST') return { host: null }
  const body = await readText(c)
  // The route reads the body from the request again when it runs here.
  c.req.raw = new Request(c.req.raw.url, {
    method: c.req.raw.method,
    headers: c.req.raw.headers,
    body: body === '' ? null : body,
  })
  return { host: hostField(body), body }
}

function decoded(segment: string): string | null {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}

function hostField(body: string): string | null {
  try {
    const host = (JSON.parse(body) as { host?: unknown } | null)?.host
    return typeof host === 'string' ? host : null
  } catch {
    return null
  }
}

async function toForwarded(c: Context, read: string | undefined): Promise<ForwardedRequest> {
  const url = new URL(c.req.url)
  const body = read ?? (await readText(c, { maxBytes: maxBodyOf(c) }))
  return {
    method: c.req.method,
    path: url.pathname + url.search,
    contentType: c.req.header('content-type') ?? null,
    body: body === '' ? null : body,
  }
}

function toResponse(host: string, r: ForwardedResponse): Response {
  const headers: Record<string, string> = { [HOST_HEADER]: host }
  if (r.contentType) headers['content-type'] = r.contentType
  return new Response(r.status === 204 ? null : r.body, { status: r.status, headers })
}
