#!/usr/bin/env node
/** The command line. The only module that touches `process`. */
import { homedir } from 'node:os'
import { ConfigError, parseConfig } from './config.js'
import { startDaemon } from './daemon.js'
import { createLogger } from './log.js'

const USAGE = `usage: agentmux [serve] [--host H] [--port P] [--data-dir D] [--token T] [--claude-bin B]
                [--allowed-roots A:B] [--turn-timeout-ms N] [--stall-timeout-ms N] [--log-level L]`

async function serve(argv: string[]): Promise<void> {
  const config = parseConfig(process.env, argv, homedir())
  const log = createLogger({ level: config.logLevel, write: (line) => process.stderr.write(line) })
  const daemon = await startDaemon(config, { log, env: process.env })
  process.stdout.write(`agentmux listening on ${daemon.url} (claude ${daemon.claudeVersion}, data ${config.dataDir})\n`)

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

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2)
  if (command === undefined || command.startsWith('-')) return serve(process.argv.slice(2))
  if (command === 'serve') return serve(rest)
  if (command === 'help' || command === '--help') {
    process.stdout.write(`${USAGE}\n`)
    return
  }
  process.stderr.write(`unknown command ${JSON.stringify(command)}\n${USAGE}\n`)
  process.exit(2)
}

main().catch((err: Error) => {
  process.stderr.write(`agentmux: ${err instanceof ConfigError ? `bad configuration:\n${err.message}` : err.message}\n`)
  process.exit(1)
})
