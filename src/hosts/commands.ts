import { errorBody } from '../errors.js'
import type { Logger } from '../log.js'
import type { CommandQueries } from '../storage/commands.js'
import type { Notifications } from '../storage/pg/listen.js'

/** An HTTP request for another daemon, as it is stored in the command table. */
export interface ForwardedRequest {
  method: string
  /** Path and query. */
  path: string
  contentType: string | null
  body: string | null
}

export interface ForwardedResponse {
  status: number
  contentType: string | null
  body: string
}

export interface CommandBus {
  /** Runs the request on the daemon of `host`: its answer, or a 504 after the timeout. */
  send(host: string, request: ForwardedRequest): Promise<ForwardedResponse>
  start(): void
  stop(): Promise<void>
}

const CLAIM_BATCH = 16
const KEEP_DONE_MS = 60 * 60 * 1000

/**
 * Writes for a session owned by another daemon travel through the command table. The sender
 * inserts a row and waits for its answer; the owner claims pending rows (SKIP LOCKED), runs each
 * through its own HTTP app exactly as a local request, and stores the answer. NOTIFY wakes both
 * sides; each also polls, so a lost wake-up costs `pollMs`. A command that no one claimed before
 * its deadline is withdrawn and never runs: the caller gets a 504 that says nothing happened.
 */
export function createCommandBus(deps: {
  hostId: string
  queries: CommandQueries
  notifications: Notifications
  execute(request: ForwardedRequest): Promise<ForwardedResponse>
  timeoutMs: number
  pollMs: number
  now?: () => Date
  log: Logger
}): CommandBus {
  const now = deps.now ?? (() => new Date())
  const waiters = new Set<() => void>()
  let timer: NodeJS.Timeout | null = null
  let draining: Promise<void> = Promise.resolve()
  let stopped = false

  const wakeWaiters = () => {
    for (const w of waiters) w()
  }

  function waitForWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t)
        waiters.delete(done)
        resolve()
      }
      const t = setTimeout(done, ms)
      waiters.add(done)
    })
  }

  async function send(host: string, request: ForwardedRequest): Promise<ForwardedResponse> {
    const start = now()
    const deadline = start.getTime() + deps.timeoutMs
    const id = deps.queries.insert(
      host,
      JSON.stringify(request),
      start.toISOString(),
      new Date(deadline).toISOString()
    )
    for (;;) {
      const state = deps.queries.state(id)
      if (state?.status === 'done') return JSON.parse(state.response) as ForwardedResponse
      const left = deadline - now().getTime()
      if (left <= 0) return timedOut(id, host)
      await waitForWake(Math.min(left, deps.pollMs))
    }
  }

  function timedOut(id: number, host: string): ForwardedResponse {
    const withdrawn = deps.queries.withdraw(id, now().toISOString())
    const seconds = Math.round(deps.timeoutMs / 1000)
    const message = withdrawn
      ? `host ${host} did not take the request within ${seconds} s; nothing was done`
      : `host ${host} took the request but did not answer within ${seconds} s; it may still complete`
    return {
      status: 504,
      contentType: 'application/json',
      body: JSON.stringify({ ...errorBody('host_timeout', message), host, withdrawn }),
    }
  }

  /** Claims and runs this host's pending commands, one batch after another. */
  async function drain(): Promise<void> {
    for (;;) {
      if (stopped) return
      const rows = deps.queries.claim(deps.hostId, CLAIM_BATCH)
      if (rows.length === 0) return
      for (const row of rows) {
        if (Date.parse(row.expiresAt) <= now().getTime()) {
          deps.queries.expire(row.id)
          continue
        }
        const response = await run(row.request)
        deps.queries.finish(row.id, JSON.stringify(response), now().toISOString())
      }
    }
  }

  async function run(stored: string): Promise<ForwardedResponse> {
    try {
      return await deps.execute(JSON.parse(stored) as ForwardedRequest)
    } catch (err) {
      deps.log.error('forwarded request failed', { error: (err as Error).message })
      return {
        status: 500,
        contentType: 'application/json',
        body: JSON.stringify(errorBody('internal_error', 'internal error')),
      }
    }
  }

  /** One drain at a time; a wake-up during a drain runs another after it. */
  function kick(): void {
    draining = draining
      .then(drain)
      .catch((err: Error) => deps.log.warn('command claim failed', { error: err.message }))
  }

  return {
    send,
    start() {
      deps.notifications.on('agentmux_commands', (host) => {
        if (host === deps.hostId) kick()
      })
      deps.notifications.on('agentmux_command_done', wakeWaiters)
      let prunedAt = 0
      timer = setInterval(() => {
        kick()
        wakeWaiters()
        // Old answers go once a minute, not on every poll (each is a round trip).
        if (now().getTime() - prunedAt < 60_000) return
        prunedAt = now().getTime()
        deps.queries.prune(new Date(prunedAt - KEEP_DONE_MS).toISOString())
      }, deps.pollMs)
      timer.unref()
      kick()
    },
    async stop() {
      stopped = true
      if (timer) clearInterval(timer)
      timer = null
      wakeWaiters()
      await draining
    },
  }
}
