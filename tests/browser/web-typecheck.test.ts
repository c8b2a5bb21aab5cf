/**
 * The page is bundled by esbuild, which strips types without checking them, so a type error in
 * web/ would ship unnoticed unless tsc checks every file the bundle is made of. `npm run typecheck`
 * runs tsc over web/tsconfig.json; this test checks what that run cannot tell about itself: that its
 * file list covers the whole bundle, and that it reports an error when there is one (a canary with
 * a deliberate type error, checked together with the real sources under the same options).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const webConfig = join(root, 'web', 'tsconfig.json')
const tmp = mkdtempSync(join(tmpdir(), 'agentmux-webtsc-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

function tsc(args: string[]): Promise<{ code: number; text: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), ...args],
      { cwd: root, timeout: 120_000 },
      (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, text: stdout + stderr })
    )
  })
}

/** Every source file esbuild puts into the page's bundle, absolute. */
async function bundleInputs(): Promise<string[]> {
  const r = await build({
    entryPoints: [join(root, 'web', 'src', 'main.ts')],
    bundle: true,
    write: false,
    metafile: true,
    outdir: tmp,
    logLevel: 'silent',
  })
  return Object.keys(r.metafile.inputs).map((p) => resolve(root, p))
}

describe('the page source', () => {
  it("tsc's file list for web/ covers every TypeScript file the bundle is made of", async () => {
    const listed = new Set(
      (await tsc(['--listFilesOnly', '-p', webConfig])).text
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
    )
    const inputs = (await bundleInputs()).filter((f) => f.endsWith('.ts'))
    expect(inputs.length).toBeGreaterThan(5)
    expect(inputs.filter((f) => !listed.has(f))).toEqual([])
    const own = readdirSync(join(root, 'web', 'src')).filter((f) => f.endsWith('.ts'))
    expect(own.map((f) => join(root, 'web', 'src', f)).filter((f) => !listed.has(f))).toEqual([])
  })

  // Two full runs of tsc: 35 s on a loaded machine.
  it(
    'type-checks clean, and the same check reports a deliberate error (the canary)',
    { timeout: 150_000 },
    async () => {
      const canary = join(tmp, 'canary.ts')
      writeFileSync(
        canary,
        `import { modeChoices } from ${JSON.stringify(join(root, 'web/src/modes.js'))}\n` +
          `export const wrong: number = modeChoices(true)[0]\n`
      )
      const config = join(tmp, 'tsconfig.json')
      writeFileSync(
        config,
        JSON.stringify({
          extends: webConfig,
          include: [join(root, 'web/src/**/*.ts'), canary],
        })
      )
      const out = await tsc(['--noEmit', '-p', config])
      const errors = out.text.split('\n').filter((l) => /error TS\d+/.test(l))
      // Exactly the canary's error: web/src itself has none, and the check does catch one.
      expect(errors).toHaveLength(1)
      expect(errors[0]).toContain('canary.ts')
      expect(errors[0]).toContain('TS2322')
      expect(out.code).not.toBe(0)
    }
  )
})
