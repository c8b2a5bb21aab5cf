import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: Buffer
  /** The status this request was answered with. */
  status: number
}

/** A local HTTP endpoint (webhook, ntfy, push service) that records what it gets. */
export interface Receiver {
  readonly url: string
  readonly port: number
  readonly requests: Received[]
  /** Decides the status of each request (by its 0-based index); 200 unless set. */
  respond: (index: number, req: Omit<Received, 'status'>) => number
  close(): Promise<void>
}

export async function startReceiver(
  opts: { port?: number; respond?: Receiver['respond'] } = {}
): Promise<Receiver> {
  const requests: Received[] = []
  // The handler reads `r`, which exists by the time a request arrives.
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const got = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      }
      const status = r.respond(requests.length, got)
      requests.push({ ...got, status })
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status < 300 ? 'ok' : 'no')
    })
  })
  const r: Receiver = {
    url: '',
    port: 0,
    requests,
    respond: opts.respond ?? (() => 200),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  Object.assign(r, { port, url: `http://127.0.0.1:${port}` })
  return r
}
