import { Hono } from 'hono'
import type { HostView } from '../../hosts/heartbeat.js'

/** GET /hosts: the daemons sharing the database, and whether each is alive. */
export function hostRoutes(hosts: { list(): HostView[] }) {
  const app = new Hono()
  app.get('/hosts', (c) =>
    c.json({
      hosts: hosts.list().map((h) => ({
        id: h.id,
        alive: h.alive,
        lastSeen: h.lastSeen,
        url: h.url,
        startedAt: h.startedAt,
        self: h.self,
      })),
    })
  )
  return app
}
