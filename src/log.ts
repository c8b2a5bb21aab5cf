/** Leveled key=value log lines. The sink is injected; only main.ts decides it is stderr. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFields = Record<string, string | number | boolean | null | undefined>

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  child(tags: LogFields): Logger
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

function format(value: string | number | boolean | null | undefined): string {
  const s = String(value)
  return /^[\w.:/@+-]+$/.test(s) ? s : JSON.stringify(s)
}

export function createLogger(opts: {
  level?: LogLevel
  write: (line: string) => void
  tags?: LogFields
}): Logger {
  const min = ORDER[opts.level ?? 'info']
  const tags = opts.tags ?? {}
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < min) return
    let line = `${new Date().toISOString()} ${level} ${msg}`
    for (const [k, v] of Object.entries({ ...tags, ...fields })) {
      if (v !== undefined) line += ` ${k}=${format(v)}`
    }
    opts.write(`${line}\n`)
  }
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (more) => createLogger({ ...opts, tags: { ...tags, ...more } }),
  }
}

export const silentLogger: Logger = createLogger({ level: 'error', write: () => {} })
