import { SESSION_ID_PATTERN } from '../ids.js'
import type { Session, Turn } from '../sessions/types.js'
import type { Client } from './client.js'
import { CliError } from './io.js'

/** A session as the client reads it; the approvals and queue fields are absent on older daemons. */
export type ClientSession = Session & {
  pendingPermissions?: number
  queuedTurns?: number
  queuePaused?: boolean
}
export type ClientTurn = Omit<Turn, 'status'> & {
  status: Turn['status'] | 'queued'
  position?: number | null
}

export async function listSessions(client: Client): Promise<ClientSession[]> {
  return (await client.get<{ sessions: ClientSession[] }>('/sessions')).sessions
}

/**
 * A session named by its id, a unique id prefix, or its exact title. An exact id wins; otherwise
 * prefix and title matches together must be exactly one, or the error lists them.
 */
export function pickSession(sessions: ClientSession[], name: string): ClientSession {
  const exact = sessions.find((s) => s.id === name)
  if (exact) return exact
  const matches = sessions.filter((s) => s.id.startsWith(name) || s.title === name)
  if (matches.length === 1) return matches[0]!
  if (matches.length === 0)
    throw new CliError(
      `no session matches ${JSON.stringify(name)} (by id, id prefix or exact title)`
    )
  const lines = matches.map((s) => `  ${s.id}  ${s.title || '(untitled)'}`).join('\n')
  throw new CliError(
    `${JSON.stringify(name)} matches ${matches.length} sessions; name one by id:\n${lines}`
  )
}

export async function resolveSession(client: Client, name: string): Promise<ClientSession> {
  // A full id is answered directly; anything else needs the list.
  if (SESSION_ID_PATTERN.test(name)) {
    try {
      return await client.get<ClientSession>(`/sessions/${name}`)
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err
    }
  }
  return pickSession(await listSessions(client), name)
}
