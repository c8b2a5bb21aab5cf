import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startMockAnthropic, type MockAnthropic } from '../mock-anthropic/server.js'
import { REAL_CLAUDE, startTestDaemon, type TestDaemon } from './daemon.js'

export interface RealStack {
  mock: MockAnthropic
  d: TestDaemon
  stop(): Promise<void>
}

/** What claude needs to run full turns offline against the mock Messages API. */
export function offlineClaudeEnv(mockUrl: string): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: mockUrl,
    ANTHROPIC_API_KEY: 'sk-test',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  }
}

/** A daemon process's environment for the real claude on the mock (tests/helpers/process-daemon.ts). */
export function realClaudeDaemonEnv(mockUrl: string): Record<string, string> {
  return {
    AGENTMUX_CLAUDE_BIN: REAL_CLAUDE,
    AGENTMUX_CANCEL_GRACE_MS: '2000',
    ...offlineClaudeEnv(mockUrl),
  }
}

/** The daemon running the real claude binary against the mock Messages API, offline. */
export async function startRealStack(opts: { claudeBin?: string } = {}): Promise<RealStack> {
  const mock = await startMockAnthropic()
  const d = await startTestDaemon({
    claudeBin: opts.claudeBin ?? REAL_CLAUDE,
    config: { cancelGraceMs: 2000 },
    env: offlineClaudeEnv(mock.url),
  })
  return {
    mock,
    d,
    async stop() {
      await d.stop()
      await mock.close()
    },
  }
}

/** A claude that dies once before printing anything (while `flag` exists), then is the real one. */
export function dieOnceWrapper(dir: string): { bin: string; flag: string } {
  const bin = join(dir, 'claude-die-once.sh')
  const flag = join(dir, 'die-once.flag')
  writeFileSync(
    bin,
    `#!/bin/sh
if [ "$1" != "--version" ] && [ -e "${flag}" ]; then rm -f "${flag}"; kill -9 $$; fi
exec "${REAL_CLAUDE}" "$@"
`,
    { mode: 0o755 }
  )
  return { bin, flag }
}

/** Pids of processes whose command line contains `marker`. */
export function processesWith(marker: string): number[] {
  const found: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(marker)) found.push(Number(name))
    } catch {
      // gone
    }
  }
  return found
}
