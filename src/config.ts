import { parseArgs } from 'node:util'
import { resolve } from 'node:path'
import { z } from 'zod'
import { isInsideRoots } from './sessions/cwd.js'
import {
  envOf,
  flagOf,
  SETTINGS,
  type Config,
  type DefaultsContext,
  type Setting,
  type SettingKey,
} from './settings.js'

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const rows = () => Object.entries(SETTINGS) as [SettingKey, Setting][]

function flagOptions() {
  const options: Record<string, { type: 'string' | 'boolean' }> = {}
  for (const [key, s] of rows())
    if (!s.envOnly) options[flagOf(key)] = { type: s.arg ? 'string' : 'boolean' }
  return options
}

function parseFlags(argv: string[]): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, options: flagOptions(), strict: true, allowPositionals: false })
      .values
  } catch (err) {
    const message = (err as Error).message
    if (/'--token'/.test(message)) {
      throw new ConfigError(
        '--token is gone (a command line is visible to every local user): set AGENTMUX_TOKEN, or let the daemon use its token file'
      )
    }
    throw new ConfigError(message)
  }
}

/** A setting's raw value: the flag, else the environment, else its default. */
function rawValue(
  key: SettingKey,
  s: Setting,
  flag: string | boolean | undefined,
  ctx: DefaultsContext
): unknown {
  const env = ctx.env[envOf(key)]
  if (!s.arg && !s.envOnly) return flag === true || env === '1' || env === 'true'
  const given = typeof flag === 'string' ? flag : env || undefined
  const value = given ?? (typeof s.default === 'function' ? s.default(ctx) : s.default)
  if (value === undefined) return s.list ? [] : s.schema.safeParse(null).success ? null : undefined
  if (!s.list) return value
  return value
    .split(s.list)
    .map((v) => (s.list === ',' ? v.trim() : v))
    .filter((v) => v !== '')
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const key = String(i.path[0] ?? '')
      const name =
        key in SETTINGS
          ? SETTINGS[key as SettingKey].envOnly
            ? envOf(key)
            : `${envOf(key)} / --${flagOf(key)}`
          : key
      return `  ${name}: ${i.message}`
    })
    .join('\n')
}

/** Flags win over the environment; both are parsed once, here. */
export function parseConfig(
  env: Record<string, string | undefined>,
  argv: string[],
  home: string
): Config {
  const flags = parseFlags(argv)
  const ctx: DefaultsContext = { env, home, dataDir: '' }
  const raw: Record<string, unknown> = {}
  for (const [key, s] of rows()) {
    raw[key] = rawValue(key, s, flags[flagOf(key)], ctx)
    if (key === 'dataDir') ctx.dataDir = resolve(String(raw[key]))
  }
  const schema = z.object(Object.fromEntries(rows().map(([k, s]) => [k, s.schema])))
  const r = schema.safeParse(raw)
  if (!r.success) throw new ConfigError(describeIssues(r.error))
  const config = r.data as Config
  checkWorkspaces(config)
  return Object.freeze(config)
}

/** The default workspaces must not lead to the token: neither inside the data dir nor above it. */
function checkWorkspaces(c: Config): void {
  if (isInsideRoots(c.workspacesDir, [c.dataDir]) || isInsideRoots(c.dataDir, [c.workspacesDir])) {
    throw new ConfigError(
      `  AGENTMUX_WORKSPACES_DIR / --workspaces-dir: ${c.workspacesDir} must be outside the data dir ${c.dataDir}, and not above it`
    )
  }
}
