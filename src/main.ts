/** The command line. The only module that touches `process`. */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { loadOrCreateToken, rotateToken } from './auth/token-file.js'
import { ConfigError, parseConfig } from './config.js'
import { serveOptionsText } from './config-help.js'
import { startDaemon } from './daemon.js'
import { createLogger } from './log.js'
import { packageRoot } from './paths.js'

const USAGE = `usage: agentmux [COMMAND] [OPTIONS]

commands:
  serve [OPTIONS]        run the daemon (the default command); agentmux serve --help lists its options
  token [--rotate]       print (or replace) the access token of the data dir (--data-dir DIR)
  help                   this text
  --help, -h             this text; after a command, that command's help
  --version              print the version

exit codes: 0 done, 1 bad configuration or failure, 2 unknown command`

const SERVE_OPTIONS = `Every option can also be set in the environment; a flag wins.

${serveOptionsText()}`

const HELP = `${USAGE}\n\nserve options. ${SERVE_OPTIONS}`

const SERVE_USAGE = `usage: agentmux serve [OPTIONS]

Runs the daemon. ${SERVE_OPTIONS}`

const TOKEN_USAGE = `usage: agentmux token [--rotate] [--data-dir DIR]

Prints the token from AGENTMUX_TOKEN, else from <data dir>/token (created on first use).
--rotate replaces the token file's token: every browser is logged out and every stream ends.`

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/

function plainHttpWarning(host: string, port: number): string {
  return `WARNING: agentmux is listening on ${host}:${port}, beyond this machine, over plain HTTP.
  Anyone who can reach it and learns the token can run commands as you, and on plain HTTP the token
  and cookie can be read on the way. Put TLS in front and keep agentmux on 127.0.0.1, e.g.:
    caddy reverse-proxy --from agentmux.example.com --to 127.0.0.1:${port}
    tailscale serve --bg ${port}          (or: cloudflared tunnel --url http://127.0.0.1:${port})
  and add the public name to AGENTMUX_ALLOWED_HOSTS.\n`
}

async function serve(argv: string[]): Promise<void> {
  const config = parseConfig(process.env, argv, homedir())
  const log = createLogger({ level: config.logLevel, write: (line) => process.stderr.write(line) })
  const daemon = await startDaemon(config, { log, env: process.env })
  if (!LOOPBACK.test(config.host)) process.stderr.write(plainHttpWarning(config.host, daemon.port))
  process.stdout.write(
    `agentmux listening on ${daemon.url} (claude ${daemon.claudeVersion}, data ${config.dataDir}); log in at ${daemon.loginUrl()}\n`
  )

  let signals = 0
  const onSignal = (sig: NodeJS.Signals) => {
    signals++
    if (signals > 1) {
      log.warn('second signal: exiting now', { signal: sig })
      process.exit(1)
    }
    log.info('shutting down', { signal: sig })
    daemon.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error('shutdown failed', { error: err.message })
        process.exit(1)
      }
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}

function token(argv: string[]): void {
  const rotate = argv.includes('--rotate')
  const config = parseConfig(
    process.env,
    argv.filter((a) => a !== '--rotate'),
    homedir()
  )
  if (config.token) {
    if (rotate) throw new ConfigError('the token comes from AGENTMUX_TOKEN; change it there')
    process.stdout.write(`${config.token}\n`)
    return
  }
  process.stdout.write(
    `${rotate ? rotateToken(config.dataDir) : loadOrCreateToken(config.dataDir)}\n`
  )
}

const print = (text: string) => () => void process.stdout.write(`${text}\n`)
const version = () =>
  (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
    .version

/** Each command: what it runs, and its help. New commands are new rows. */
const COMMANDS: Record<string, { run: (argv: string[]) => void | Promise<void>; help: string }> = {
  serve: { run: serve, help: SERVE_USAGE },
  token: { run: token, help: TOKEN_USAGE },
  help: { run: print(HELP), help: HELP },
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--version') return print(version())()
  // Bare flags run the default command, as `agentmux --port 0` always has.
  const [name, rest] =
    argv[0] === undefined || (argv[0].startsWith('-') && !isHelp(argv[0]))
      ? ['serve', argv]
      : [argv[0], argv.slice(1)]
  if (isHelp(name)) return print(HELP)()
  const command = COMMANDS[name]
  if (!command) {
    process.stderr.write(`agentmux: unknown command ${JSON.stringify(name)}\n${USAGE}\n`)
    process.exit(2)
  }
  if (rest.some(isHelp)) return print(command.help)()
  return command.run(rest)
}

function isHelp(arg: string): boolean {
  return arg === '--help' || arg === '-h'
}

main(process.argv.slice(2)).catch((err: Error) => {
  process.stderr.write(
    `agentmux: ${err instanceof ConfigError ? `bad configuration:\n${err.message}` : err.message}\n`
  )
  process.exit(1)
})
