import { randomUUID } from 'node:crypto'
import { AppError, notFound } from '../errors.js'
import type { EventLog } from '../events/event-log.js'
import type { Hub } from '../events/hub.js'
import type { QueuedChange } from '../storage/queue.js'
import type { Store } from '../storage/store.js'
import type { Supervisor } from '../turns/supervisor.js'
import type { Attachment } from './attachments.js'
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
  /** Only this daemon's own host id reaches here: another host's request was forwarded to it. */
  host?: string
}

export interface PatchSessionInput {
  title?: string
  model?: string | null
  permissionMode?: PermissionMode | null
  allowedTools?: string[]
}

/** How long DELETE waits for a running turn to stop before removing the session anyway. */
const DELETE_WAIT_MS = 15_000

export type SessionService = ReturnType<typeof createSessionService>

export function createSessionService(deps: {
  store: Store
  supervisor: Supervisor
  eventLog: EventLog
  hub: Hub
  feed: SessionFeed
  newSessionId: () => string
  workspacesDir: string
  allowedRoots: string[]
  /** Holds the token: never a session's cwd, nor above one (see cwd.ts). */
  dataDir: string
  /** This daemon's host id: its sessions are created here. */
  hostId: string
}) {
  const { store, supervisor, hub, feed } = deps

  const mustGet = (id: string): Session => {
    const s = store.getSession(id)
    if (!s) throw notFound('session', id)
    return s
  }

  /** The answer to a change of one queued turn, with a 409 that says what to use instead. */
  const queuedChange = (sessionId: string, turnId: string, r: QueuedChange, verb: string): Turn => {
    if (r.kind === 'not_found') {
      mustGet(sessionId)
      throw notFound('turn', turnId)
    }
    if (r.kind === 'not_queued') {
      const hint =
        r.turn.status === 'running'
          ? `it is running; stop it with POST /sessions/${sessionId}/cancel`
          : `it already ended (${r.turn.status})`
      throw new AppError(409, 'turn_not_queued', `turn ${turnId} can no longer be ${verb}: ${hint}`)
    }
    deps.eventLog.published(sessionId, r.committed)
    return r.turn
  }

  const clearQueue = (id: string): string[] => {
    const r = store.clearQueue(id)
    deps.eventLog.published(id, r.committed)
    return r.turnIds
  }

  return {
    async create(input: CreateSessionInput): Promise<Session> {
      if (input.host !== undefined && input.host !== deps.hostId)
        throw new AppError(
          404,
          'unknown_host',
          `no daemon with host id ${JSON.stringify(input.host)} shares this database`
        )
      const id = deps.newSessionId()
      const { cwd, isDefault } = await resolveSessionCwd(input.cwd, {
        sessionId: id,
        workspacesDir: deps.workspacesDir,
        allowedRoots: deps.allowedRoots,
        dataDir: deps.dataDir,
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
      // Issue 9.9: not only later turns; null (claude's default) reaches a running claude as "default".
      if (input.permissionMode !== undefined)
        supervisor.setPermissionMode(id, input.permissionMode ?? 'default')
      feed.changed(id)
      return session
    },

    async remove(id: string): Promise<void> {
      mustGet(id)
      // Nothing queued may start once the running turn ends.
      clearQueue(id)
      supervisor.cancel(id, 'delete')
      await supervisor.settled(id, DELETE_WAIT_MS)
      // Streams flush the session's last events while they are still stored, then end.
      hub.closeSession(id)
      store.deleteSession(id)
      feed.deleted(id)
    },

    /**
     * 202 for a started or queued turn, and for an earlier turn with the same clientTurnId; 409 for a
     * busy session when the caller asked not to queue.
     */
    startTurn(
      id: string,
      input: {
        prompt: string
        model?: string
        clientTurnId?: string
        queue?: boolean
        attachments?: Attachment[]
      }
    ): Turn {
      const r = supervisor.startTurn(id, {
        prompt: input.prompt,
        model: input.model ?? null,
        clientTurnId: input.clientTurnId ?? null,
        queue: input.queue ?? true,
        ...(input.attachments?.length ? { attachments: input.attachments } : {}),
      })
      switch (r.kind) {
        case 'no_session':
          throw notFound('session', id)
        case 'busy': {
          const what = r.activeTurnId
            ? `is running turn ${r.activeTurnId}`
            : `has ${r.queuedTurns} turns queued`
          throw new AppError(
            409,
            'turn_in_progress',
            `session ${id} ${what}; send without "queue": false to queue the prompt`
          )
        }
        case 'queue_full':
          throw new AppError(
            409,
            'queue_full',
            `session ${id} already has ${r.queuedTurns} turns queued; remove some or wait`
          )
        default:
          return r.turn
      }
    },

    removeQueuedTurn(id: string, turnId: string): Turn {
      return queuedChange(id, turnId, store.removeQueued(id, turnId), 'removed')
    },

    editQueuedTurn(id: string, turnId: string, prompt: string): Turn {
      return queuedChange(id, turnId, store.editQueued(id, turnId, prompt), 'edited')
    },

    /** Clears a pause and starts the next queued turn if the session is idle. */
    resumeQueue(id: string): { resumed: boolean; session: Session } {
      const r = store.resumeQueue(id)
      if (r.kind === 'no_session') throw notFound('session', id)
      deps.eventLog.published(id, r.committed)
      supervisor.advance(id)
      return { resumed: r.resumed, session: mustGet(id) }
    },

    listTurns(id: string): Turn[] {
      mustGet(id)
      return store.listTurns(id)
    },

    /** Stops the running turn; `clearQueue` first removes the queued ones, so none starts after it. */
    cancel(
      id: string,
      opts: { clearQueue?: boolean } = {}
    ): { cancelled: boolean; turn: Turn | null; removedTurnIds: string[] } {
      mustGet(id)
      const removedTurnIds = opts.clearQueue ? clearQueue(id) : []
      return { ...supervisor.cancel(id, 'user'), removedTurnIds }
    },
  }
}
