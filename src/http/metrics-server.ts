import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Metrics } from '../metrics/metrics.js'

/**
 * AGENTMUX_METRICS_PORT: /metrics alone on its own port, without the token, for a Prometheus
 * that cannot hold one. It serves nothing else; keep it on a private address.
 */
export async function startMetricsServer(
  metrics: Metrics,
  host: string,
  port: number
): Promise<{ port: number; close(): void }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res
        .writeHead(404, { 'Content-Type': 'application/json' })
        .end('{"error":{"code":"not_found","message":"only GET /metrics here"}}')
      return
    }
    metrics.render().then(
      (body) => res.writeHead(200, { 'Content-Type': metrics.contentType }).end(body),
      () => res.writeHead(500).end()
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.close()
      server.closeAllConnections()
    },
  }
}
