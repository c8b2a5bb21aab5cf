/** The command line. The only module that touches `process`. */
import { homedir } from 'node:os'
import { loadOrCreateToken, rotateToken } from './auth/token-file.js'
import { clientUsage, isClientCommand, runCli } from './cli/index.js'
import { ConfigError, parseConfig } from './config.js'
import { startDaemon } from './daemon.js'
import { createLogger } from './log.js'

const USAGE = `usage:
  agentmux [serve] [--host H] [--port P] [--data-dir D] [--token T] [--claude-bin B]
                   [--allowed-roots A:B] [--allowed-hosts h1,h2] [--turn-timeout-ms N]
                   [--stall-timeout-ms N] [--cancel-grace-ms N] [--log-level L]
  agentmux token [--rotate] [--data-dir D]   print (or replace) the access token`

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
  const config = parseConfig(process.env, argv.filter((a) => a !== '--rotate'), homedir())
  if (config.token) {
    if (rotate) throw new ConfigError('the token comes from AGENTMUX_TOKEN (or --token); change it there')
    process.stdout.write(`${config.token}\n`)
    return
  }
  process.stdout.write(`${rotate ? rotateToken(config.dataDir) : loadOrCreateToken(config.dataDir)}\n`)
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2)
  if (command === undefined || command.startsWith('-')) return serve(process.argv.slice(2))
  if (command === 'serve') return serve(rest)
  if (command === 'token') return token(rest)
  if (isClientCommand(command)) {
    const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd(), home: homedir() }
    process.exitCode = await runCli(process.argv.slice(2), io)
    return
  }
  if (command === 'help') {
    process.stdout.write(`${USAGE}\n\n${clientUsage()}\n`)
    return
  }
  process.stderr.write(`unknown command ${JSON.stringify(command)}\n${USAGE}\n`)
  process.exit(2)
}

main().catch((err: Error) => {
  process.stderr.write(`agentmux: ${err instanceof ConfigError ? `bad configuration:\n${err.message}` : err.message}\n`)
  process.exit(1)
})
