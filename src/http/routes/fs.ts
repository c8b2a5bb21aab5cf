import { Hono } from 'hono'
import type { HttpBindings } from '@hono/node-server'
import { listDirs, runningAsRoot } from '../../sessions/dirs.js'

/**
 * What the page needs to create a session well: `GET /fs/dirs?path=` (the directory picker, inside
 * the allowed roots only) and `GET /config` (the roots, and which permission modes can work here).
 */
export function fsRoutes(deps: { allowedRoots: string[] }) {
  const app = new Hono<{ Bindings: HttpBindings }>()
  app.get('/fs/dirs', async (c) => c.json(await listDirs(c.req.query('path'), deps.allowedRoots)))
  app.get('/config', async (c) => {
    const { roots } = await listDirs(undefined, deps.allowedRoots)
    const asRoot = runningAsRoot()
    return c.json({
      allowedRoots: roots,
      runningAsRoot: asRoot,
      bypassPermissionsAvailable: !asRoot,
    })
  })
  return app
}
