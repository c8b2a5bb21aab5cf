import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { CommittedEvent } from '../events/types.js'

/** Live numbers the metrics read at scrape time. */
export interface MetricsSources {
  /** Clients attached over SSE (session streams and the list stream). */
  attachedClients(): number
  /** Size of the database files in bytes. */
  databaseBytes(): number
  /** Each session's status and, where the daemon has them, its pending approvals and queued turns. */
  sessions(): readonly { status: string; pendingPermissions?: number; queuedTurns?: number }[]
}

export type NotificationResult = 'delivered' | 'failed'

export interface Metrics {
  /** Every committed batch passes here (see observeHub): counts, durations, spawn latency. */
  observe(sessionId: string, events: readonly CommittedEvent[]): void
  /** For the notification sender: one call per push attempt. */
  notification(result: NotificationResult): void
  render(): Promise<string>
  readonly contentType: string
}

const DURATION_BUCKETS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200]
const SPAWN_BUCKETS = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30]
/** The kinds whose fields the metrics need; every other event is only counted. */
const PARSED = new Set(['turn.started', 'agent.init', 'turn.ended'])

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const c = counters(registry)
  gauges(registry, sources)
  const spawnStarts = new Map<string, number>()

  function observeOne(e: CommittedEvent): void {
    const kind = kindOf(e.json)
    c.events.inc({ kind: kind ?? 'unknown' })
    if (!kind || !PARSED.has(kind)) return
    const ev = JSON.parse(e.json) as {
      turnId: string | null
      ts: string
      status?: string
      durationMs?: number
    }
    if (!ev.turnId) return
    if (kind === 'turn.started') {
      c.started.inc()
      spawnStarts.set(ev.turnId, Date.parse(ev.ts))
    } else if (kind === 'agent.init') {
      // claude's first sign of life in the turn: from the daemon's decision to spawn to a running agent.
      const t0 = spawnStarts.get(ev.turnId)
      if (t0 !== undefined) c.spawn.observe(Math.max(0, Date.parse(ev.ts) - t0) / 1000)
      spawnStarts.delete(ev.turnId)
    } else {
      spawnStarts.delete(ev.turnId)
      const status = ev.status ?? 'unknown'
      c.ended.inc({ status })
      if (typeof ev.durationMs === 'number') c.duration.observe({ status }, ev.durationMs / 1000)
    }
  }

  return {
    observe(_sessionId, events) {
      for (const e of events) observeOne(e)
    },
    notification(result) {
      c.notifications.inc({ result })
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  }
}

function counters(registry: Registry) {
  const registers = [registry]
  return {
    events: new Counter({
      name: 'agentmux_events_appended_total',
      help: 'Events committed to the replay log, by kind',
      labelNames: ['kind'],
      registers,
    }),
    started: new Counter({
      name: 'agentmux_turns_started_total',
      help: 'Turns started',
      registers,
    }),
    ended: new Counter({
      name: 'agentmux_turns_total',
      help: 'Turns ended, by final status',
      labelNames: ['status'],
      registers,
    }),
    duration: new Histogram({
      name: 'agentmux_turn_duration_seconds',
      help: 'Turn duration from start to end, by final status',
      labelNames: ['status'],
      buckets: DURATION_BUCKETS,
      registers,
    }),
    spawn: new Histogram({
      name: 'agentmux_claude_spawn_seconds',
      help: "Time from a turn's start to claude's system/init",
      buckets: SPAWN_BUCKETS,
      registers,
    }),
    notifications: new Counter({
      name: 'agentmux_notifications_total',
      help: 'Push notifications sent, by result',
      labelNames: ['result'],
      registers,
    }),
  }
}

function gauges(registry: Registry, sources: MetricsSources): void {
  const registers = [registry]
  const sum = (pick: (s: ReturnType<MetricsSources['sessions']>[number]) => number) =>
    sources.sessions().reduce((n, s) => n + pick(s), 0)
  new Gauge({
    name: 'agentmux_turns_running',
    help: 'Turns running now',
    registers,
    collect() {
      this.set(sum((s) => (s.status === 'running' ? 1 : 0)))
    },
  })
  new Gauge({
    name: 'agentmux_sessions',
    help: 'Sessions stored',
    registers,
    collect() {
      this.set(sources.sessions().length)
    },
  })
  new Gauge({
    name: 'agentmux_attached_clients',
    help: 'Clients attached over SSE',
    registers,
    collect() {
      this.set(sources.attachedClients())
    },
  })
  new Gauge({
    name: 'agentmux_pending_approvals',
    help: 'Approvals and questions waiting for an answer',
    registers,
    collect() {
      this.set(sum((s) => s.pendingPermissions ?? 0))
    },
  })
  new Gauge({
    name: 'agentmux_queued_turns',
    help: 'Turns waiting in session queues',
    registers,
    collect() {
      this.set(sum((s) => s.queuedTurns ?? 0))
    },
  })
  new Gauge({
    name: 'agentmux_database_bytes',
    help: 'Size of the SQLite database files',
    registers,
    collect() {
      this.set(sources.databaseBytes())
    },
  })
}

/** The kind of a stored event without parsing it: the store writes `"kind":"…"` near the front. */
export function kindOf(json: string): string | null {
  const at = json.indexOf('"kind":"')
  if (at < 0) return null
  const end = json.indexOf('"', at + 8)
  return end < 0 ? null : json.slice(at + 8, end)
}
