// Builds the phone page: web/src → web/dist/index.html + assets/app-<hash>.{js,css}, each with a .gz twin.
// Also web/dist-test/app.js: the same page with the test hooks (window.agentmux), which the browser
// tests substitute for the production script (tests/helpers/browser.ts); the daemon never serves it.
// Run by `npm run build` (and so by `npm test` and `npm start`).
import { build } from 'esbuild'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync, constants } from 'node:zlib'
import { buildPwa } from './pwa.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const src = join(here, 'src')
const dist = join(here, 'dist')
const distTest = join(here, 'dist-test')
const assets = join(dist, 'assets')

rmSync(dist, { recursive: true, force: true })
rmSync(distTest, { recursive: true, force: true })
mkdirSync(assets, { recursive: true })

const common = {
  entryPoints: [join(src, 'main.ts')],
  bundle: true,
  minify: true,
  format: 'iife',
  // iOS Safari 15+ and any evergreen browser.
  target: ['es2020', 'safari15', 'chrome100', 'firefox100'],
  legalComments: 'none',
  sourcemap: false,
  logLevel: 'warning',
}
const result = await build({
  ...common,
  outdir: assets,
  entryNames: 'app-[hash]',
  assetNames: 'app-[hash]',
  metafile: true,
  define: { 'process.env.NODE_ENV': '"production"', __TEST_HOOKS__: 'false' },
})
await build({
  ...common,
  outdir: distTest,
  entryNames: 'app',
  assetNames: 'app',
  define: { 'process.env.NODE_ENV': '"production"', __TEST_HOOKS__: 'true' },
})

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p))
const js = outputs.find((f) => f.endsWith('.js'))
const css = outputs.find((f) => f.endsWith('.css'))
if (!js || !css)
  throw new Error(`web build: expected a .js and a .css output, got ${outputs.join(', ')}`)

const html = readFileSync(join(src, 'index.html'), 'utf8')
  .replace('%CSS%', `/assets/${css}`)
  .replace('%JS%', `/assets/${js}`)
  .replace(/\n\s*/g, '\n')
writeFileSync(join(dist, 'index.html'), html)

// Installable page: icons, manifest and the service worker that caches this very shell.
const pwaFiles = await buildPwa({ src, dist, shell: [`/assets/${js}`, `/assets/${css}`] })

let total = 0
for (const file of [join(dist, 'index.html'), join(assets, js), join(assets, css), ...pwaFiles]) {
  const gz = gzipSync(readFileSync(file), { level: constants.Z_BEST_COMPRESSION })
  writeFileSync(`${file}.gz`, gz)
  total += gz.length
}
if (process.env.AGENTMUX_WEB_BUILD_VERBOSE)
  console.log(`web: ${js}, ${css}, ${total} bytes gzipped`)
