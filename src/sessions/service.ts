import type { Attachment } from './attachments.js'
import { randomUUID } from 'node:crypto'
import { notFound } from '../errors.js'
import type { Hub } from '../events/hub.js'
import type { Store } from '../storage/store.js'
import type { Supervisor } from '../turns/supervisor.js'
import { resolveSessionCwd } from './cwd.js'
import type { SessionFeed } from './feed.js'
import type { PermissionMode, Session, Turn } from './types.js'

export interface CreateSessionInput {
  title?: string
  cwd?: string
  model?: string
  permissionMode?: PermissionMode
  allowedTools?: string[]
  appendSystemPrompt?: string
}

export interface PatchSessionInput {
  title?: string
  model?: string | null
  permissionMode?: PermissionMode | null
  allowedTools?: string[]
}

const TITLE_FROM_PROMPT_CHARS = 80
/** How long DELETE waits for a running turn to stop before removing the session anyway. */
const DELETE_WAIT_MS = 15_000

export type SessionService = ReturnType<typeof createSessionService>

export function createSessionService(deps: {
  store: Store
  supervisor: Supervisor
  hub: Hub
  feed: SessionFeed
  newSessionId: () => string
  workspacesDir: string
  allowedRoots: string[]
}) {
  const { store, supervisor, hub, feed } = deps

  const mustGet = (id: string): Session => {
    const s = store.getSession(id)
    if (!s) throw notFound('session', id)
    return s
  }

  return {
    async create(input: CreateSessionInput): Promise<Session> {
      const id = deps.newSessionId()
      const { cwd, isDefault } = await resolveSessionCwd(input.cwd, {
        sessionId: id,
        workspacesDir: deps.workspacesDir,
        allowedRoots: deps.allowedRoots,
      })
      const session = store.createSession({
        id,
        title: input.title ?? '',
        cwd,
        cwdIsDefault: isDefault,
        model: input.model ?? null,
        permissionMode: input.permissionMode ?? null,
        allowedTools: input.allowedTools ?? [],
        appendSystemPrompt: input.appendSystemPrompt ?? null,
        claudeSessionId: randomUUID(),
      })
      feed.changed(id)
      return session
    },

    list: (): Session[] => store.listSessions(),

    get: mustGet,

    patch(id: string, input: PatchSessionInput): Session {
      mustGet(id)
      const session = store.patchSession(id, input)!
      feed.changed(id)
      return session
    },

    async remove(id: string): Promise<void> {
      mustGet(id)
      supervisor.cancel(id, 'delete')
      await supervisor.settled(id, DELETE_WAIT_MS)
      // Streams flush the session's last events while they are still stored, then end.
      hub.closeSession(id)
      store.deleteSession(id)
      feed.deleted(id)
    },

    startTurn(id: string, input: { prompt: string; model?: string; clientTurnId?: string; attachments?: Attachment[] }): Turn {
      const { turn, created } = supervisor.startTurn(id, {
        prompt: input.prompt,
        model: input.model ?? null,
        clientTurnId: input.clientTurnId ?? null,
        ...(input.attachments?.length ? { attachments: input.attachments } : {}),
      })
      // An untitled session takes its title from its first prompt, as chat apps do.
      if (created) {
        const s = store.getSession(id)
        if (s && s.title === '') {
          const firstLine = input.prompt.trim().split('\n')[0] ?? ''
          store.patchSession(id, { title: firstLine.slice(0, TITLE_FROM_PROMPT_CHARS) })
          feed.changed(id)
        }
      }
      return turn
    },

    listTurns(id: string): Turn[] {
      mustGet(id)
      return store.listTurns(id)
    },

    cancel(id: string): { cancelled: boolean; turn: Turn | null } {
      mustGet(id)
      return supervisor.cancel(id, 'user')
    },
  }
}
