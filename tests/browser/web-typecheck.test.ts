/** web/src has its own tsconfig (DOM lib); the root typecheck does not see it, so it is checked here. */
import { execFile } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

describe('the page source', () => {
  it('type-checks (tsc -p web/tsconfig.json)', async () => {
    const out = await new Promise<{ code: number; text: string }>((done) => {
      execFile(
        process.execPath,
        [resolve(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', resolve(root, 'web/tsconfig.json')],
        { cwd: root, timeout: 60_000 },
        (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: stdout + stderr })
      )
    })
    expect(out.text).toBe('')
    expect(out.code).toBe(0)
  })
})
