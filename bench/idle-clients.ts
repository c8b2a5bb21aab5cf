/**
 * idle attached clients: RSS per open EventSource-style connection.
 *
 * Each repetition: a fresh daemon with one session holding a finished turn, RSS read after it
 * settles; then a separate client process opens 2,000 SSE attaches (each its own socket) and waits
 * for every `caught-up`; RSS is read again after settling. Per client = ΔRSS / 2,000. The last
 * repetition goes on to 10,000 connections and checks they all work. Both processes run under
 * `ulimit -n` raised as far as the machine allows. RSS only: the daemon has no heap route and no
 * gc can be forced from outside, so the numbers include garbage not yet collected (settle wait).
 * The baseline is the raw node:http server holding the same streams.
 */
import { startBaselineServer } from './lib/baseline.js'
import { startClientProcess } from './lib/clients.js'
import { api, createSession, sleep, startDaemon, startTurn, waitIdle } from './lib/daemon.js'
import { metric, type BenchContext, type Metric } from './lib/report.js'

interface IdleRun {
  idleKb: number
  at2kKb: number
  perClientKb: number
  openMs: number
  at10kKb?: number
  perClientAt10kKb?: number
  ok10k?: number
  failed10k?: number
  errors10k?: Record<string, number>
  healthzAt10kMs?: number
}

interface Server {
  url: string
  sessionPath: string
  rssKb(): number
  stop(): Promise<void>
}

async function idleOnce(
  server: Server,
  n: number,
  big: number | null,
  settleMs: number
): Promise<IdleRun> {
  await sleep(settleMs)
  const idleKb = server.rssKb()
  const clients = await startClientProcess()
  try {
    const opened = await clients.open({
      url: `${server.url}${server.sessionPath}`,
      n,
      concurrency: 50,
    })
    if (opened.ok !== n)
      throw new Error(`idle: ${opened.ok} of ${n} opened: ${JSON.stringify(opened.errors)}`)
    await sleep(settleMs)
    const at2kKb = server.rssKb()
    const run: IdleRun = { idleKb, at2kKb, perClientKb: (at2kKb - idleKb) / n, openMs: opened.ms }
    if (big !== null) {
      const more = await clients.open({
        url: `${server.url}${server.sessionPath}`,
        n: big - n,
        concurrency: 50,
      })
      await sleep(settleMs)
      run.at10kKb = server.rssKb()
      run.ok10k = n + more.ok
      run.failed10k = more.failed
      run.errors10k = more.errors
      run.perClientAt10kKb = (run.at10kKb - idleKb) / run.ok10k
      const t = performance.now()
      const h = await api(server.url, 'GET', '/healthz')
      run.healthzAt10kMs = h.status === 200 ? performance.now() - t : NaN
    }
    return run
  } finally {
    await clients.close()
  }
}

export async function runIdleClients(ctx: BenchContext): Promise<Metric[]> {
  const n = 2000
  const big = 10_000
  const reps = 3
  const settleMs = ctx.quick ? 2000 : 4000
  const runs: IdleRun[] = []
  for (let r = 0; r < reps; r++) {
    const d = await startDaemon()
    try {
      const sid = await createSession(d.url, 'idle')
      await startTurn(d.url, sid, 'hello')
      await waitIdle(d.url, sid)
      const run = await idleOnce(
        {
          url: d.url,
          sessionPath: `/sessions/${sid}/events`,
          rssKb: d.rssKb,
          stop: () => d.stop(),
        },
        n,
        r === reps - 1 ? big : null,
        settleMs
      )
      ctx.log(
        `idle rep ${r + 1}/${reps}: idle ${Math.round(run.idleKb / 1024)} MB, ${n} clients ${Math.round(run.at2kKb / 1024)} MB → ${run.perClientKb.toFixed(1)} KB/client` +
          (run.at10kKb
            ? `; ${run.ok10k} clients ${Math.round(run.at10kKb / 1024)} MB → ${run.perClientAt10kKb!.toFixed(1)} KB/client`
            : '')
      )
      runs.push(run)
    } finally {
      await d.stop()
    }
  }
  const baseRuns: IdleRun[] = []
  for (let r = 0; r < reps; r++) {
    const b = await startBaselineServer()
    try {
      const run = await idleOnce(
        {
          url: b.url,
          sessionPath: `/sessions/${b.sessionId}/events`,
          rssKb: b.rssKb,
          stop: () => b.stop(),
        },
        n,
        r === reps - 1 ? big : null,
        settleMs
      )
      ctx.log(
        `idle baseline rep ${r + 1}/${reps}: ${run.perClientKb.toFixed(1)} KB/client` +
          (run.at10kKb ? `; at 10k ${run.perClientAt10kKb!.toFixed(1)} KB/client` : '')
      )
      baseRuns.push(run)
    } finally {
      await b.stop()
    }
  }
  ctx.extra.idleClients = { n, big, runs, baseRuns }
  const last = runs[runs.length - 1]!
  const baseLast = baseRuns[baseRuns.length - 1]!
  return [
    metric({
      bench: 'idle-clients',
      metric: `RSS per idle attached client above the idle daemon (${n} connections, RSS only)`,
      unit: 'KB',
      samples: runs.map((r) => r.perClientKb),
      baselineSamples: baseRuns.map((r) => r.perClientKb),
      baselineLabel: 'raw node:http',
      target: '≤ 20 KB',
      check: (v) => v <= 20,
      note: `idle daemon RSS ${Math.round(runs.map((r) => r.idleKb).sort((a, b) => a - b)[1]! / 1024)} MB`,
    }),
    metric({
      bench: 'idle-clients',
      metric: `${big} connections open and caught up`,
      unit: 'conns',
      samples: [last.ok10k ?? 0],
      baselineSamples: [baseLast.ok10k ?? 0],
      baselineLabel: 'raw',
      target: `all ${big} work`,
      check: (v) => v === big,
      note: last.failed10k
        ? `errors: ${JSON.stringify(last.errors10k)}`
        : `healthz at 10k: ${last.healthzAt10kMs?.toFixed(1)} ms`,
    }),
    metric({
      bench: 'idle-clients',
      metric: `RSS per client at ${big} connections`,
      unit: 'KB',
      samples: [last.perClientAt10kKb ?? NaN],
      baselineSamples: [baseLast.perClientAt10kKb ?? NaN],
      baselineLabel: 'raw',
      note: `daemon RSS at ${big}: ${Math.round((last.at10kKb ?? 0) / 1024)} MB`,
    }),
  ]
}
