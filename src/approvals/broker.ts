/**
 * The permission broker: answers to claude's `can_use_tool` requests, exactly once each, whoever
 * gives them (a user, the timeout, a cancel, claude's death). The store decides which answer wins;
 * the broker then writes the winner's control_response to the turn's stdin and records that it
 * arrived, so an answer committed just before a crash is sent again by the next daemon.
 */
import { AppError, notFound } from '../errors.js'
import type { EventLog } from '../events/event-log.js'
import type { EventFields, PermissionResolver } from '../events/types.js'
import type { Logger } from '../log.js'
import type { Store } from '../storage/store.js'
import {
  CANCEL_MESSAGE,
  denyOutcome,
  timeoutMessage,
  userOutcome,
  type AnswerBody,
} from './response.js'
import type { Permission, PermissionOutcome } from './types.js'

/** Writes one line to a running turn's claude; false when it could not. */
export type TurnWriter = (line: string) => boolean

export type AnswerResult =
  | { kind: 'resolved'; permission: Permission }
  | { kind: 'already_resolved'; permission: Permission }

export type PermissionBroker = ReturnType<typeof createPermissionBroker>

/** Timers longer than this are re-armed in steps (setTimeout's limit is about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1

export function createPermissionBroker(deps: {
  store: Store
  eventLog: EventLog
  log: Logger
  /** AGENTMUX_APPROVAL_TIMEOUT_MS: how long a tool approval waits (0 = for ever). */
  timeoutMs: number
  newRuleId: () => string
  now?: () => number
}) {
  const { store, eventLog, log } = deps
  const now = deps.now ?? Date.now
  const writers = new Map<string, TurnWriter>()
  const timers = new Map<string, NodeJS.Timeout>()
  const onTimeout = new Map<string, (message: string) => void>()

  function deliver(turnId: string): void {
    const write = writers.get(turnId)
    if (!write) return
    for (const u of store.permissions.undelivered(turnId)) {
      if (!write(u.response)) return
      store.permissions.markDelivered(u.requestId)
    }
  }

  function resolve(p: Permission, outcome: PermissionOutcome): AnswerResult | null {
    const r = store.resolvePermission(p.sessionId, p.requestId, outcome, deps.newRuleId)
    if (r.kind === 'not_found') return null
    if (r.kind === 'already_resolved') return r
    clearTimer(p.requestId)
    eventLog.published(p.sessionId, r.committed)
    deliver(p.turnId)
    log.info('permission resolved', {
      requestId: p.requestId,
      decision: outcome.decision,
      by: outcome.by,
    })
    if (outcome.by === 'timeout') onTimeout.get(p.turnId)?.(outcome.message ?? '')
    return { kind: 'resolved', permission: r.permission }
  }

  function clearTimer(requestId: string): void {
    const t = timers.get(requestId)
    if (t) clearTimeout(t)
    timers.delete(requestId)
  }

  function arm(p: Pick<Permission, 'requestId' | 'expiresAt'>): void {
    if (p.expiresAt === null || timers.has(p.requestId)) return
    const left = Math.max(0, Date.parse(p.expiresAt) - now())
    const t = setTimeout(
      () => {
        timers.delete(p.requestId)
        if (left > MAX_TIMER_MS) return arm(p)
        expire(p.requestId)
      },
      Math.min(left, MAX_TIMER_MS)
    )
    t.unref()
    timers.set(p.requestId, t)
  }

  function expire(requestId: string): void {
    const p = store.permissions.get(requestId)
    if (!p || p.status !== 'pending') return
    // A plain deny makes claude ask again in a loop: interrupt the turn.
    resolve(p, denyOutcome(p, 'timeout', timeoutMessage(p, deps.timeoutMs), true))
  }

  return {
    /** A turn's stdin is (again) writable: answers committed while it was not are sent now. */
    connect(
      turnId: string,
      write: TurnWriter,
      hooks: { onTimeout?: (message: string) => void } = {}
    ): void {
      writers.set(turnId, write)
      if (hooks.onTimeout) onTimeout.set(turnId, hooks.onTimeout)
      deliver(turnId)
    },

    disconnect(turnId: string): void {
      writers.delete(turnId)
      onTimeout.delete(turnId)
    },

    /** A `permission.requested` was committed: start its clock. */
    requested(e: EventFields['permission.requested']): void {
      arm(e)
    },

    list(sessionId: string): Permission[] {
      return store.permissions.pendingOfSession(sessionId)
    },

    /** A user's answer. 404 unknown (or another session's) id, 400 bad answer, 409 when too late. */
    answer(sessionId: string, requestId: string, body: AnswerBody): AnswerResult {
      const p = store.permissions.get(requestId)
      if (!p || p.sessionId !== sessionId) throw notFound('permission', requestId)
      if (p.status !== 'pending') return { kind: 'already_resolved', permission: p }
      const r = resolve(p, userOutcome(p, body))
      if (!r) throw notFound('permission', requestId)
      return r
    },

    /** Resolves every open request of a turn: `cancel` (claude is told), `lost` (claude is gone). */
    resolveOpen(turnId: string, by: Extract<PermissionResolver, 'cancel' | 'lost'>): number {
      let n = 0
      for (const p of store.permissions.pendingOfTurn(turnId)) {
        const message =
          by === 'cancel' ? CANCEL_MESSAGE : 'claude stopped while this request was open.'
        if (resolve(p, denyOutcome(p, by, message, true))?.kind === 'resolved') n++
      }
      return n
    },

    /** After a restart: the clocks of the open tool approvals run on from their stored expiry. */
    restore(): number {
      const open = store.permissions.expiring()
      for (const p of open) arm(p)
      return open.length
    },

    stop(): void {
      for (const t of timers.values()) clearTimeout(t)
      timers.clear()
    },
  }
}

/** The 409 body: the error plus the recorded outcome. */
export function alreadyResolvedBody(p: Permission): {
  error: { code: string; message: string }
  permission: Permission
} {
  const e = new AppError(
    409,
    'already_resolved',
    `permission ${p.requestId} was already answered (${p.decision} by ${p.by})`
  )
  return { ...e.toJSON(), permission: p }
}
