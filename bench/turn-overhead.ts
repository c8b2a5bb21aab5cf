/**
 * daemon overhead per turn: POST /sessions/:id/turns sent → the claude process started.
 *
 * AGENTMUX_CLAUDE_BIN is bench/claude-wrapper.sh: a bash script whose first action appends
 * $EPOCHREALTIME (µs wall clock, a builtin: no fork) to $BENCH_SPAWN_LOG, then exec's the fake
 * claude. The POST send time is stamped right before the request is handed to its (kept-alive)
 * socket. Turns run one after another on one session, each waited to its end, after a warm-up.
 * The baseline (bench/baseline-spawn.ts) spawns the same wrapper with the daemon's spawn options
 * from a minimal node process: spawn() call → the wrapper's stamp, i.e. process creation + bash
 * start-up that no daemon can avoid.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runJson } from './lib/build.js'
import { createSession, ROOT, sleep, startDaemon, startTurn, waitIdle } from './lib/daemon.js'
import { metric, type BenchContext, type Metric } from './lib/report.js'
import { distribution, wallNow } from './lib/stats.js'

export const WRAPPER = join(ROOT, 'bench/claude-wrapper.sh')

export async function runTurnOverhead(ctx: BenchContext): Promise<Metric[]> {
  const turns = ctx.quick ? 30 : 50
  const warmup = 3
  chmodSync(WRAPPER, 0o755)
  const scratch = mkdtempSync(join(tmpdir(), 'agentmux-bench-spawn-'))
  const log = join(scratch, 'spawn.log')
  writeFileSync(log, '')
  const d = await startDaemon({ claudeBin: WRAPPER, env: { BENCH_SPAWN_LOG: log } })
  const delays: number[] = []
  try {
    const sid = await createSession(d.url, 'overhead')
    for (let i = 0; i < warmup + turns; i++) {
      writeFileSync(log, '')
      let sent = 0
      await startTurn(d.url, sid, `turn ${i}`, () => (sent = wallNow()))
      await waitIdle(d.url, sid)
      const stamp = Number(readFileSync(log, 'utf8').trim().split('\n')[0]) * 1000
      if (i >= warmup) delays.push(stamp - sent)
      await sleep(20)
    }
  } finally {
    await d.stop()
  }
  const base = await runJson<{ spawnToStartMs: number[] }>('baseline-spawn', [
    '--wrapper',
    WRAPPER,
    '--log',
    log,
    '--reps',
    String(turns),
    '--dir',
    scratch,
  ])
  rmSync(scratch, { recursive: true, force: true })
  const dist = distribution(delays)
  ctx.log(
    `turn overhead: p50 ${dist.p50.toFixed(2)} ms, p90 ${dist.p90.toFixed(2)} ms, max ${dist.max.toFixed(2)} ms over ${turns} turns`
  )
  ctx.extra.turnOverhead = { turns, delays, baseline: base.spawnToStartMs }
  return [
    metric({
      bench: 'turn-overhead',
      metric: `POST /turns sent → claude process started (p50 of ${turns} turns)`,
      unit: 'ms',
      samples: delays,
      baselineSamples: base.spawnToStartMs,
      baselineLabel: 'bare spawn() → start',
      target: 'p50 < 5 ms',
      check: (v) => v < 5,
      note: `p90 ${dist.p90.toFixed(2)} ms, max ${dist.max.toFixed(2)} ms`,
    }),
  ]
}
