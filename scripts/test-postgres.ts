// The suite's second run, on PostgreSQL (`npm test` runs it after the SQLite run). Skipped, and
// said so, only when no PostgreSQL server is installed to start.
import { spawnSync } from 'node:child_process'
import { postgresBinDir } from '../tests/helpers/postgres.js'

if (!postgresBinDir()) {
  console.log(
    '\nPOSTGRESQL RUN SKIPPED: no PostgreSQL server is installed (apt-get install postgresql); only SQLite was tested.\n'
  )
} else {
  const r = spawnSync('npx', ['vitest', 'run', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, AGENTMUX_TEST_DATABASE: 'postgres' },
  })
  process.exitCode = r.status ?? 1
}
