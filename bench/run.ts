/**
 * `npm run bench [-- <filter…>] [--quick]`: runs the benchmarks against the real daemon
 * (dist/src/main.js, built by `npm run build` first), prints one table and writes
 * bench/results/<timestamp>.json. A filter is a substring of a benchmark name
 * (ingest, replay, fanout, idle-clients, turn-overhead, cold-start, catchup). See bench/README.md.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { runApprovals } from './approvals.js'
import { runCatchup } from './catchup.js'
import { runColdStart } from './cold-start.js'
import { runFanout } from './fanout.js'
import { runIdleClients } from './idle-clients.js'
import { runIngest } from './ingest.js'
import { ensureBuilt } from './lib/build.js'
import { backgroundBusyPct } from './lib/machine.js'
import { MAIN, ROOT } from './lib/daemon.js'
import { table, type BenchContext, type Metric } from './lib/report.js'
import { runPostgres } from './postgres.js'
import { runReplay } from './replay.js'
import { runTurnOverhead } from './turn-overhead.js'

const BENCHES: { name: string; run: (ctx: BenchContext) => Promise<Metric[]> }[] = [
  { name: 'cold-start', run: runColdStart },
  { name: 'turn-overhead', run: runTurnOverhead },
  { name: 'ingest', run: runIngest },
  { name: 'replay', run: runReplay },
  { name: 'fanout', run: runFanout },
  { name: 'idle-clients', run: runIdleClients },
  { name: 'approvals', run: runApprovals },
  { name: 'catchup', run: runCatchup },
  { name: 'postgres', run: runPostgres },
]

function gitRev(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', 'src'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim()
    return dirty ? `${rev}+dirty-src` : rev
  } catch {
    return 'unknown'
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const quick = args.includes('--quick')
  const filters = args.filter((a) => !a.startsWith('--'))
  const unknown = filters.filter((f) => !BENCHES.some((b) => b.name.includes(f)))
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown benchmark filter(s): ${unknown.join(', ')}; known: ${BENCHES.map((b) => b.name).join(', ')}\n`
    )
    process.exit(2)
  }
  const selected =
    filters.length === 0 ? BENCHES : BENCHES.filter((b) => filters.some((f) => b.name.includes(f)))
  if (!existsSync(MAIN))
    throw new Error(`${MAIN} is missing: run \`npm run build\` (npm run bench does)`)
  await ensureBuilt()

  const started = new Date()
  const t0 = performance.now()
  const metrics: Metric[] = []
  const extra: Record<string, unknown> = {}
  const timings: Record<string, number> = {}
  /** Machine-wide CPU busy % in the second before each benchmark (nothing of ours running). */
  const background: Record<string, number> = {}
  const errors: Record<string, string> = {}
  const log = (msg: string) => process.stderr.write(`  ${msg}\n`)
  for (const b of selected) {
    background[b.name] = await backgroundBusyPct(1000)
    process.stderr.write(
      `▶ ${b.name}${quick ? ' (quick)' : ''} — background CPU ${background[b.name]!.toFixed(0)}% of the machine\n`
    )
    const tb = performance.now()
    try {
      metrics.push(...(await b.run({ quick, log, extra })))
    } catch (e) {
      errors[b.name] = (e as Error).stack ?? String(e)
      process.stderr.write(`  ✗ ${b.name} failed: ${(e as Error).message}\n`)
    }
    timings[b.name] = (performance.now() - tb) / 1000
    process.stderr.write(`  (${timings[b.name]!.toFixed(1)} s)\n`)
  }
  const totalSec = (performance.now() - t0) / 1000

  const sqliteVersion = (() => {
    const db = new Database(':memory:')
    const v = db.prepare('select sqlite_version()').pluck().get() as string
    db.close()
    return v
  })()
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    sqlite: sqliteVersion,
    loadavgAtEnd: loadavg(),
  }
  process.stdout.write(
    `\nagentmux bench ${quick ? '(quick) ' : ''}— ${started.toISOString()}, git ${gitRev()}, ${machine.cpus}× ${machine.cpuModel}, node ${machine.node}, SQLite ${machine.sqlite}\n`
  )
  process.stdout.write(
    `value = median over repetitions; spread = min–max of the repetitions (p10–p90 when n ≥ 5); ratio = value / baseline; baseline measured in this run\n\n`
  )
  process.stdout.write(`${table(metrics)}\n`)
  for (const m of metrics)
    if (m.note) process.stdout.write(`  · ${m.bench} / ${m.metric}: ${m.note}\n`)
  const busy = Object.entries(background).filter(([, v]) => v > 15)
  process.stdout.write(
    `\nbackground CPU (other processes, 1 s before each bench, % of all cores): ${Object.entries(
      background
    )
      .map(([k, v]) => `${k} ${v.toFixed(0)}%`)
      .join(', ')}\n`
  )
  if (busy.length > 0) {
    process.stdout.write(
      `WARNING: the machine was busy with other work before ${busy.map(([k]) => k).join(', ')}: those numbers are contaminated; re-run them on a quiet machine\n`
    )
  }
  const missed = metrics.filter((m) => m.met === false)
  process.stdout.write(
    `\n${metrics.filter((m) => m.met === true).length} targets met, ${missed.length} missed${Object.keys(errors).length ? `, ${Object.keys(errors).length} benchmark(s) failed: ${Object.keys(errors).join(', ')}` : ''}; total ${totalSec.toFixed(0)} s\n`
  )

  const dir = join(ROOT, 'bench/results')
  mkdirSync(dir, { recursive: true })
  const file = join(
    dir,
    `${started.toISOString().replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`
  )
  writeFileSync(
    file,
    `${JSON.stringify({ startedAt: started.toISOString(), git: gitRev(), quick, filters, machine, totalSec, timings, backgroundCpuPct: background, metrics, errors, details: extra }, null, 2)}\n`
  )
  process.stdout.write(`JSON: ${file}\n`)
  if (Object.keys(errors).length > 0) process.exitCode = 1
}

main().catch((e: Error) => {
  process.stderr.write(`bench: ${e.stack ?? e.message}\n`)
  process.exit(1)
})
