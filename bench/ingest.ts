/**
 * ingest: fake-claude stdout line → spool → translate → committed → delivered to 1 attached client.
 *
 * One daemon, one client attached (after=0, caught up) before each turn. Each repetition runs a
 * fresh session's turn with `[burst:N]`: the fake claude writes N text_delta stream_events as fast
 * as it can. The client stamps every frame; the sustained rate is (deltas − 1) / (last delta − first
 * delta). The baseline is bench/baseline-sqlite.ts (raw batched inserts) in its own process.
 */
import { cpuMs, createSession, startDaemon, startTurn } from './lib/daemon.js'
import { runJson } from './lib/build.js'
import { metric, type BenchContext, type Metric } from './lib/report.js'
import { kindOf, openSse } from './lib/sse.js'
import { wallNow } from './lib/stats.js'
import type { SqliteBaselineResult } from './baseline-sqlite.js'

/** The daemon's spool reader reads 256 KiB per chunk and commits each chunk in one transaction:
 *  with ~290-byte stream_event lines that is ~900 events per transaction. */
export const INGEST_BATCH = 1000

export interface IngestRun {
  deltas: number
  eventsPerSec: number
  /** POST sent → turn.ended received. */
  totalMs: number
  /** POST sent → first text.delta received (claude start-up and first commit). */
  firstDeltaMs: number
  daemonCpuPct: number
  /** Daemon CPU time (user+sys) per delivered event, µs: robust to other load on the machine. */
  daemonCpuUsPerEvent: number
}

export async function ingestOnce(url: string, n: number, pid: number): Promise<IngestRun> {
  const sessionId = await createSession(url, 'ingest')
  let count = 0
  let first = 0
  let last = 0
  let lastId = 0
  let outOfOrder = 0
  let caughtUp!: () => void
  let ended!: (t: number) => void
  const caught = new Promise<void>((r) => (caughtUp = r))
  const end = new Promise<number>((r) => (ended = r))
  const stream = await openSse(`${url}/sessions/${sessionId}/events?after=0`, {
    onFrame(f, t) {
      if (f.event === 'caught-up') return caughtUp()
      if (f.event !== 'message') return
      if (f.id <= lastId) outOfOrder++
      lastId = f.id
      const kind = kindOf(f.data)
      if (kind === 'text.delta') {
        if (count === 0) first = t
        last = t
        count++
      } else if (kind === 'turn.ended') ended(t)
    },
  })
  await caught
  let sent = 0
  const cpu0 = cpuMs(pid)
  await startTurn(url, sessionId, `[burst:${n}]`, () => (sent = wallNow()))
  const endedAt = await end
  const cpu1 = cpuMs(pid)
  stream.close()
  if (count !== n) throw new Error(`ingest: expected ${n} text.delta, got ${count}`)
  if (outOfOrder > 0) throw new Error(`ingest: ${outOfOrder} events out of order`)
  return {
    deltas: count,
    eventsPerSec: ((count - 1) * 1000) / (last - first),
    totalMs: endedAt - sent,
    firstDeltaMs: first - sent,
    daemonCpuPct: ((cpu1 - cpu0) / (endedAt - sent)) * 100,
    daemonCpuUsPerEvent: ((cpu1 - cpu0) * 1000) / count,
  }
}

export async function runIngest(ctx: BenchContext): Promise<Metric[]> {
  const n = ctx.quick ? 50_000 : 200_000
  const reps = ctx.quick ? 3 : 5
  const daemon = await startDaemon()
  const runs: IngestRun[] = []
  const baseRates: number[] = []
  // Daemon and baseline repetitions alternate, so both see the same machine (page cache, disk
  // write-back of the previous repetition's WAL, other load).
  const baseline = async () =>
    (
      await runJson<SqliteBaselineResult>('baseline-sqlite', [
        '--rows',
        String(n),
        '--batch',
        String(INGEST_BATCH),
        '--reps',
        '1',
      ])
    ).rowsPerSec[0]!
  try {
    // Warm-up: JIT, page cache, the fake claude's first start.
    await ingestOnce(daemon.url, Math.min(n, 20_000), daemon.pid)
    for (let r = 0; r < reps; r++) {
      const run = await ingestOnce(daemon.url, n, daemon.pid)
      const b = await baseline()
      ctx.log(
        `ingest rep ${r + 1}/${reps}: ${Math.round(run.eventsPerSec)} ev/s, total ${Math.round(run.totalMs)} ms, daemon CPU ${Math.round(run.daemonCpuPct)}% (${run.daemonCpuUsPerEvent.toFixed(1)} µs/event); raw inserts ${Math.round(b)} rows/s`
      )
      runs.push(run)
      baseRates.push(b)
    }
  } finally {
    await daemon.stop()
  }
  const base: SqliteBaselineResult = { rows: n, batch: INGEST_BATCH, rowsPerSec: baseRates }
  ctx.extra.ingest = { n, runs, baseline: base }
  return [
    metric({
      bench: 'ingest',
      metric: `sustained events/s, stdout line → committed → delivered (1 client, burst of ${n})`,
      unit: 'ev/s',
      samples: runs.map((r) => r.eventsPerSec),
      baselineSamples: base.rowsPerSec,
      baselineLabel: `raw inserts, ${INGEST_BATCH}/txn`,
      target: '≥ 50,000 ev/s and ≥ 0.4× baseline',
      check: (v, b) => v >= 50_000 && b !== null && v >= 0.4 * b,
    }),
    metric({
      bench: 'ingest',
      metric: 'daemon CPU during the burst (of 1 core)',
      unit: '%',
      samples: runs.map((r) => r.daemonCpuPct),
    }),
    metric({
      bench: 'ingest',
      metric: 'daemon CPU time per event (user+sys; robust to other load)',
      unit: 'µs',
      samples: runs.map((r) => r.daemonCpuUsPerEvent),
      baselineSamples: base.rowsPerSec.map((x) => 1e6 / x),
      baselineLabel: 'raw insert, wall µs/row',
    }),
  ]
}
