import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

/**
 * A throwaway PostgreSQL cluster from Debian's `postgresql` package: initdb into a temp dir, a
 * server on a unix socket there (no TCP port to collide with), removed at the end. As root it runs
 * as the package's `postgres` user, since PostgreSQL refuses to run as root.
 */
export interface PgCluster {
  /** A URL for a database of this cluster (the admin database by default). */
  url(database?: string): string
  /** Lock waits over a second and statements over ten, from the server's log. */
  slowLines(): string[]
  stop(): void
}

const PG_ROOT = '/usr/lib/postgresql'

/** The newest installed server's bin dir, or null when the package is not installed. */
export function postgresBinDir(): string | null {
  if (!existsSync(PG_ROOT)) return null
  const versions = readdirSync(PG_ROOT)
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] ? join(PG_ROOT, versions[0], 'bin') : null
}

export function startPostgres(): PgCluster {
  const bin = postgresBinDir()
  if (!bin) throw new Error(`no PostgreSQL server under ${PG_ROOT} (apt-get install postgresql)`)
  const dir = mkdtempSync(join(tmpdir(), 'agentmux-pg-'))
  const data = join(dir, 'data')
  const logFile = join(dir, 'server.log')
  const asRoot = userInfo().uid === 0
  if (asRoot) {
    const id = (flag: string) =>
      Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }))
    chownSync(dir, id('-u'), id('-g'))
  }
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]]
      : [join(bin, cmd), args]
    try {
      execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })
    } catch (err) {
      const e = err as { stderr?: Buffer; message: string }
      throw new Error(`${cmd} failed: ${e.stderr?.toString().trim() || e.message}`, {
        cause: err,
      })
    }
  }
  run('initdb', [
    '-D',
    data,
    '-U',
    'agentmux',
    '-A',
    'trust',
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ])
  // Tests never need the server to survive a power cut: fsync off saves most of its disk time.
  const options = `-k ${dir} -c listen_addresses= -p 5432 -c fsync=off -c full_page_writes=off -c max_connections=200 -c log_lock_waits=on -c log_min_duration_statement=10000`
  run('pg_ctl', ['-D', data, '-l', logFile, '-o', options, '-w', '-t', '60', 'start'])
  let stopped = false
  return {
    url: (database = 'postgres') =>
      `postgres://agentmux@${encodeURIComponent(dir)}/${encodeURIComponent(database)}`,
    slowLines: () => {
      try {
        return readFileSync(logFile, 'utf8')
          .split('\n')
          .filter((l) => /still waiting for|acquired \w+ on|duration: /.test(l))
      } catch {
        return []
      }
    },
    stop() {
      if (stopped) return
      stopped = true
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
