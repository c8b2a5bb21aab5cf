/**
 * replay: a fresh client attaching with after=0 to a session of ~100,000 events.
 *
 * Sessions of ~10k and ~100k events are made by the daemon itself ([burst:N] turns); then the
 * daemon is restarted on the same data dir, so nothing is in the hub's memory and replays come from
 * SQLite, as after any restart. Each repetition is a new client: time to the first event frame and
 * to `caught-up`, events/s = events / (request sent → caught-up). Daemon RSS is read idle, after
 * the 10k replays and after the 100k replays (plus the peak, sampled every 10 ms).
 * The baseline is bench/baseline-sse-server.ts serving the same database file.
 */
import { startBaselineServer } from './lib/baseline.js'
import {
  createSession,
  sleep,
  startDaemon,
  startTurn,
  waitIdle,
  type DaemonHandle,
} from './lib/daemon.js'
import { metric, type BenchContext, type Metric } from './lib/report.js'
import { openSse } from './lib/sse.js'
import { join } from 'node:path'

export interface ReplayRun {
  events: number
  firstEventMs: number
  headersMs: number
  caughtUpMs: number
  eventsPerSec: number
}

export async function replayOnce(url: string, after = 0): Promise<ReplayRun> {
  let events = 0
  let firstEvent = 0
  let done!: (t: number) => void
  const caught = new Promise<number>((r) => (done = r))
  let lastId = after
  let bad = 0
  const s = await openSse(`${url}?after=${after}`, {
    onFrame(f, t) {
      if (f.event === 'message') {
        if (events === 0) firstEvent = t
        if (f.id <= lastId) bad++
        lastId = f.id
        events++
      } else if (f.event === 'caught-up') done(t)
    },
  })
  const t1 = await caught
  s.close()
  if (bad > 0) throw new Error(`replay: ${bad} events out of order`)
  return {
    events,
    firstEventMs: firstEvent - s.sentAt,
    headersMs: s.headersAt - s.sentAt,
    caughtUpMs: t1 - s.sentAt,
    eventsPerSec: (events * 1000) / (t1 - s.sentAt),
  }
}

/** Samples VmRSS every 10 ms while fn runs; returns fn's result and the peak. */
export async function withPeak<T>(
  rss: () => number,
  fn: () => Promise<T>
): Promise<{ value: T; peakKb: number }> {
  let peak = rss()
  const t = setInterval(() => (peak = Math.max(peak, rss())), 10)
  try {
    const value = await fn()
    return { value, peakKb: Math.max(peak, rss()) }
  } finally {
    clearInterval(t)
  }
}

async function makeSession(d: DaemonHandle, n: number): Promise<string> {
  const id = await createSession(d.url, `replay ${n}`)
  await startTurn(d.url, id, `[burst:${n}]`)
  await waitIdle(d.url, id)
  return id
}

/** Heap used / committed after the daemon's last GC, from its --trace-gc lines (MB). */
function lastHeap(d: DaemonHandle): { used: number; committed: number } | null {
  const m = [...d.stdout().matchAll(/-> ([\d.]+) \(([\d.]+)\) MB/g)].pop()
  return m ? { used: Number(m[1]), committed: Number(m[2]) } : null
}

interface SizeResult {
  size: number
  runs: ReplayRun[]
  rssAfterKb: number
  peakKb: number
  heapAfter: { used: number; committed: number } | null
  baseRuns: ReplayRun[]
  baseRssAfterKb: number
}

export async function runReplay(ctx: BenchContext): Promise<Metric[]> {
  const reps = ctx.quick ? 3 : 5
  const sizes = ctx.quick ? [10_000, 100_000] : [10_000, 100_000, 200_000]
  const settleMs = ctx.quick ? 1000 : 2000
  let d = await startDaemon()
  const dataDir = d.dataDir
  const ids: string[] = []
  try {
    for (const n of sizes) ids.push(await makeSession(d, n))
  } finally {
    await d.stop({ keepData: true })
  }
  const results: SizeResult[] = sizes.map((size) => ({
    size,
    runs: [],
    rssAfterKb: 0,
    peakKb: 0,
    heapAfter: null,
    baseRuns: [],
    baseRssAfterKb: 0,
  }))
  let rssIdle: number
  let baseRssIdle: number
  // --trace-gc only prints a line per GC (to stdout): it lets the report show heap next to RSS.
  d = await startDaemon({ dataDir, nodeArgs: ['--trace-gc'] })
  try {
    await sleep(settleMs)
    rssIdle = d.rssKb()
    for (const [i, r] of results.entries()) {
      const url = `${d.url}/sessions/${ids[i]}/events`
      const p = await withPeak(d.rssKb, async () => {
        for (let k = 0; k < reps; k++) {
          const run = await replayOnce(url)
          if (run.events < r.size)
            throw new Error(`replay: only ${run.events} of ${r.size}+ events`)
          r.runs.push(run)
        }
      })
      r.peakKb = p.peakKb
      await sleep(settleMs)
      r.rssAfterKb = d.rssKb()
      r.heapAfter = lastHeap(d)
      const med = [...r.runs].sort((a, b) => a.eventsPerSec - b.eventsPerSec)[r.runs.length >> 1]!
      ctx.log(
        `replay ${r.size / 1000}k ×${reps}: median ${Math.round(med.eventsPerSec)} ev/s, RSS after ${Math.round(r.rssAfterKb / 1024)} MB (peak ${Math.round(r.peakKb / 1024)}), heap ${r.heapAfter?.used}/${r.heapAfter?.committed} MB`
      )
    }
  } finally {
    await d.stop({ keepData: true })
  }

  // Baseline: the raw server on the same database file, same order of replays.
  const base = await startBaselineServer({ db: join(dataDir, 'agentmux.db') })
  try {
    await sleep(settleMs)
    baseRssIdle = base.rssKb()
    for (const [i, r] of results.entries()) {
      for (let k = 0; k < reps; k++)
        r.baseRuns.push(await replayOnce(`${base.url}/sessions/${ids[i]}/events`))
      await sleep(settleMs)
      r.baseRssAfterKb = base.rssKb()
    }
  } finally {
    await base.stop()
    await d.stop()
  }
  const [r10, r100, r200] = results as [SizeResult, SizeResult, SizeResult | undefined]
  const mb = (kb: number) => kb / 1024
  ctx.extra.replay = { rssIdleKb: rssIdle, baseRssIdleKb: baseRssIdle, results }
  const out = [
    metric({
      bench: 'replay',
      metric: `events/s to a fresh client, after=0, ${Math.round(r100.runs[0]!.events / 1000)}k-event session`,
      unit: 'ev/s',
      samples: r100.runs.map((r) => r.eventsPerSec),
      baselineSamples: r100.baseRuns.map((r) => r.eventsPerSec),
      baselineLabel: 'raw node:http + SQLite',
      target: '≥ 100,000 ev/s',
      check: (v) => v >= 100_000,
    }),
    metric({
      bench: 'replay',
      metric: 'first byte: request sent → first event frame (100k session)',
      unit: 'ms',
      samples: r100.runs.map((r) => r.firstEventMs),
      baselineSamples: r100.baseRuns.map((r) => r.firstEventMs),
      baselineLabel: 'raw',
      target: '< 50 ms',
      check: (v) => v < 50,
    }),
    metric({
      bench: 'replay',
      metric: 'first byte of the first attach after a daemon restart (cold)',
      unit: 'ms',
      samples: [r10.runs[0]!.firstEventMs],
      baselineSamples: [r10.baseRuns[0]!.firstEventMs],
      baselineLabel: 'raw',
      target: '< 50 ms',
      check: (v) => v < 50,
    }),
    metric({
      bench: 'replay',
      metric: 'daemon RSS after replaying 100k − after replaying 10k (settled)',
      unit: 'MB',
      samples: [mb(r100.rssAfterKb - r10.rssAfterKb)],
      baselineSamples: [mb(r100.baseRssAfterKb - r10.baseRssAfterKb)],
      baselineLabel: 'raw',
      target: 'no growth (< 5 MB)',
      check: (v) => v < 5,
      note: `RSS idle ${Math.round(mb(rssIdle))} MB, after 10k ${Math.round(mb(r10.rssAfterKb))} MB, after 100k ${Math.round(mb(r100.rssAfterKb))} MB; V8 heap used/committed after 10k ${r10.heapAfter?.used}/${r10.heapAfter?.committed} MB, after 100k ${r100.heapAfter?.used}/${r100.heapAfter?.committed} MB`,
    }),
  ]
  if (r200) {
    out.push(
      metric({
        bench: 'replay',
        metric: 'daemon RSS after replaying 200k − after replaying 100k (proportionality check)',
        unit: 'MB',
        samples: [mb(r200.rssAfterKb - r100.rssAfterKb)],
        baselineSamples: [mb(r200.baseRssAfterKb - r100.baseRssAfterKb)],
        baselineLabel: 'raw',
        target: 'no growth (< 5 MB)',
        check: (v) => v < 5,
        note: `after 200k ${Math.round(mb(r200.rssAfterKb))} MB (peak ${Math.round(mb(r200.peakKb))}); heap ${r200.heapAfter?.used}/${r200.heapAfter?.committed} MB`,
      })
    )
  }
  return out
}
