import { hostname } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { z } from 'zod'

/** What a default may depend on: the environment, the home dir and the settings before it. */
export interface DefaultsContext {
  env: Record<string, string | undefined>
  home: string
  dataDir: string
}

/**
 * One row per setting. The key names everything else: `turnTimeoutMs` is the flag
 * `--turn-timeout-ms` and the variable `AGENTMUX_TURN_TIMEOUT_MS`. The usage text, the README's
 * table and the parser are all generated from these rows, so a new setting is one new row.
 */
export interface Setting<S extends z.ZodType = z.ZodType> {
  schema: S
  /** The value's name in the usage text (`--port PORT`); absent for an on/off switch. */
  arg?: string
  /** The raw default, before the schema parses it. */
  default?: string | ((ctx: DefaultsContext) => string | undefined)
  /** The default as the docs show it. */
  shown: string
  doc: string
  /** A list value: the separator between its items. */
  list?: ':' | ','
  /** Secrets are never flags: a command line is visible to every local user in `ps`. */
  envOnly?: true
  /** The flag and variable stem when a contract fixed another name than the key's. */
  name?: string
}

const setting = <S extends z.ZodType>(s: Setting<S>) => s
const ms = (key: string) =>
  z.coerce
    .number({ error: `${key} must be a number of milliseconds` })
    .int()
    .min(0)
const count = (key: string) =>
  z.coerce
    .number({ error: `${key} must be a number` })
    .int()
    .min(0)
const absolute = z
  .string()
  .min(1)
  .transform((p) => resolve(p))

export const SETTINGS = {
  host: setting({
    schema: z.string().min(1),
    arg: 'HOST',
    default: '127.0.0.1',
    shown: '`127.0.0.1`',
    doc: 'address to bind',
  }),
  port: setting({
    schema: z.coerce.number({ error: 'port must be a number' }).int().min(0).max(65535),
    arg: 'PORT',
    default: '7878',
    shown: '`7878`',
    doc: 'port; `0` picks any free port',
  }),
  dataDir: setting({
    schema: absolute,
    arg: 'DIR',
    default: ({ env, home }) =>
      join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'agentmux'),
    shown: '`$XDG_DATA_HOME/agentmux`, else `~/.local/share/agentmux`',
    doc: 'the token, the database and spool files (mode 0700)',
  }),
  workspacesDir: setting({
    schema: absolute,
    arg: 'DIR',
    default: ({ env, home }) =>
      join(env.XDG_STATE_HOME || join(home, '.local', 'state'), 'agentmux', 'workspaces'),
    shown: '`$XDG_STATE_HOME/agentmux/workspaces`, else `~/.local/state/agentmux/workspaces`',
    doc: 'where a session without a `cwd` gets its fresh directory; never inside the data dir, so the token is not a relative path away',
  }),
  token: setting({
    schema: z
      .string()
      .min(
        32,
        'must be at least 32 characters (e.g. `openssl rand -hex 32`), or unset it to use the token file'
      )
      .nullable(),
    shown: 'generated',
    doc: 'the access token (≥ 32 characters; only from the environment, never a flag). When unset, a 256-bit token is generated on first start in `<data dir>/token` (mode 0600) and reused; `agentmux token` prints it, `agentmux token --rotate` replaces it',
    envOnly: true,
  }),
  claudeBin: setting({
    schema: z.string().min(1).optional(),
    arg: 'PATH',
    shown: '`claude` on `PATH`, else the bundled one',
    doc: 'the claude executable',
  }),
  allowedRoots: setting({
    schema: z.array(z.string().refine(isAbsolute, 'allowed roots must be absolute paths')).min(1),
    arg: 'DIR:DIR',
    list: ':',
    default: ({ home }) => home,
    shown: '`$HOME`',
    doc: "colon-separated; a session's `cwd` must resolve inside one, and is never the data dir, an ancestor of it, or inside it (unless a root is the data dir or inside it)",
  }),
  allowedHosts: setting({
    schema: z.array(
      z
        .string()
        .toLowerCase()
        .regex(/^[a-z0-9.:[\]-]+$/, 'allowed hosts are host names')
    ),
    arg: 'NAME,NAME',
    list: ',',
    shown: 'none',
    doc: "extra Host names to answer to (a tunnel's or proxy's public name), comma-separated",
  }),
  turnTimeoutMs: setting({
    schema: ms('AGENTMUX_TURN_TIMEOUT_MS'),
    arg: 'MS',
    default: String(2 * 60 * 60 * 1000),
    shown: '2 h',
    doc: 'a longer turn is stopped and fails; `0` = none',
  }),
  stallTimeoutMs: setting({
    schema: ms('AGENTMUX_STALL_TIMEOUT_MS'),
    arg: 'MS',
    default: String(30 * 60 * 1000),
    shown: '30 min',
    doc: 'a turn with no output for this long is stopped and fails; `0` = none',
  }),
  cancelGraceMs: setting({
    schema: ms('AGENTMUX_CANCEL_GRACE_MS'),
    arg: 'MS',
    default: '2000',
    shown: '2000',
    doc: 'time between the steps of a cancel: stdin interrupt, SIGINT, SIGTERM, SIGKILL',
  }),
  approvalTimeoutMs: setting({
    schema: ms('AGENTMUX_APPROVAL_TIMEOUT_MS'),
    arg: 'MS',
    default: String(30 * 60 * 1000),
    shown: '30 min',
    doc: 'a tool approval left unanswered this long is denied and the turn stopped; questions and plans wait; `0` = for ever',
  }),
  cancelOnExit: setting({
    schema: z.boolean(),
    shown: 'off',
    doc: 'cancel running turns at shutdown instead of handing them to the next daemon (`=1` in the environment)',
  }),
  retentionDays: setting({
    schema: z.coerce.number({ error: 'AGENTMUX_RETENTION_DAYS must be a number' }).min(0),
    arg: 'DAYS',
    default: '30',
    shown: '30',
    doc: "delete sessions idle longer than this, and prune older turns' events; 0 = keep",
  }),
  retentionSessions: setting({
    schema: count('AGENTMUX_RETENTION_SESSIONS'),
    arg: 'N',
    default: '500',
    shown: '500',
    doc: 'keep at most this many sessions, the least recently active go first; 0 = no cap',
  }),
  dbMaxMb: setting({
    schema: z.coerce.number({ error: 'AGENTMUX_DB_MAX_MB must be a number' }).min(0),
    arg: 'MB',
    default: '0',
    shown: '0 (none)',
    doc: 'cap the database size; past it, writes fail as on a full disk',
  }),
  databaseUrl: setting({
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'AGENTMUX_DATABASE_URL must be a postgres:// URL')
      .nullable(),
    shown: 'none (embedded SQLite in the data dir)',
    doc: 'a PostgreSQL database to share with other daemons (`postgres://user:pass@host/db`); only from the environment, since it may hold a password',
    envOnly: true,
  }),
  hostId: setting({
    schema: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
        'AGENTMUX_HOST_ID must be a host name (letters, digits, . _ -)'
      ),
    arg: 'ID',
    default: () => hostname(),
    shown: "the machine's host name",
    doc: "this daemon's name among the daemons sharing a database: sessions whose files are here belong to it",
  }),
  heartbeatMs: setting({
    schema: ms('AGENTMUX_HEARTBEAT_MS').min(100),
    arg: 'MS',
    default: '5000',
    shown: '5000',
    doc: 'how often the daemon writes its heartbeat; a host not seen for 3 beats is shown offline',
  }),
  commandTimeoutMs: setting({
    schema: ms('AGENTMUX_COMMAND_TIMEOUT_MS').min(100),
    arg: 'MS',
    default: '15000',
    shown: '15000',
    doc: "how long a write for another host's session waits for that host to take it; then 504 `host_timeout`, and a request it never took is withdrawn",
  }),
  notifyUrls: setting({
    schema: z.array(
      z.url({
        protocol: /^https?$/,
        error: 'AGENTMUX_NOTIFY_URL must be http(s) URLs, comma-separated',
      })
    ),
    name: 'notify-url',
    arg: 'URL,URL',
    list: ',',
    shown: 'none',
    doc: 'webhooks that get a signed JSON POST when a turn ends or a permission is requested, comma-separated',
  }),
  notifySecret: setting({
    schema: z.string().min(1).nullable(),
    shown: 'none',
    doc: 'the HMAC-SHA256 key of `X-Agentmux-Signature` on webhook deliveries (unset: the header is not sent)',
    envOnly: true,
  }),
  ntfyUrl: setting({
    schema: z
      .url({ protocol: /^https?$/, error: 'AGENTMUX_NTFY_URL must be an http(s) URL' })
      .nullable(),
    arg: 'URL',
    shown: 'none',
    doc: 'an ntfy topic URL that gets a plain-text notification for the same events',
  }),
  publicUrl: setting({
    schema: z
      .url({ protocol: /^https?$/, error: 'AGENTMUX_PUBLIC_URL must be an http(s) URL' })
      .nullable(),
    arg: 'URL',
    shown: "the daemon's own URL",
    doc: 'where the page is reached (a tunnel or proxy URL); notifications link to the session there',
  }),
  vapidSubject: setting({
    schema: z.string().regex(/^(mailto:|https:\/\/)\S+$/, 'must be a mailto: or https: URL'),
    arg: 'URI',
    default: 'mailto:agentmux@localhost',
    shown: '`mailto:agentmux@localhost`',
    doc: 'the VAPID `sub` claim of Web Push (how a push service can reach the operator)',
  }),
  notifyRetryMs: setting({
    schema: ms('AGENTMUX_NOTIFY_RETRY_MS').min(1),
    arg: 'MS',
    default: '10000',
    shown: '10000',
    doc: "a failed delivery's first retry; each next one doubles, up to an hour",
  }),
  notifyGiveUpMs: setting({
    schema: ms('AGENTMUX_NOTIFY_GIVE_UP_MS'),
    arg: 'MS',
    default: String(24 * 60 * 60 * 1000),
    shown: '24 h',
    doc: 'a delivery still failing this long after its event is dropped',
  }),
  logLevel: setting({
    schema: z.enum(['debug', 'info', 'warn', 'error']),
    arg: 'LEVEL',
    default: 'info',
    shown: '`info`',
    doc: '`debug`, `info`, `warn`, `error`',
  }),
  metricsPort: setting({
    schema: z.coerce
      .number({ error: 'AGENTMUX_METRICS_PORT must be a port number' })
      .int()
      .min(0)
      .max(65535)
      .nullable(),
    arg: 'PORT',
    shown: 'none',
    doc: 'also serve `GET /metrics` alone, without the token, on this port (same host); keep it private',
  }),
}

export type SettingKey = keyof typeof SETTINGS
export type Config = Readonly<{ [K in SettingKey]: z.output<(typeof SETTINGS)[K]['schema']> }>

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
const stem = (key: string) => (SETTINGS as Record<string, Setting>)[key]?.name ?? kebab(key)
export const flagOf = (key: string) => stem(key)
export const envOf = (key: string) => `AGENTMUX_${stem(key).replace(/-/g, '_').toUpperCase()}`
