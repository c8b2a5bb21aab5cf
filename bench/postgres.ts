/**
 * postgres: the daemon on PostgreSQL next to the daemon on SQLite and to raw pg, in one run, on a
 * throwaway cluster (tests/helpers/postgres.ts, Debian's postgresql package).
 *
 * - ingest: the ingest benchmark's burst (bench/ingest.ts) on each backend; the baseline is raw
 *   `pg` inserting the same rows in the daemon's batch size, through the same schema and trigger.
 * - replay: a fresh client attaching with after=0 to a session of N events, each daemon restarted
 *   first (so replays come from the database); the baseline is raw `pg` paging the same rows.
 * - cross-host: daemons a and b on one database; a client attached through a and one through b to
 *   a session of a, whose claude writes deltas at a steady rate. Per event: delivered through b
 *   minus delivered through a (a delivers right after its own commit).
 */
import { join } from 'node:path'
import pg from 'pg'
import { INGEST_BATCH, ingestOnce, type IngestRun } from './ingest.js'
import {
  createSession,
  ROOT,
  startDaemon,
  startTurn,
  waitIdle,
  type DaemonHandle,
} from './lib/daemon.js'
import { metric, type BenchContext, type Metric } from './lib/report.js'
import { kindOf, openSse } from './lib/sse.js'
import { quantile, wallNow } from './lib/stats.js'
import { replayOnce } from './replay.js'
import { startPostgres } from '../tests/helpers/postgres.js'
import { openPostgres } from '../src/storage/pg/database.js'

const MIGRATIONS = join(ROOT, 'migrations/postgres')

export async function runPostgres(ctx: BenchContext): Promise<Metric[]> {
  const cluster = startPostgres()
  const admin = new pg.Client({ connectionString: cluster.url() })
  await admin.connect()
  /** A fresh schema, migrated, and its URL. */
  const schema = async (name: string) => {
    await admin.query(`CREATE SCHEMA ${name}`)
    const u = new URL(cluster.url())
    u.searchParams.set('options', `-c search_path=${name}`)
    openPostgres(u.toString(), MIGRATIONS).db.close()
    return u.toString()
  }
  try {
    return [
      ...(await ingest(ctx, schema)),
      ...(await replay(ctx, schema)),
      ...(await crossHost(ctx, await schema('cross_host'))),
    ]
  } finally {
    await admin.end()
    cluster.stop()
  }
}

type Schema = (name: string) => Promise<string>

async function ingest(ctx: BenchContext, schema: Schema): Promise<Metric[]> {
  const n = ctx.quick ? 20_000 : 100_000
  const reps = ctx.quick ? 2 : 4
  const sqlite = await startDaemon()
  const postgres = await startDaemon({ env: { AGENTMUX_DATABASE_URL: await schema('ingest') } })
  const raw = await schema('raw_ingest')
  const runs = { sqlite: [] as IngestRun[], postgres: [] as IngestRun[], raw: [] as number[] }
  try {
    await ingestOnce(sqlite.url, 5000, sqlite.pid)
    await ingestOnce(postgres.url, 5000, postgres.pid)
    for (let r = 0; r < reps; r++) {
      runs.sqlite.push(await ingestOnce(sqlite.url, n, sqlite.pid))
      runs.postgres.push(await ingestOnce(postgres.url, n, postgres.pid))
      runs.raw.push(await rawInserts(raw, n, `ses_raw${r}`))
      ctx.log(
        `ingest rep ${r + 1}/${reps}: sqlite ${Math.round(runs.sqlite[r]!.eventsPerSec)} ev/s, postgres ${Math.round(runs.postgres[r]!.eventsPerSec)} ev/s, raw pg ${Math.round(runs.raw[r]!)} rows/s`
      )
    }
  } finally {
    await sqlite.stop()
    await postgres.stop()
  }
  ctx.extra.postgresIngest = { n, runs }
  const rate = (rs: IngestRun[]) => rs.map((x) => x.eventsPerSec)
  return [
    metric({
      bench: 'postgres',
      metric: `ingest on PostgreSQL: events/s, stdout → committed → delivered (burst of ${n})`,
      unit: 'ev/s',
      samples: rate(runs.postgres),
      baselineSamples: runs.raw,
      baselineLabel: `raw pg inserts, ${INGEST_BATCH}/txn`,
    }),
    metric({
      bench: 'postgres',
      metric: 'ingest on SQLite, same run (for the ratio)',
      unit: 'ev/s',
      samples: rate(runs.sqlite),
      baselineSamples: rate(runs.postgres),
      baselineLabel: 'the same on PostgreSQL',
    }),
    metric({
      bench: 'postgres',
      metric: 'daemon CPU per event on PostgreSQL (user+sys)',
      unit: 'µs',
      samples: runs.postgres.map((x) => x.daemonCpuUsPerEvent),
      baselineSamples: runs.sqlite.map((x) => x.daemonCpuUsPerEvent),
      baselineLabel: 'on SQLite',
    }),
  ]
}

/** Raw pg: the daemon's batches (one statement each, in a transaction), nothing in between. */
async function rawInserts(url: string, n: number, sessionId: string): Promise<number> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    await c.query(
      `INSERT INTO sessions (id, title, cwd, claude_session_id, created_at, updated_at)
      VALUES ($1, '', '/tmp', 'x', '', '')`,
      [sessionId]
    )
    const t0 = performance.now()
    for (let i = 0; i < n; i += INGEST_BATCH) {
      const bodies: string[] = []
      for (let k = i; k < Math.min(n, i + INGEST_BATCH); k++)
        bodies.push(`{"sessionId":"${sessionId}","kind":"text.delta","text":"w${k} ","index":0}`)
      await c.query('BEGIN')
      // The daemon's own statement for a batch (src/storage/event-insert.ts), sent directly.
      await c.query(
        `WITH c AS (UPDATE event_counter SET last = last + $1 RETURNING last)
         INSERT INTO events (id, session_id, turn_id, kind, body)
         SELECT c.last - $1 + e.n, $2, 'trn_raw', 'text.delta', e.b
         FROM c, unnest($3::text[]) WITH ORDINALITY AS e(b, n)`,
        [bodies.length, sessionId, bodies]
      )
      await c.query('UPDATE sessions SET last_event_id = 0 WHERE id = $1', [sessionId])
      await c.query('COMMIT')
    }
    return (n * 1000) / (performance.now() - t0)
  } finally {
    await c.end()
  }
}

async function replay(ctx: BenchContext, schema: Schema): Promise<Metric[]> {
  const n = ctx.quick ? 20_000 : 100_000
  const reps = ctx.quick ? 2 : 4
  const pgUrl = await schema('replay')
  const made = async (env: Record<string, string>) => {
    const d = await startDaemon({ env })
    const id = await createSession(d.url, 'replay')
    await startTurn(d.url, id, `[burst:${n}]`)
    await waitIdle(d.url, id)
    await d.stop({ keepData: true })
    // Restarted: nothing in memory, every replay reads the database.
    return { d: await startDaemon({ env, dataDir: d.dataDir }), id }
  }
  const sqlite = await made({})
  const postgres = await made({ AGENTMUX_DATABASE_URL: pgUrl })
  const rates = { sqlite: [] as number[], postgres: [] as number[], raw: [] as number[] }
  const first = { sqlite: [] as number[], postgres: [] as number[] }
  try {
    for (let r = 0; r < reps; r++) {
      for (const [name, x] of [
        ['sqlite', sqlite],
        ['postgres', postgres],
      ] as const) {
        const run = await replayOnce(`${x.d.url}/sessions/${x.id}/events`)
        if (run.events < n) throw new Error(`replay: ${run.events} of ${n}+ events`)
        rates[name].push(run.eventsPerSec)
        first[name].push(run.firstEventMs)
      }
      rates.raw.push(await rawReads(pgUrl, postgres.id))
      ctx.log(
        `replay rep ${r + 1}/${reps}: sqlite ${Math.round(rates.sqlite[r]!)} ev/s, postgres ${Math.round(rates.postgres[r]!)} ev/s, raw pg ${Math.round(rates.raw[r]!)} rows/s`
      )
    }
  } finally {
    await sqlite.d.stop()
    await postgres.d.stop()
  }
  return [
    metric({
      bench: 'postgres',
      metric: `replay on PostgreSQL: events/s, after=0 of ${n} (restarted daemon)`,
      unit: 'ev/s',
      samples: rates.postgres,
      baselineSamples: rates.raw,
      baselineLabel: 'raw pg reads, pages of 1000',
    }),
    metric({
      bench: 'postgres',
      metric: 'replay on SQLite, same run (for the ratio)',
      unit: 'ev/s',
      samples: rates.sqlite,
      baselineSamples: rates.postgres,
      baselineLabel: 'the same on PostgreSQL',
    }),
    metric({
      bench: 'postgres',
      metric: 'replay on PostgreSQL: first event frame',
      unit: 'ms',
      samples: first.postgres,
      baselineSamples: first.sqlite,
      baselineLabel: 'on SQLite',
    }),
  ]
}

/** Raw pg: the session's rows in id order, pages of 1000, as the daemon reads them. */
async function rawReads(url: string, sessionId: string): Promise<number> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    const t0 = performance.now()
    let after = 0
    let rows = 0
    for (;;) {
      const r = await c.query<{ id: string; body: string }>(
        'SELECT id, body FROM events WHERE session_id = $1 AND id > $2 ORDER BY id LIMIT 1000',
        [sessionId, after]
      )
      if (r.rows.length === 0) break
      rows += r.rows.length
      after = Number(r.rows[r.rows.length - 1]!.id)
    }
    return (rows * 1000) / (performance.now() - t0)
  } finally {
    await c.end()
  }
}

async function crossHost(ctx: BenchContext, url: string): Promise<Metric[]> {
  const deltas = ctx.quick ? 500 : 2000
  const rate = 200
  const env = (host: string) => ({ AGENTMUX_DATABASE_URL: url, AGENTMUX_HOST_ID: host })
  const a: DaemonHandle = await startDaemon({ env: env('a') })
  const b: DaemonHandle = await startDaemon({ env: env('b') })
  try {
    const id = await createSession(a.url, 'cross-host')
    const at = { a: new Map<number, number>(), b: new Map<number, number>() }
    const streams = await Promise.all(
      (['a', 'b'] as const).map(async (h) => {
        let caught!: () => void
        const ready = new Promise<void>((r) => (caught = r))
        const s = await openSse(`${(h === 'a' ? a : b).url}/sessions/${id}/events?after=0`, {
          onFrame(f, t) {
            if (f.event === 'caught-up') caught()
            else if (f.event === 'message' && kindOf(f.data) === 'text.delta') at[h].set(f.id, t)
          },
        })
        await ready
        return s
      })
    )
    await startTurn(a.url, id, `[burst:${deltas}] [burst-rate:${rate}]`)
    await waitIdle(a.url, id)
    const deadline = wallNow() + 10_000
    while (at.b.size < deltas && wallNow() < deadline) await new Promise((r) => setTimeout(r, 50))
    for (const s of streams) s.close()
    const lag = [...at.a].map(([eid, t]) => {
      const tb = at.b.get(eid)
      if (tb === undefined) throw new Error(`cross-host: event ${eid} never reached b`)
      return tb - t
    })
    ctx.log(
      `cross-host: ${lag.length} deltas, b − a p50 ${quantile(lag, 0.5).toFixed(2)} ms, p99 ${quantile(lag, 0.99).toFixed(2)} ms`
    )
    return [
      metric({
        bench: 'postgres',
        metric: `cross-host: committed on a → delivered through b, minus through a (${rate} deltas/s)`,
        unit: 'ms',
        samples: lag,
      }),
    ]
  } finally {
    await a.stop()
    await b.stop()
  }
}
