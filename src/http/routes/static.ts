import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { extname, join } from 'node:path'
import { Hono } from 'hono'
import { errorBody } from '../../errors.js'
import type { HttpBindings } from '@hono/node-server'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
}

interface Asset {
  type: string
  body: Buffer
  gzip: Buffer | null
}

/** The page is a handful of small files: read them (and their .gz twins) once at start. */
function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  if (!existsSync(dir)) return assets
  const walk = (sub: string) => {
    for (const name of readdirSync(join(dir, sub))) {
      const rel = sub ? `${sub}/${name}` : name
      const full = join(dir, rel)
      if (statSync(full).isDirectory()) walk(rel)
      else if (!name.endsWith('.gz') && TYPES[extname(name)]) {
        const gz = `${full}.gz`
        assets.set(`/${rel}`, {
          type: TYPES[extname(name)]!,
          body: readFileSync(full),
          gzip: existsSync(gz) ? readFileSync(gz) : null,
        })
      }
    }
  }
  walk('')
  return assets
}

/** The installable page's files: the service worker must sit at the root to control the whole page. */
const SHELL_FILES = new Set(['/sw.js', '/manifest.webmanifest'])

/** GET / (the page shell), /assets/*, the icons, manifest and service worker: open, they hold no data. */
export function staticRoutes(webDist: string) {
  const assets = loadAssets(webDist)
  const app = new Hono<{ Bindings: HttpBindings }>()
  const serve = (path: string) =>
    app.get(path, (c) => {
      const key = path === '/' ? '/index.html' : c.req.path
      const a = assets.get(key)
      if (!a) {
        const message =
          key === '/index.html' ? 'the page is not built (npm run build)' : `no file ${key}`
        return c.json(errorBody('not_found', message), 404)
      }
      c.header('Content-Type', a.type)
      // index.html, the worker and the manifest must be revalidated so a new build is picked up;
      // assets carry a content hash.
      const fresh = key === '/index.html' || SHELL_FILES.has(key)
      c.header('Cache-Control', fresh ? 'no-cache' : 'public, max-age=31536000, immutable')
      c.header('Vary', 'Accept-Encoding')
      if (a.gzip && /\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
        c.header('Content-Encoding', 'gzip')
        return c.body(new Uint8Array(a.gzip))
      }
      return c.body(new Uint8Array(a.body))
    })
  serve('/')
  serve('/assets/*')
  serve('/icons/*')
  for (const f of SHELL_FILES) serve(f)
  // Browsers ask for it on their own; a 404 beats a 401 in the console.
  app.get('/favicon.ico', (c) => c.body(null, 404))
  return app
}
