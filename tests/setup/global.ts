/**
 * Runs once around the whole suite. At the end it fails the run when a process the suite spawned is
 * still alive: every test must end what it started (tests/helpers/leaks.ts says how they are found).
 * It also gives the run a temp dir of its own (TMPDIR), removed at the end, so no temp file or dir a
 * test forgets (data dirs, browser profiles, claude's sockets) outlives the run.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { findSurvivors, LEAK_MARK, selfAndAncestors, type Survivor } from '../helpers/leaks.js'
import { startPostgres, type PgCluster } from '../helpers/postgres.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
/** Processes that exit on their own a moment after their test (a SIGTERM being handled) get this long. */
const SETTLE_MS = 10_000

/** Polls until nothing survives or the settle time is over; returns the last answer. */
async function settled(find: () => Survivor[]): Promise<Survivor[]> {
  const deadline = Date.now() + SETTLE_MS
  for (;;) {
    const survivors = find()
    if (survivors.length === 0 || Date.now() > deadline) return survivors
    await new Promise((r) => setTimeout(r, 200))
  }
}

function killAll(survivors: Survivor[]): void {
  for (const s of survivors) {
    try {
      process.kill(s.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

export default function setup(): () => Promise<void> {
  const runId = randomBytes(8).toString('hex')
  // The PostgreSQL run: one cluster for the whole run (tests/helpers/test-database.ts). Its dir is
  // made before TMPDIR moves into the run's private dir, which the postgres user cannot enter.
  const cluster: PgCluster | null =
    process.env.AGENTMUX_TEST_DATABASE === 'postgres' ? startPostgres() : null
  if (cluster) process.env.AGENTMUX_TEST_PG_URL = cluster.url()
  const outerTmp = process.env.TMPDIR
  const runTmp = mkdtempSync(join(tmpdir(), 'agentmux-suite-'))
  // The workers are forked after this, so they and everything they spawn inherit both.
  process.env[LEAK_MARK] = runId
  process.env.TMPDIR = runTmp
  // Whatever already ran before the suite (a developer's own daemon) is not the suite's.
  const before = new Set(findSurvivors(runId, root, new Set()).map((s) => s.pid))

  return async function teardown() {
    // What to look at first when a PostgreSQL test timed out; printed, never a failure by itself.
    const slow = cluster?.slowLines() ?? []
    if (slow.length > 0)
      console.error(
        `PostgreSQL logged lock waits or slow statements:\n${slow.slice(-40).join('\n')}`
      )
    cluster?.stop()
    const exclude = new Set([...before, ...selfAndAncestors()])
    const survivors = await settled(() => findSurvivors(runId, root, exclude))
    killAll(survivors)
    rmSync(runTmp, { recursive: true, force: true })
    if (outerTmp === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = outerTmp
    if (survivors.length === 0) return
    const list = survivors.map((s) => `  pid ${s.pid}: ${s.cmdline}`).join('\n')
    // vitest reports an error thrown here but still exits 0: the exit code is set by hand.
    process.exitCode = 1
    throw new Error(`the suite left ${survivors.length} process(es) running (now killed):\n${list}`)
  }
}
