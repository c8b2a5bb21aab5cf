// Run the mock Messages API standalone:
//   npx tsx tests/mock-anthropic/cli.ts [port | --port N]      (MOCK_PORT, MOCK_HOST, MOCK_DUMP_DIR also read)
// Prints {"port","url","pid"} as one JSON line on stdout, then one JSON log line per request on stderr.
import { startMockAnthropic } from './server.js'

function portFromArgs(argv: string[]): number {
  const i = argv.indexOf('--port')
  const v = i >= 0 ? argv[i + 1] : argv.find((a) => /^\d+$/.test(a))
  return Number(v ?? process.env.MOCK_PORT ?? 0) || 0
}

const mock = await startMockAnthropic({
  port: portFromArgs(process.argv.slice(2)),
  host: process.env.MOCK_HOST || '127.0.0.1',
  ...(process.env.MOCK_DUMP_DIR ? { dumpDir: process.env.MOCK_DUMP_DIR } : {}),
  log: (line) => process.stderr.write(line + '\n'),
})
process.stdout.write(JSON.stringify({ port: mock.port, url: mock.url, pid: process.pid }) + '\n')

const stop = (): void => {
  void mock.close().then(() => process.exit(0))
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
