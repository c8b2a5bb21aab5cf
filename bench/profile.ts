/**
 * Profiles the daemon under one benchmark's load: `tsx bench/profile.ts <scenario> [--interval-us N]`.
 * The daemon runs with --cpu-prof; the summary (by area, top self, top inclusive) is printed and the
 * .cpuprofile is kept under bench/results/profiles/ (open it in Chrome DevTools → Performance).
 *
 *   ingest [N]        one [burst:N] turn with 1 attached client (default 200000)
 *   turns [N]         N short turns one after another (default 50), for the POST → spawn path
 *   fanout [secs]     100 clients, 100 ev/s (default 10 s)
 *   idle [N]          N idle attaches (default 2000): the cost of attaching
 *   startup           start, listen, stop: module loading and start-up work (the `claude --version`
 *                     wait shows as idle time)
 *   heap [N]          no CPU profile: heap snapshots (they force a full GC) before and after N idle
 *                     attaches (default 2000); prints the live heap per client and what it is made of
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { printSummary, summarizeProfile } from './lib/cpuprofile.js'
import { diffHeaps, readHeapSnapshot } from './lib/heapsnapshot.js'
import { startClientProcess } from './lib/clients.js'
import { createSession, ROOT, sleep, startDaemon, startTurn, waitIdle } from './lib/daemon.js'
import { ingestOnce } from './ingest.js'

const [scenario = 'ingest', nArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'))
const iv = process.argv.indexOf('--interval-us')
const intervalUs = iv >= 0 ? Number(process.argv[iv + 1]) : 200
const dir = join(
  ROOT,
  'bench/results/profiles',
  `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}`
)
mkdirSync(dir, { recursive: true })

if (scenario === 'heap') {
  await heapScenario(Number(nArg ?? 2000))
  process.exit(0)
}

/** Heap snapshots of the daemon (SIGUSR2 → a .heapsnapshot in its cwd, the data dir) around N attaches. */
async function heapScenario(n: number): Promise<void> {
  const d = await startDaemon({ nodeArgs: ['--heapsnapshot-signal=SIGUSR2'] })
  const snap = async (): Promise<string> => {
    const before = new Set(readdirSync(d.dataDir))
    process.kill(d.pid, 'SIGUSR2')
    for (;;) {
      await sleep(500)
      const f = readdirSync(d.dataDir).find((x) => x.endsWith('.heapsnapshot') && !before.has(x))
      if (!f) continue
      let last = -1
      for (;;) {
        await sleep(1000)
        const path = join(d.dataDir, f)
        const size = statSync(path).size
        // Complete when it stopped growing and ends the JSON document.
        if (size > 0 && size === last && readFileSync(path, 'utf8').trimEnd().endsWith('}'))
          return path
        last = size
      }
    }
  }
  try {
    const sid = await createSession(d.url, 'heap')
    await startTurn(d.url, sid, 'hello')
    await waitIdle(d.url, sid)
    await sleep(2000)
    const a = readHeapSnapshot(await snap())
    const c = await startClientProcess()
    const o = await c.open({ url: `${d.url}/sessions/${sid}/events`, n })
    await sleep(3000)
    const b = readHeapSnapshot(await snap())
    await c.close()
    console.log(
      `${o.ok} attaches; live JS heap (after full GC) ${(a.totalBytes / 2 ** 20).toFixed(1)} → ${(b.totalBytes / 2 ** 20).toFixed(1)} MB = ${((b.totalBytes - a.totalBytes) / n / 1024).toFixed(2)} KB per client`
    )
    console.log('per client, by constructor / kind:')
    for (const r of diffHeaps(a, b, 30))
      console.log(
        `  ${(r.bytes / n).toFixed(0).padStart(6)} B  ${(r.count / n).toFixed(2).padStart(6)} objects  ${r.name}`
      )
  } finally {
    await d.stop()
  }
}

const d = await startDaemon({
  nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-interval=${intervalUs}`],
})
try {
  if (scenario === 'ingest') {
    const n = Number(nArg ?? 200_000)
    const r = await ingestOnce(d.url, n, d.pid)
    console.log(
      `ingest: ${Math.round(r.eventsPerSec)} ev/s, daemon CPU ${Math.round(r.daemonCpuPct)}%`
    )
  } else if (scenario === 'turns') {
    const sid = await createSession(d.url, 'profile')
    for (let i = 0; i < Number(nArg ?? 50); i++) {
      await startTurn(d.url, sid, `turn ${i}`)
      await waitIdle(d.url, sid)
    }
  } else if (scenario === 'fanout') {
    const secs = Number(nArg ?? 10)
    const sid = await createSession(d.url, 'profile')
    const c = await startClientProcess()
    await c.open({ url: `${d.url}/sessions/${sid}/events`, n: 100, latency: true })
    await startTurn(d.url, sid, `[burst:${secs * 100}][burst-rate:100]`)
    const r = await c.result(secs * 1000 + 60_000)
    console.log(
      `fan-out: p50 ${r.latency.p50.toFixed(2)} p99 ${r.latency.p99.toFixed(2)} max ${r.latency.max.toFixed(1)} ms`
    )
    await c.close()
  } else if (scenario === 'idle') {
    const sid = await createSession(d.url, 'profile')
    const c = await startClientProcess()
    const o = await c.open({ url: `${d.url}/sessions/${sid}/events`, n: Number(nArg ?? 2000) })
    console.log(`idle: ${o.ok} opened in ${o.ms.toFixed(0)} ms`)
    await sleep(1000)
    await c.close()
  } else if (scenario === 'startup') {
    // nothing: the profile covers start-up (and shutdown); let it settle before SIGTERM
    await sleep(500)
  } else {
    throw new Error(`unknown scenario ${scenario}`)
  }
} finally {
  await d.stop()
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
if (!file) throw new Error(`no profile written in ${dir}`)
printSummary(summarizeProfile(join(dir, file), ROOT))
console.log(`\n${join(dir, file)}`)
