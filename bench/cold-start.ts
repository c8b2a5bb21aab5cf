/**
 * cold start: `node dist/src/main.js serve` spawned → GET /healthz answers 200, and idle RSS.
 *
 * Each repetition uses a fresh data dir (migrations run, token dir made) and a free fixed port;
 * /healthz is polled on new connections every 2 ms. The daemon runs `claude --version` at start,
 * here the fake claude (a node script). Idle RSS is read after a settle wait. The baseline is the
 * raw server (bench/baseline-sse-server, plain node, opens SQLite and creates the schema) started
 * the same way. A second row uses the real claude binary of node_modules for that `--version`
 * (a native executable: ~15 ms instead of the fake's node start-up). Last, a restart on a data dir
 * that already holds a large log (400k events), as after any real upgrade or reboot.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { join } from 'node:path'
import { ensureBuilt, scriptPath } from './lib/build.js'
import {
  BENCH_WORKSPACES,
  createSession,
  FAKE_CLAUDE,
  freePort,
  MAIN,
  newDataDir,
  procStatusKb,
  ROOT,
  sleep,
  startDaemon,
  startTurn,
  TOKEN,
  waitIdle,
} from './lib/daemon.js'
import { metric, type BenchContext, type Metric } from './lib/report.js'
import { wallNow } from './lib/stats.js'

function healthz(port: number): Promise<number> {
  return new Promise((res) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (r) => {
      r.resume()
      r.on('end', () => res(r.statusCode ?? 0))
    })
    req.on('error', () => res(0))
    req.end()
  })
}

interface ColdRun {
  healthyMs: number
  idleRssKb: number
}

async function coldOnce(
  argv: string[],
  env: Record<string, string>,
  port: number,
  settleMs: number
): Promise<ColdRun> {
  const t0 = wallNow()
  const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'ignore', 'pipe'] })
  let err = ''
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c))
  const exited = new Promise<void>((r) => child.once('exit', () => r()))
  try {
    let healthyMs = NaN
    while (wallNow() - t0 < 20_000) {
      if (child.exitCode !== null) throw new Error(`exited before healthy: ${err}`)
      if ((await healthz(port)) === 200) {
        healthyMs = wallNow() - t0
        break
      }
      await sleep(2)
    }
    await sleep(settleMs)
    return { healthyMs, idleRssKb: procStatusKb(child.pid!, 'VmRSS') }
  } finally {
    child.kill('SIGTERM')
    const t = setTimeout(() => child.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(t)
  }
}

/** The claude this package installs (a native binary whose --version is cheap), when present. */
const REAL_CLAUDE = join(ROOT, 'node_modules/.bin/claude')

export async function runColdStart(ctx: BenchContext): Promise<Metric[]> {
  const reps = ctx.quick ? 5 : 7
  const settleMs = ctx.quick ? 1000 : 2000
  await ensureBuilt()
  const runs: ColdRun[] = []
  const realRuns: ColdRun[] = []
  const baseRuns: ColdRun[] = []
  const haveReal = existsSync(REAL_CLAUDE)
  for (let r = 0; r < reps; r++) {
    if (haveReal) {
      const dataDir = newDataDir('cold')
      mkdirSync(join(dataDir, 'home'), { recursive: true })
      const port = await freePort()
      try {
        realRuns.push(
          await coldOnce(
            [MAIN, 'serve'],
            {
              PATH: process.env.PATH ?? '',
              HOME: join(dataDir, 'home'),
              AGENTMUX_DATA_DIR: dataDir,
              AGENTMUX_WORKSPACES_DIR: BENCH_WORKSPACES,
              AGENTMUX_PORT: String(port),
              AGENTMUX_CLAUDE_BIN: REAL_CLAUDE,
              AGENTMUX_TOKEN: TOKEN,
              AGENTMUX_ALLOWED_ROOTS: dataDir,
              AGENTMUX_LOG_LEVEL: 'warn',
            },
            port,
            settleMs
          )
        )
      } finally {
        rmSync(dataDir, { recursive: true, force: true })
      }
    }
    const dataDir = newDataDir('cold')
    const home = join(dataDir, 'home')
    mkdirSync(home, { recursive: true })
    const port = await freePort()
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      AGENTMUX_DATA_DIR: dataDir,
      AGENTMUX_WORKSPACES_DIR: BENCH_WORKSPACES,
      AGENTMUX_PORT: String(port),
      AGENTMUX_CLAUDE_BIN: FAKE_CLAUDE,
      AGENTMUX_TOKEN: TOKEN,
      AGENTMUX_ALLOWED_ROOTS: dataDir,
      AGENTMUX_LOG_LEVEL: 'warn',
    }
    try {
      runs.push(await coldOnce([MAIN, 'serve'], env, port, settleMs))
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
    const bport = await freePort()
    baseRuns.push(
      await coldOnce(
        [scriptPath('baseline-sse-server'), '--port', String(bport)],
        { PATH: env.PATH },
        bport,
        settleMs
      )
    )
    ctx.log(
      `cold start rep ${r + 1}/${reps}: daemon ${runs[r]!.healthyMs.toFixed(1)} ms / ${Math.round(runs[r]!.idleRssKb / 1024)} MB` +
        (haveReal ? `; with the real claude ${realRuns[r]!.healthyMs.toFixed(1)} ms` : '') +
        `; raw ${baseRuns[r]!.healthyMs.toFixed(1)} ms`
    )
  }
  const extraRows: Metric[] = haveReal
    ? [
        metric({
          bench: 'cold-start',
          metric:
            'same, with the real claude binary (node_modules/.bin/claude) for the start-up `--version`',
          unit: 'ms',
          samples: realRuns.map((r) => r.healthyMs),
          baselineSamples: baseRuns.map((r) => r.healthyMs),
          baselineLabel: 'raw',
          target: '< 300 ms',
          check: (v) => v < 300,
        }),
      ]
    : []
  // A restart on a data dir that already holds a large log (what a real restart looks like).
  const logEvents = ctx.quick ? 100_000 : 400_000
  const restartRuns: ColdRun[] = []
  {
    const d = await startDaemon()
    const dataDir = d.dataDir
    try {
      for (let made = 0; made < logEvents; made += 200_000) {
        const sid = await createSession(d.url, 'log')
        await startTurn(d.url, sid, `[burst:${Math.min(200_000, logEvents - made)}]`)
        await waitIdle(d.url, sid)
      }
    } finally {
      await d.stop({ keepData: true })
    }
    try {
      for (let r = 0; r < 3; r++) {
        const port = await freePort()
        restartRuns.push(
          await coldOnce(
            [MAIN, 'serve'],
            {
              PATH: process.env.PATH ?? '',
              HOME: join(dataDir, 'home'),
              AGENTMUX_DATA_DIR: dataDir,
              AGENTMUX_WORKSPACES_DIR: BENCH_WORKSPACES,
              AGENTMUX_PORT: String(port),
              AGENTMUX_CLAUDE_BIN: FAKE_CLAUDE,
              AGENTMUX_TOKEN: TOKEN,
              AGENTMUX_ALLOWED_ROOTS: dataDir,
              AGENTMUX_LOG_LEVEL: 'warn',
            },
            port,
            settleMs
          )
        )
        ctx.log(
          `restart with a ${logEvents / 1000}k-event log, rep ${r + 1}/3: ${restartRuns[r]!.healthyMs.toFixed(1)} ms, idle RSS ${Math.round(restartRuns[r]!.idleRssKb / 1024)} MB`
        )
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  extraRows.push(
    metric({
      bench: 'cold-start',
      metric: `restart on a data dir holding ${logEvents / 1000}k events → /healthz 200`,
      unit: 'ms',
      samples: restartRuns.map((r) => r.healthyMs),
      target: '< 300 ms',
      check: (v) => v < 300,
    }),
    metric({
      bench: 'cold-start',
      metric: `idle RSS after that restart`,
      unit: 'MB',
      samples: restartRuns.map((r) => r.idleRssKb / 1024),
      target: '< 80 MB',
      check: (v) => v < 80,
    })
  )
  ctx.extra.coldStart = { runs, realRuns, baseRuns, restartRuns, logEvents }
  return [
    metric({
      bench: 'cold-start',
      metric: 'process spawned → /healthz 200 (fresh data dir)',
      unit: 'ms',
      samples: runs.map((r) => r.healthyMs),
      baselineSamples: baseRuns.map((r) => r.healthyMs),
      baselineLabel: 'raw node:http + SQLite',
      target: '< 300 ms',
      check: (v) => v < 300,
    }),
    metric({
      bench: 'cold-start',
      metric: 'idle RSS after start',
      unit: 'MB',
      samples: runs.map((r) => r.idleRssKb / 1024),
      baselineSamples: baseRuns.map((r) => r.idleRssKb / 1024),
      baselineLabel: 'raw',
      target: '< 80 MB',
      check: (v) => v < 80,
    }),
    ...extraRows,
  ]
}
