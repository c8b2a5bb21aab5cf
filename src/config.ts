import { isAbsolute, join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { z } from 'zod'

const ms = (name: string, def: number) =>
  z.coerce.number({ error: `${name} must be a number of milliseconds` }).int().min(0).default(def)

const ConfigSchema = z.object({
  host: z.string().min(1),
  port: z.coerce.number({ error: 'port must be a number' }).int().min(0).max(65535),
  dataDir: z.string().min(1),
  token: z.string().min(16, 'the token must be at least 16 characters').nullable(),
  claudeBin: z.string().min(1).optional(),
  /** Extra Host names the daemon answers to (a tunnel's or proxy's public name), beyond its own. */
  allowedHosts: z.array(z.string().regex(/^[a-z0-9.:\[\]-]+$/, 'allowed hosts are host names')),
  allowedRoots: z.array(z.string().refine(isAbsolute, 'allowed roots must be absolute paths')).min(1),
  turnTimeoutMs: ms('AGENTMUX_TURN_TIMEOUT_MS', 2 * 60 * 60 * 1000),
  stallTimeoutMs: ms('AGENTMUX_STALL_TIMEOUT_MS', 30 * 60 * 1000),
  /** Between the steps of a cancel: stdin interrupt, SIGINT, SIGTERM, SIGKILL. */
  cancelGraceMs: ms('AGENTMUX_CANCEL_GRACE_MS', 2000),
  cancelOnExit: z.boolean(),
  /** Cap on the database size in MB (0: none). Past it, writes fail as on a full disk. */
  dbMaxMb: z.coerce.number({ error: 'AGENTMUX_DB_MAX_MB must be a number' }).min(0).default(0),
  /** Sessions idle longer than this are deleted, with their events, turns and spool files (0: keep). */
  retentionDays: z.coerce.number({ error: 'AGENTMUX_RETENTION_DAYS must be a number' }).min(0).default(30),
  /** At most this many sessions are kept; the least recently active go first (0: no cap). */
  retentionSessions: z.coerce.number({ error: 'AGENTMUX_RETENTION_SESSIONS must be a number' }).int().min(0).default(500),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']),
  /** GET /metrics alone, without the token, on this port (null: only the authenticated /metrics). */
  metricsPort: z.coerce.number({ error: 'AGENTMUX_METRICS_PORT must be a port number' }).int().min(0).max(65535).nullable(),
})

export type Config = Readonly<z.output<typeof ConfigSchema>>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const FLAGS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'data-dir': { type: 'string' },
  token: { type: 'string' },
  'claude-bin': { type: 'string' },
  'allowed-roots': { type: 'string' },
  'allowed-hosts': { type: 'string' },
  'turn-timeout-ms': { type: 'string' },
  'stall-timeout-ms': { type: 'string' },
  'cancel-grace-ms': { type: 'string' },
  'cancel-on-exit': { type: 'boolean' },
  'db-max-mb': { type: 'string' },
  'retention-days': { type: 'string' },
  'retention-sessions': { type: 'string' },
  'log-level': { type: 'string' },
  'metrics-port': { type: 'string' },
} as const

/** Flags win over the environment; both are parsed once, here. */
export function parseConfig(env: Record<string, string | undefined>, argv: string[], home: string): Config {
  let flags: Record<string, string | boolean | undefined>
  try {
    flags = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new ConfigError((err as Error).message)
  }
  const pick = (flag: keyof typeof FLAGS, key: string) => (flags[flag] as string | undefined) ?? env[key]
  const dataDir = resolve(
    pick('data-dir', 'AGENTMUX_DATA_DIR') ??
      (env.XDG_DATA_HOME ? join(env.XDG_DATA_HOME, 'agentmux') : join(home, '.local', 'share', 'agentmux'))
  )
  const roots = pick('allowed-roots', 'AGENTMUX_ALLOWED_ROOTS')
  const hosts = pick('allowed-hosts', 'AGENTMUX_ALLOWED_HOSTS')
  const raw = {
    host: pick('host', 'AGENTMUX_HOST') ?? '127.0.0.1',
    port: pick('port', 'AGENTMUX_PORT') ?? '7878',
    dataDir,
    token: pick('token', 'AGENTMUX_TOKEN') || null,
    claudeBin: pick('claude-bin', 'AGENTMUX_CLAUDE_BIN') || undefined,
    allowedHosts: hosts ? hosts.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '') : [],
    allowedRoots: roots ? roots.split(':').filter((r) => r !== '') : [home, dataDir],
    turnTimeoutMs: pick('turn-timeout-ms', 'AGENTMUX_TURN_TIMEOUT_MS'),
    stallTimeoutMs: pick('stall-timeout-ms', 'AGENTMUX_STALL_TIMEOUT_MS'),
    cancelGraceMs: pick('cancel-grace-ms', 'AGENTMUX_CANCEL_GRACE_MS'),
    cancelOnExit: flags['cancel-on-exit'] === true || env.AGENTMUX_CANCEL_ON_EXIT === '1',
    dbMaxMb: pick('db-max-mb', 'AGENTMUX_DB_MAX_MB'),
    retentionDays: pick('retention-days', 'AGENTMUX_RETENTION_DAYS'),
    retentionSessions: pick('retention-sessions', 'AGENTMUX_RETENTION_SESSIONS'),
    logLevel: pick('log-level', 'AGENTMUX_LOG_LEVEL') ?? 'info',
    metricsPort: pick('metrics-port', 'AGENTMUX_METRICS_PORT') || null,
  }
  const r = ConfigSchema.safeParse(raw)
  if (!r.success) throw new ConfigError(z.prettifyError(r.error))
  return Object.freeze(r.data)
}
