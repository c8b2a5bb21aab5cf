// The suite's second run, on PostgreSQL (`npm test` runs it after the SQLite run). Skipped, and
// said so, only when no PostgreSQL server can be started here.
import { spawnSync } from 'node:child_process'
import { startPostgres } from '../tests/helpers/postgres.js'

function whyNot(): string | null {
  try {
    startPostgres().stop()
    return null
  } catch (err) {
    return (err as Error).message
  }
}

const reason = whyNot()
if (reason) {
  console.log(
    `\nPOSTGRESQL RUN SKIPPED: no PostgreSQL server could be started (${reason}); only SQLite was tested.\n`
  )
} else {
  const r = spawnSync('npx', ['vitest', 'run', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, AGENTMUX_TEST_DATABASE: 'postgres' },
  })
  process.exitCode = r.status ?? 1
}
