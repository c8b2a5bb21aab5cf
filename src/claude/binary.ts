import { execFile } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { createRequire } from 'node:module'
import { delimiter, dirname, join } from 'node:path'

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The claude to run: the configured one, else `claude` on PATH, else the one this package installed. */
export function resolveClaudeBin(
  configured: string | undefined,
  pathEnv: string | undefined
): string | null {
  if (configured) return configured
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'claude'))) return join(dir, 'claude')
  }
  try {
    const pkg = createRequire(import.meta.url).resolve('@anthropic-ai/claude-code/package.json')
    const bundled = join(dirname(pkg), 'bin', 'claude.exe')
    if (isExecutable(bundled)) return bundled
  } catch {
    // not installed: fall through
  }
  return null
}

/** `claude --version` prints e.g. "2.1.330 (Claude Code)". */
export function claudeVersion(bin: string, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, ['--version'], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) {
        reject(
          new Error(
            `could not run ${bin} --version: ${err.message}${stderr ? `: ${stderr.trim()}` : ''}`
          )
        )
        return
      }
      const match = /\d+\.\d+\.\d+/.exec(stdout)
      if (!match)
        reject(
          new Error(`${bin} --version printed no version: ${JSON.stringify(stdout.slice(0, 200))}`)
        )
      else resolve(match[0])
    })
  })
}
