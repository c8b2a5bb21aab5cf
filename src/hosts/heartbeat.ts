import type { Logger } from '../log.js'
import type { HostRow } from '../storage/hosts.js'

export interface HostView {
  id: string
  alive: boolean
  lastSeen: string
  url: string
  startedAt: string
  /** The daemon answering. */
  self: boolean
}

export interface Heartbeat {
  start(url: string): void
  stop(): void
  list(): HostView[]
  /** Read from the table when asked (before forwarding a write): never run, offline, or alive. */
  state(hostId: string): 'unknown' | 'offline' | 'alive'
}

/**
 * Writes this daemon's heartbeat row every `everyMs`, and watches the others': when a host goes
 * offline or comes back, its sessions change for the lists (they show the host offline).
 */
export function createHeartbeat(deps: {
  hostId: string
  hosts: {
    beat(id: string, url: string, now: string): void
    list(): HostRow[]
    sessionsOf(id: string): string[]
  }
  everyMs: number
  aliveMs: number
  now?: () => Date
  log: Logger
  onSessionChanged(sessionId: string): void
}): Heartbeat {
  const now = deps.now ?? (() => new Date())
  let timer: NodeJS.Timeout | null = null
  let url = ''
  let view: HostView[] = []

  const toView = (r: HostRow, at: number): HostView => ({
    ...r,
    alive: at - Date.parse(r.lastSeen) < deps.aliveMs,
    self: r.id === deps.hostId,
  })

  /** Reads the hosts table again; a host whose liveness flipped changes its sessions. */
  function refresh(): void {
    const at = now().getTime()
    const before = new Map(view.map((h) => [h.id, h.alive]))
    view = deps.hosts.list().map((r) => toView(r, at))
    for (const h of view) {
      if (!before.has(h.id) || before.get(h.id) === h.alive) continue
      deps.log.info(h.alive ? 'host back online' : 'host offline', { host: h.id })
      for (const id of deps.hosts.sessionsOf(h.id)) deps.onSessionChanged(id)
    }
  }

  function tick(): void {
    try {
      deps.hosts.beat(deps.hostId, url, now().toISOString())
      refresh()
    } catch (err) {
      // A database hiccup: the next beat tries again; the host looks offline to others meanwhile.
      deps.log.warn('heartbeat failed', { error: (err as Error).message })
    }
  }

  return {
    start(u) {
      url = u
      tick()
      timer = setInterval(tick, deps.everyMs)
      timer.unref()
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = null
    },
    list: () => view,
    state(id) {
      if (id === deps.hostId) return 'alive'
      refresh()
      const h = view.find((x) => x.id === id)
      return !h ? 'unknown' : h.alive ? 'alive' : 'offline'
    },
  }
}
