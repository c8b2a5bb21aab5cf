/**
 * web/src has its own tsconfig (DOM lib), checked against the daemon's own event types. The check is
 * shown to bite: the same compiler on the same config fails on a page file that misreads an event.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

function tsc(project: string): Promise<{ code: number; text: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [resolve(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', project],
      { cwd: root, timeout: 90_000 },
      (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: stdout + stderr })
    )
  })
}

describe('the page source', () => {
  it('type-checks (tsc -p web/tsconfig.json)', async () => {
    const out = await tsc(resolve(root, 'web/tsconfig.json'))
    expect(out.text).toBe('')
    expect(out.code).toBe(0)
  })

  it('fails when the page misreads an event (the check is real)', async () => {
    const dir = mkdtempSync(join(root, 'web', '.typecheck-'))
    try {
      const rel = (p: string) => relative(dir, p)
      writeFileSync(
        join(dir, 'bad.ts'),
        [
          `import type { Ev } from '${rel(resolve(root, 'web/src/types.js'))}'`,
          // turn.ended has no `exitStatus`, and `durationMs` is a number.
          `export const f = (e: Ev<'turn.ended'>): string => e.exitStatus + e.durationMs.toUpperCase()`,
        ].join('\n')
      )
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: rel(resolve(root, 'web/tsconfig.json')), include: ['bad.ts'] }))
      const out = await tsc(join(dir, 'tsconfig.json'))
      expect(out.code).not.toBe(0)
      expect(out.text).toContain("Property 'exitStatus' does not exist")
      expect(out.text).toContain("Property 'toUpperCase' does not exist")
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
